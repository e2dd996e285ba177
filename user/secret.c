// SPDX-License-Identifier: GPL-2.0
/* secret.c - see secret.h. */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "log.h"
#include "secret.h"

#define KEY_LEN 16
#define HEX_LEN (2 * KEY_LEN)

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 32 hex digits, optionally followed by one newline. */
static int decode_hex(const unsigned char *buf, size_t len, unsigned char *key)
{
	if (len == HEX_LEN + 1 && buf[HEX_LEN] == '\n')
		len--;
	if (len != HEX_LEN)
		return -1;
	for (size_t i = 0; i < KEY_LEN; i++) {
		int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		key[i] = hi << 4 | lo;
	}
	return 0;
}

/* Read the whole file, up to cap bytes; *size is its real size. */
static int read_file(const char *path, unsigned char *buf, size_t cap, size_t *len, off_t *size)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;
	int err = 0;

	if (!f) {
		pr_err("cannot read secret file %s: %s", path, strerror(errno));
		return -1;
	}
	*len = fread(buf, 1, cap, f);
	if (ferror(f)) {
		pr_err("cannot read secret file %s: %s", path, strerror(errno));
		err = -1;
	}
	*size = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : (off_t)*len;
	fclose(f);
	return err;
}

static int key_from_file(const char *path, unsigned char *key)
{
	unsigned char buf[HEX_LEN + 2];
	size_t len;
	off_t size;

	if (read_file(path, buf, sizeof(buf), &len, &size))
		return -1;
	if (len == KEY_LEN && size == KEY_LEN) {
		memcpy(key, buf, KEY_LEN);
		return 0;
	}
	if (len < sizeof(buf) && decode_hex(buf, len, key) == 0)
		return 0;
	if (len == sizeof(buf) && size == (off_t)len) /* not a regular file: size unknown */
		pr_err("secret file %s (more than %zu bytes) is neither 16 raw bytes nor 32 hex "
		       "digits", path, len - 1);
	else
		pr_err("secret file %s (%lld bytes) is neither 16 raw bytes nor 32 hex digits",
		       path, (long long)size);
	return -1;
}

static int key_random(unsigned char *key)
{
	ssize_t n = getrandom(key, KEY_LEN, 0);

	if (n != KEY_LEN) {
		pr_err("cannot get random bytes for the secret: %s",
		       n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	return 0;
}

int secret_load(const char *path, __u64 key[2])
{
	unsigned char raw[KEY_LEN];
	__u64 w[2];

	if (path ? key_from_file(path, raw) : key_random(raw))
		return -1;
	memcpy(w, raw, sizeof(w));
	key[0] = le64toh(w[0]);
	key[1] = le64toh(w[1]);
	return 0;
}
