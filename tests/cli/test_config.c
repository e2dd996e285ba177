// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - --config option files (user/lib/options.c): each row is
 * a file's text and the command line around it, and either the arguments
 * they make together or the one sentence, with the file and line, that
 * refuses them. In a message, @ stands for the file's path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opt_table.h"

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define D(num) "if=eth0 flag=0 count=0 str=- num=" num " choice=- secs=- ports=80 fixed=-"

struct config_row {
	const char *name;
	const char *text;         /* the file; NULL: no such file */
	const char *const *words; /* the command line; the --config option is added */
	enum opt_result result;
	const char *err;  /* stderr, whole, @ for the path */
	const char *args; /* OPTS_OK: t_args_describe() */
};

#define CMD W("eth0", "-p", "80")

static const struct config_row rows[] = {
	{ "space", "num 20\n", CMD, OPTS_OK, "", D("20") },
	{ "equals", "num=20\n", CMD, OPTS_OK, "", D("20") },
	{ "equals_spaced", "num = 20\n", CMD, OPTS_OK, "", D("20") },
	{ "dashes", "--num 20\n", CMD, OPTS_OK, "", D("20") },
	{ "no_final_newline", "num 20", CMD, OPTS_OK, "", D("20") },
	{ "comment_after", "num 20   # the rate\n", CMD, OPTS_OK, "", D("20") },
	{ "comments_blanks", "# shakeoff\n\n   \n\t# more\nnum 20\n", CMD, OPTS_OK, "", D("20") },
	{ "indented_tab", "\tnum\t20\n", CMD, OPTS_OK, "", D("20") },
	{ "crlf", "num 20\r\n", CMD, OPTS_OK, "", D("20") },
	{ "empty_file", "", CMD, OPTS_OK, "", D("-") },
	{ "flag", "flag\ncount\ncount\n", CMD, OPTS_OK, "",
	  "if=eth0 flag=1 count=2 str=- num=- choice=- secs=- ports=80 fixed=-" },
	{ "every_type", "str hello world\nchoice b\nsecs 0.5\nnum 999\n", CMD, OPTS_OK, "",
	  "if=eth0 flag=0 count=0 str=hello world num=999 choice=b secs=0.5 ports=80 fixed=-" },
	{ "required_from_file", "ports 443,80\n", W("eth0"), OPTS_OK, "",
	  "if=eth0 flag=0 count=0 str=- num=- choice=- secs=- ports=80,443 fixed=-" },
	{ "command_line_wins", "num 20\n", W("eth0", "-p", "80", "--num", "30"), OPTS_OK, "",
	  D("30") },
	{ "command_line_wins_ports", "ports 443\n", CMD, OPTS_OK, "", D("-") },
	{ "refused_ignored", "fixed x\nnum 20\n", CMD, OPTS_OK, "", D("20") },
	{ "last_line_wins", "num 20\nnum 40\n", CMD, OPTS_OK, "", D("40") },
	{ "unknown", "num 20\nbogus 1\n", CMD, OPTS_ERROR, "shakeoff: @:2: unknown option 'bogus'\n" },
	{ "positional_named", "iface eth1\n", CMD, OPTS_ERROR,
	  "shakeoff: @:1: unknown option 'iface'\n" },
	{ "nested", "config /etc/other\n", CMD, OPTS_ERROR,
	  "shakeoff: @:1: an option file cannot name another: 'config'\n" },
	{ "flag_with_value", "flag yes\n", CMD, OPTS_ERROR, "shakeoff: @:1: --flag takes no value\n" },
	{ "value_missing", "\n\nnum\n", CMD, OPTS_ERROR, "shakeoff: @:3: --num needs a value\n" },
	{ "value_missing_equals", "num=\n", CMD, OPTS_ERROR, "shakeoff: @:1: --num needs a value\n" },
	{ "value_out_of_range", "num 5\n", CMD, OPTS_ERROR,
	  "shakeoff: @:1: invalid --num '5': expected a number from 10 to 1000\n" },
	{ "bad_enum", "choice d\n", CMD, OPTS_ERROR,
	  "shakeoff: @:1: invalid --choice 'd': expected one of a|b|c\n" },
	{ "bad_seconds", "secs 0\n", CMD, OPTS_ERROR,
	  "shakeoff: @:1: invalid --secs '0': expected seconds greater than 0, like 1 or 0.5\n" },
	{ "bad_ports", "ports 80,\n", W("eth0"), OPTS_ERROR,
	  "shakeoff: @:1: invalid --ports: empty item (two commas in a row, or a comma at either end)\n" },
	{ "required_missing", "num 20\n", W("eth0"), OPTS_ERROR,
	  "shakeoff: missing --ports LIST; see 'shakeoff t --help'\n" },
	{ "missing_file", NULL, CMD, OPTS_ERROR,
	  "shakeoff: cannot read the option file @: No such file or directory\n" },
};

static void config_case(const struct config_row *r, int i)
{
	const char *words[16];
	char file[32], path[256], *err, *want;
	struct t_args a;
	enum opt_result res;
	int n = 0;

	snprintf(file, sizeof(file), "config%d", i);
	snprintf(path, sizeof(path), "%s",
		 r->text ? tmp_file(file, r->text, strlen(r->text)) : tmp_path(file));
	while (r->words[n])
		words[n] = r->words[n], n++;
	words[n++] = "--config";
	words[n++] = path;
	words[n] = NULL;
	t_args_reset(&a);
	res = t_parse(&a, words, &err);
	want = with_path(r->err, path);
	check_long(check_name("config", r->name, "result"), r->result, res);
	check_str(check_name("config", r->name, "stderr"), want, err);
	if (r->args)
		check_str(check_name("config", r->name, "args"), r->args, t_args_describe(&a));
	free(want);
	free(err);
}

void test_config(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		config_case(&rows[i], (int)i);
}
