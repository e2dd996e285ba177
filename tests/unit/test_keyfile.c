// SPDX-License-Identifier: GPL-2.0
/*
 * test_keyfile.c - the key file's format (user/keyfile.c), without BPF and
 * without root: a table of {file bytes, keys expected or the error's words},
 * and the fingerprints.
 */
#include <string.h>

#include "cases.h"
#include "harness.h"
#include "keyfile.h"

/* Fixture rows leave their trailing fields zero on purpose. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define HEX_A "000102030405060708090a0b0c0d0e0f"
#define HEX_B "ffeeddccbbaa99887766554433221100"
#define KEY_A { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
#define KEY_B { 0x8899aabbccddeeffULL, 0x0011223344556677ULL }

struct keyfile_case {
	const char *name;
	const char *text;
	size_t len;          /* 0: strlen(text) */
	int nkeys;           /* expected keys, or -1 for an error */
	__u64 first[2], second[2];
	const char *err;     /* words the error must hold */
};

static const struct keyfile_case keyfile_cases[] = {
	{ "keyfile_raw_16_bytes", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
	  16, 1, KEY_A },
	{ "keyfile_hex_one", HEX_A, 0, 1, KEY_A },
	{ "keyfile_hex_one_newline", HEX_A "\n", 0, 1, KEY_A },
	{ "keyfile_hex_upper", "000102030405060708090A0B0C0D0E0F\n", 0, 1, KEY_A },
	{ "keyfile_two_keys", HEX_A "\n" HEX_B "\n", 0, 2, KEY_A, KEY_B },
	{ "keyfile_two_keys_order", HEX_B "\n" HEX_A "\n", 0, 2, KEY_B, KEY_A },
	{ "keyfile_comments_blank_crlf",
	  "# fleet keys, pushed by config management\r\n\r\n  " HEX_A "  # new\r\n\n\t" HEX_B
	  "\t#old\n# end", 0, 2, KEY_A, KEY_B },
	{ "keyfile_no_final_newline", HEX_A "\n" HEX_B, 0, 2, KEY_A, KEY_B },
	{ "keyfile_eight_keys", HEX_A "\n00000000000000000000000000000001\n"
	  "00000000000000000000000000000002\n00000000000000000000000000000003\n"
	  "00000000000000000000000000000004\n00000000000000000000000000000005\n"
	  "00000000000000000000000000000006\n" HEX_B "\n", 0, 8, KEY_A },
	{ "keyfile_nine_keys", HEX_A "\n00000000000000000000000000000001\n"
	  "00000000000000000000000000000002\n00000000000000000000000000000003\n"
	  "00000000000000000000000000000004\n00000000000000000000000000000005\n"
	  "00000000000000000000000000000006\n00000000000000000000000000000007\n" HEX_B "\n",
	  0, -1, { 0 }, { 0 }, "more than 8 keys (line 9)" },
	{ "keyfile_repeated_key", HEX_A "\n# again\n" HEX_A "\n", 0, -1, { 0 }, { 0 },
	  "line 3 repeats the key of line 1" },
	{ "keyfile_empty", "", 0, -1, { 0 }, { 0 }, "no key" },
	{ "keyfile_only_comments", "# nothing yet\n\n", 0, -1, { 0 }, { 0 }, "no key" },
	{ "keyfile_short_key", "000102030405060708090a0b0c0d0e\n", 0, -1, { 0 }, { 0 },
	  "line 1 is not a key of 32 hex digits" },
	{ "keyfile_long_key", HEX_A "00\n", 0, -1, { 0 }, { 0 }, "line 1 is not a key" },
	{ "keyfile_not_hex", HEX_A "\n000102030405060708090a0b0c0d0e0g\n", 0, -1, { 0 }, { 0 },
	  "line 2 is not a key" },
	{ "keyfile_two_keys_one_line", HEX_A " " HEX_B "\n", 0, -1, { 0 }, { 0 },
	  "line 1 is not a key" },
	{ "keyfile_binary_17_bytes", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10",
	  17, -1, { 0 }, { 0 }, "neither 16 raw bytes (it has 17) nor text" },
	{ "keyfile_16_bytes_of_text", "0123456789abcdef", 0, 1,
	  { 0x3736353433323130ULL, 0x6665646362613938ULL } }, /* 16 bytes are a raw key */
};

static void run_keyfile_case(const struct keyfile_case *c)
{
	size_t len = c->len ? c->len : strlen(c->text);
	struct keyfile kf;
	char err[160] = "";
	int rc = keyfile_parse((const unsigned char *)c->text, len, len, &kf, err, sizeof(err));

	if (c->nkeys < 0) {
		check_u64(rc, (__u64)-1, "keyfile_parse's result (an error)");
		if (!strstr(err, c->err))
			case_fail("error: expected it to hold \"%s\", got \"%s\"", c->err, err);
		return;
	}
	if (!check_u64(rc, 0, "keyfile_parse's result") || !check_u64(kf.n, c->nkeys, "keys"))
		return;
	check_hex(kf.key[0][0], c->first[0], "first key, word 0");
	check_hex(kf.key[0][1], c->first[1], "first key, word 1");
	if (c->nkeys == 2) {
		check_hex(kf.key[1][0], c->second[0], "second key, word 0");
		check_hex(kf.key[1][1], c->second[1], "second key, word 1");
	}
}

/* The fingerprint: stable (the same on every host: the key ids in cookies
 * depend on it), different for different keys, and not the key. */
static void run_fingerprints(void)
{
	const __u64 a[2] = KEY_A, b[2] = KEY_B, a1[2] = { 0x0706050403020101ULL, 0x0f0e0d0c0b0a0908ULL };
	__u32 fa = key_fingerprint(a);

	check_hex(key_fingerprint(a), fa, "fingerprint of A twice");
	check_true(key_fingerprint(b) != fa, "fingerprints of A and B differ");
	check_true(key_fingerprint(a1) != fa, "fingerprints of A and A with one bit flipped differ");
	check_true(fa != (__u32)a[0] && fa != (__u32)(a[0] >> 32), "the fingerprint is not the key");
	/* SipHash-2-4 of A's 16 bytes under the key "shakeoffkeyprint" (the
	 * reference, ref.c): a change of the function is a change of every
	 * fleet's key ids */
	const __u8 *fpkey = (const __u8 *)"shakeoffkeyprint";
	__u8 m[16];

	memcpy(m, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16);
	check_hex(fa, (__u32)ref_siphash(fpkey, m, 16), "fingerprint = low 32 bits of SipHash-2-4");
}

void test_keyfile(void)
{
	RUN_TABLE(keyfile_cases, run_keyfile_case);
	if (case_begin("keyfile_fingerprint")) {
		run_fingerprints();
		case_end();
	}
}
