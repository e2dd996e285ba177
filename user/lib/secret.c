// SPDX-License-Identifier: GPL-2.0
/* secret.c - see secret.h. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "keyfile.h"
#include "log.h"
#include "secret.h"

#define KEY_LEN 16
#define FILE_CAP 65536 /* far more than SO_KEYS_MAX keys with comments */

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

static int keys_from_file(const char *path, struct keyfile *kf)
{
	static unsigned char buf[FILE_CAP];
	char err[160];
	size_t len;
	off_t size;
	int rc;

	if (read_file(path, buf, sizeof(buf), &len, &size))
		return -1;
	if (len == sizeof(buf) && size == (off_t)len) /* not a regular file: size unknown */
		size = len + 1;
	rc = keyfile_parse(buf, len, size, kf, err, sizeof(err));
	explicit_bzero(buf, len);
	if (rc)
		pr_err("secret file %s: %s", path, err);
	return rc;
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

int secret_load(const char *path, struct so_ring *ring)
{
	struct keyfile kf;
	int err = 0;

	memset(ring, 0, sizeof(*ring));
	if (path) {
		err = keys_from_file(path, &kf);
	} else {
		unsigned char raw[KEY_LEN];

		kf.n = 1;
		err = key_random(raw);
		memcpy(kf.key[0], raw, sizeof(raw));
		kf.key[0][0] = le64toh(kf.key[0][0]);
		kf.key[0][1] = le64toh(kf.key[0][1]);
		explicit_bzero(raw, sizeof(raw));
	}
	if (err == 0) {
		ring->nkeys = kf.n;
		for (unsigned int i = 0; i < kf.n; i++) {
			memcpy(ring->key[i].k, kf.key[i], sizeof(kf.key[i]));
			ring->key[i].fp = key_fingerprint(kf.key[i]);
		}
	}
	explicit_bzero(&kf, sizeof(kf));
	return err;
}

int ring_find(const struct so_ring *ring, const __u64 k[2])
{
	for (unsigned int i = 0; i < ring->nkeys && i < SO_KEYS_MAX; i++)
		if (ring->key[i].k[0] == k[0] && ring->key[i].k[1] == k[1])
			return (int)i;
	return -1;
}

__u64 key_needed_s(const struct so_key *k, unsigned int slot, __u64 now)
{
	__u64 issued = slot == 0 ? now : k->issued_tai_ns;

	if (issued == 0 || issued + KEY_LIFETIME_NS <= now)
		return 0;
	return (issued + KEY_LIFETIME_NS - now + 999999999) / 1000000000;
}
