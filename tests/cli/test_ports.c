// SPDX-License-Identifier: GPL-2.0
/*
 * test_ports.c - --ports lists (user/lib/ports.c): each row is a list and
 * either its canonical form (sorted, ranges merged: what status prints) or
 * the one sentence that refuses it.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ports.h"

struct ports_row {
	const char *name;
	const char *opt;   /* the option the message names; NULL: ports */
	const char *list;
	const char *canon; /* taken: its canonical form; NULL: refused */
	const char *err;   /* refused: stderr, whole */
};

#define BAD_ITEM(item) "shakeoff: invalid --ports item '" item "': expected a port or a range FIRST-LAST\n"
#define OUT_OF_RANGE(item) "shakeoff: invalid --ports item '" item "': ports are 1 to 65535\n"
#define EMPTY_ITEM "shakeoff: invalid --ports: empty item (two commas in a row, or a comma at either end)\n"

static const struct ports_row rows[] = {
	{ "one", NULL, "80", "80" },
	{ "two_sorted", NULL, "443,80", "80,443" },
	{ "range", NULL, "8000-8100", "8000-8100" },
	{ "range_of_one", NULL, "8080-8080", "8080" },
	{ "neighbours_merge", NULL, "80,81,82", "80-82" },
	{ "overlap_merges", NULL, "8000-8100,8050-8200,8201", "8000-8201" },
	{ "repeat", NULL, "80,80", "80" },
	{ "lowest", NULL, "1", "1" },
	{ "highest", NULL, "65535", "65535" },
	{ "all", NULL, "1-65535", "1-65535" },
	{ "leading_zero", NULL, "080", "80" },
	{ "mixed", NULL, "22,80,443,8000-8100", "22,80,443,8000-8100" },
	{ "empty_list", NULL, "", NULL,
	  "shakeoff: invalid --ports: the list is empty (expected e.g. 80,443,8000-8100)\n" },
	{ "zero", NULL, "0", NULL, OUT_OF_RANGE("0") },
	{ "65536", NULL, "65536", NULL, OUT_OF_RANGE("65536") },
	{ "70000", NULL, "70000", NULL, OUT_OF_RANGE("70000") },
	{ "range_to_70000", NULL, "8000-70000", NULL, OUT_OF_RANGE("8000-70000") },
	{ "range_from_0", NULL, "0-80", NULL, OUT_OF_RANGE("0-80") },
	{ "huge", NULL, "99999999999999999999999", NULL, OUT_OF_RANGE("99999999999999999999999") },
	{ "reversed", NULL, "90-80", NULL,
	  "shakeoff: invalid --ports item '90-80': the range is reversed\n" },
	{ "name", NULL, "http", NULL, BAD_ITEM("http") },
	{ "letter", NULL, "a", NULL, BAD_ITEM("a") },
	{ "open_end", NULL, "80-", NULL, BAD_ITEM("80-") },
	{ "open_start", NULL, "-80", NULL, BAD_ITEM("-80") },
	{ "two_dashes", NULL, "1-2-3", NULL, BAD_ITEM("1-2-3") },
	{ "space", NULL, " 80", NULL, BAD_ITEM(" 80") },
	{ "hex", NULL, "0x50", NULL, BAD_ITEM("0x50") },
	{ "plus", NULL, "+80", NULL, BAD_ITEM("+80") },
	{ "second_bad", NULL, "80,x", NULL, BAD_ITEM("x") },
	{ "double_comma", NULL, "80,,90", NULL, EMPTY_ITEM },
	{ "trailing_comma", NULL, "80,", NULL, EMPTY_ITEM },
	{ "leading_comma", NULL, ",80", NULL, EMPTY_ITEM },
	{ "comma_alone", NULL, ",", NULL, EMPTY_ITEM },
	{ "named_option", "speak-first", "25,x", NULL,
	  "shakeoff: invalid --speak-first item 'x': expected a port or a range FIRST-LAST\n" },
};

static void ports_case(const struct ports_row *r)
{
	struct so_ports ports;
	char *err, *canon = NULL;
	int rc;

	capture_begin();
	rc = ports_parse_opt(r->opt ? r->opt : "ports", r->list, &ports);
	err = capture_end();
	check_long(check_name("ports", r->name, "result"), r->canon ? 0 : -1, rc);
	check_str(check_name("ports", r->name, "stderr"), r->canon ? "" : r->err, err);
	if (r->canon) {
		canon = ports_format(&ports);
		check_str(check_name("ports", r->name, "canonical"), r->canon, canon);
	}
	free(canon);
	free(err);
}

/* ports_has: the bitmap's bit p is port p, and nothing else is set. */
static void ports_bits(void)
{
	struct so_ports ports;
	unsigned int n = 0;
	char *err;

	capture_begin();
	ports_parse("1,80,8000-8002,65535", &ports);
	err = capture_end();
	free(err);
	for (unsigned int p = 0; p <= 65535; p++)
		n += ports_has(&ports, p);
	check_long("ports.bits.count", 6, n);
	check_long("ports.bits.port_0_clear", 0, ports_has(&ports, 0));
	check_long("ports.bits.port_1", 1, ports_has(&ports, 1));
	check_long("ports.bits.port_8002", 1, ports_has(&ports, 8002));
	check_long("ports.bits.port_8003_clear", 0, ports_has(&ports, 8003));
	check_long("ports.bits.port_65535", 1, ports_has(&ports, 65535));
}

void test_ports(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ports_case(&rows[i]);
	ports_bits();
}
