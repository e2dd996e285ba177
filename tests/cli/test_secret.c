// SPDX-License-Identifier: GPL-2.0
/*
 * test_secret.c - --secret-file (user/lib/secret.c over keyfile.c): real
 * files in a temporary directory, each either the keys it gives, in its
 * order, or the one sentence that refuses it. (The text format's own table
 * is tests/unit/test_keyfile.c.) In a message, @ stands for the file's path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "keyfile.h"
#include "secret.h"

#define HEX_A "0123456789abcdef0123456789abcdef"
#define HEX_B "ffeeddccbbaa99887766554433221100"
/* HEX_A's key as the ring holds it: bytes 0-7 and 8-15, little-endian */
#define A0 0xefcdab8967452301ull
#define B0 0x8899aabbccddeeffull
/* "0123456789abcdef" as 16 raw bytes */
#define RAW0 0x3736353433323130ull
#define RAW1 0x6665646362613938ull
#define NOT_A_KEY(line) "shakeoff: secret file @: line " #line " is not a key of 32 hex digits " \
			"(nor blank, nor a # comment)\n"

struct secret_row {
	const char *name;
	const char *data; /* NULL: the path does not exist */
	size_t len;       /* 0: strlen(data) */
	unsigned int nkeys; /* taken: the ring's keys; 0: refused */
	__u64 k0[2];      /* the first two keys' first word */
	const char *err;  /* stderr, whole, @ for the path */
};

static const struct secret_row rows[] = {
	{ "raw_16", "0123456789abcdef", 16, 1, { RAW0 } },
	{ "hex_one", HEX_A "\n", 0, 1, { A0 } },
	{ "hex_no_newline", HEX_A, 0, 1, { A0 } },
	{ "hex_upper", "0123456789ABCDEF0123456789ABCDEF\n", 0, 1, { A0 } },
	{ "hex_two_in_order", HEX_B "\n" HEX_A "\n", 0, 2, { B0, A0 } },
	{ "comments_blanks_crlf", "# ring of two\r\n\r\n  " HEX_A "  # issues\r\n" HEX_B "\r\n", 0, 2,
	  { A0, B0 } },
	{ "raw_15", "0123456789abcde", 15, 0, { 0 }, NOT_A_KEY(1) },
	{ "raw_17", "0123456789abcdef0", 17, 0, { 0 }, NOT_A_KEY(1) },
	{ "hex_31", "0123456789abcdef0123456789abcde", 0, 0, { 0 }, NOT_A_KEY(1) },
	{ "hex_33", HEX_A "0", 0, 0, { 0 }, NOT_A_KEY(1) },
	{ "not_hex", "0123456789abcdef0123456789abcdeg", 0, 0, { 0 }, NOT_A_KEY(1) },
	{ "bad_second_line", HEX_A "\nxyz\n", 0, 0, { 0 }, NOT_A_KEY(2) },
	{ "two_keys_a_line", HEX_A " " HEX_B "\n", 0, 0, { 0 }, NOT_A_KEY(1) },
	{ "empty", "", 0, 0, { 0 }, "shakeoff: secret file @: it holds no key\n" },
	{ "comments_only", "# no key yet\n\n", 0, 0, { 0 },
	  "shakeoff: secret file @: it holds no key\n" },
	{ "binary_15", "\0\1\2\3\4\5\6\7\10\11\12\13\14\15\16", 15, 0, { 0 },
	  "shakeoff: secret file @: it is neither 16 raw bytes (it has 15) nor text\n" },
	{ "repeated", HEX_A "\n" HEX_B "\n" HEX_A "\n", 0, 0, { 0 },
	  "shakeoff: secret file @: line 3 repeats the key of line 1\n" },
	{ "missing", NULL, 0, 0, { 0 },
	  "shakeoff: cannot read secret file @: No such file or directory\n" },
};

/* Load path; check the result, stderr and (when taken) the keys. */
static void load_case(const char *name, const char *path, unsigned int nkeys, const __u64 *k0,
		      const char *err_want)
{
	struct so_ring ring;
	char *err, *want;
	int rc;

	capture_begin();
	rc = secret_load(path, &ring);
	err = capture_end();
	want = with_path(nkeys ? "" : err_want, path);
	check_long(check_name("secret", name, "result"), nkeys ? 0 : -1, rc);
	check_str(check_name("secret", name, "stderr"), want, err);
	if (nkeys) {
		check_long(check_name("secret", name, "nkeys"), nkeys, ring.nkeys);
		for (unsigned int i = 0; i < nkeys && i < 2; i++) {
			char aspect[32];

			snprintf(aspect, sizeof(aspect), "key%u", i);
			check_long(check_name("secret", name, aspect), (long)k0[i], (long)ring.key[i].k[0]);
			snprintf(aspect, sizeof(aspect), "fingerprint%u", i);
			check_long(check_name("secret", name, aspect), key_fingerprint(ring.key[i].k),
				   ring.key[i].fp);
		}
	}
	free(want);
	free(err);
}

static void row_case(const struct secret_row *r, int i)
{
	char file[32], path[256];

	snprintf(file, sizeof(file), "secret%d", i);
	snprintf(path, sizeof(path), "%s",
		 r->data ? tmp_file(file, r->data, r->len ? r->len : strlen(r->data)) : tmp_path(file));
	load_case(r->name, path, r->nkeys, r->k0, r->err);
}

/* SO_KEYS_MAX keys are taken, one more is refused; a directory; a file
 * larger than any ring's; no file: one random key. */
static void special_cases(void)
{
	char text[(SO_KEYS_MAX + 1) * 33 + 1], want[160], *big;
	const char *path;
	size_t n = 0;
	__u64 k0[2] = { 0, 0 }; /* "0...0N": the byte N is the last, k[1]'s top one */
	struct so_ring r1, r2;
	char *err;
	int rc1, rc2;

	for (unsigned int i = 0; i <= SO_KEYS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - n, "%030x%02x\n", 0, i + 1);
	path = tmp_file("keys_max", text, (size_t)SO_KEYS_MAX * 33);
	load_case("keys_max", path, SO_KEYS_MAX, k0, NULL);
	path = tmp_file("keys_max_plus_1", text, n);
	snprintf(want, sizeof(want), "shakeoff: secret file @: it has more than %d keys (line %d)\n",
		 SO_KEYS_MAX, SO_KEYS_MAX + 1);
	load_case("keys_max_plus_1", path, 0, NULL, want);

	path = tmp_path("a_directory");
	if (mkdir(path, 0700) && errno != EEXIST)
		fail("secret.directory.setup", "mkdir %s: %s", path, strerror(errno));
	load_case("directory", path, 0, NULL, "shakeoff: cannot read secret file @: Is a directory\n");

	big = calloc(1, 70000);
	memset(big, '#', 70000);
	path = tmp_file("too_large", big, 70000);
	free(big);
	snprintf(want, sizeof(want),
		 "shakeoff: secret file @: it is larger (70000 bytes) than a file of %d keys can be\n",
		 SO_KEYS_MAX);
	load_case("too_large", path, 0, NULL, want);

	capture_begin();
	rc1 = secret_load(NULL, &r1);
	rc2 = secret_load(NULL, &r2);
	err = capture_end();
	check_long("secret.random.result", 0, rc1 | rc2);
	check_str("secret.random.stderr", "", err);
	check_long("secret.random.nkeys", 1, r1.nkeys);
	check_long("secret.random.fresh_each_time", 0,
		   r1.key[0].k[0] == r2.key[0].k[0] && r1.key[0].k[1] == r2.key[0].k[1]);
	check_long("secret.random.fingerprint", key_fingerprint(r1.key[0].k), r1.key[0].fp);
	check_long("secret.ring_find.first", 0, ring_find(&r1, r1.key[0].k));
	check_long("secret.ring_find.absent", -1, ring_find(&r1, r2.key[0].k));
	free(err);
}

void test_secret(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		row_case(&rows[i], (int)i);
	special_cases();
}
