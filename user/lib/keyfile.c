// SPDX-License-Identifier: GPL-2.0
/* keyfile.c - see keyfile.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "keyfile.h"

#define KEY_LEN 16
#define HEX_LEN (2 * KEY_LEN)

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void key_of_bytes(const unsigned char *b, __u64 key[2])
{
	key[0] = key[1] = 0;
	for (int i = 7; i >= 0; i--) {
		key[0] = key[0] << 8 | b[i];
		key[1] = key[1] << 8 | b[8 + i];
	}
}

/* One line (without its '\n'): a key, or nothing. 1 = a key, 0 = none, -1 = bad. */
static int parse_line(const char *s, size_t len, __u64 key[2])
{
	unsigned char raw[KEY_LEN];
	size_t i = 0, end;

	for (end = 0; end < len && s[end] != '#'; end++)
		;
	while (i < end && isspace((unsigned char)s[i]))
		i++;
	while (end > i && isspace((unsigned char)s[end - 1]))
		end--;
	if (i == end)
		return 0;
	if (end - i != HEX_LEN)
		return -1;
	for (size_t b = 0; b < KEY_LEN; b++) {
		int hi = hex_value(s[i + 2 * b]), lo = hex_value(s[i + 2 * b + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		raw[b] = hi << 4 | lo;
	}
	key_of_bytes(raw, key);
	return 1;
}

/* Is line's key already in kf? The 1-based line of the first, or 0. */
static unsigned int repeated(const struct keyfile *kf, const __u64 key[2],
			     const unsigned int *lines)
{
	for (unsigned int i = 0; i < kf->n; i++)
		if (kf->key[i][0] == key[0] && kf->key[i][1] == key[1])
			return lines[i];
	return 0;
}

static int parse_text(const char *s, size_t len, struct keyfile *kf, char *err, size_t errlen)
{
	unsigned int lines[SO_KEYS_MAX], line = 0, first;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (s + pos)) : len - pos;
		__u64 key[2];
		int r = parse_line(s + pos, n, key);

		line++;
		pos += n + 1;
		if (r == 0)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "line %u is not a key of 32 hex digits (nor blank, "
				 "nor a # comment)", line);
			return -1;
		}
		first = repeated(kf, key, lines);
		if (first) {
			snprintf(err, errlen, "line %u repeats the key of line %u", line, first);
			return -1;
		}
		if (kf->n == SO_KEYS_MAX) {
			snprintf(err, errlen, "it has more than %d keys (line %u)", SO_KEYS_MAX, line);
			return -1;
		}
		lines[kf->n] = line;
		memcpy(kf->key[kf->n++], key, sizeof(key));
	}
	if (kf->n == 0) {
		snprintf(err, errlen, "it holds no key");
		return -1;
	}
	return 0;
}

int keyfile_parse(const unsigned char *buf, size_t len, size_t size, struct keyfile *kf,
		  char *err, size_t errlen)
{
	memset(kf, 0, sizeof(*kf));
	if (len == KEY_LEN && size == KEY_LEN) { /* 16 raw bytes: one key */
		key_of_bytes(buf, kf->key[0]);
		kf->n = 1;
		return 0;
	}
	if (len < size) {
		snprintf(err, errlen, "it is larger (%zu bytes) than a file of %d keys can be",
			 size, SO_KEYS_MAX);
		return -1;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "it is neither 16 raw bytes (it has %zu) nor text", len);
		return -1;
	}
	return parse_text((const char *)buf, len, kf, err, errlen);
}

/* --- fingerprints: SipHash-2-4 (the same function the cookies use) ----- */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void sipround(__u64 v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static void sipword(__u64 v[4], __u64 m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

__u32 key_fingerprint(const __u64 key[2])
{
	/* the fixed key: "shakeoff", "keyprint" as little-endian words */
	const __u64 k0 = 0x66666f656b616873ULL, k1 = 0x746e69727079656bULL;
	__u64 v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		       k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };

	sipword(v, key[0]);
	sipword(v, key[1]);
	sipword(v, (__u64)16 << 56);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return (__u32)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}
