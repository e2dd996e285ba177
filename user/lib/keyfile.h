/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keyfile.h - the key file's format, and key fingerprints. No I/O and no
 * logging, so that the unit tests can reach the parser.
 *
 * A key file is either 16 raw bytes (one key), or text: one key a line, as
 * 32 hex digits; '#' starts a comment (a whole line, or after the key);
 * blank lines and spaces around a key are ignored; CRLF line ends are taken.
 * The first key issues cookies, the others only validate them. At most
 * SO_KEYS_MAX keys, no key twice.
 */
#pragma once

#include <stddef.h>
#include <linux/types.h>

#include "shakeoff.h"

/* The keys of a file, in its order (key[i][0] = bytes 0-7 little-endian). */
struct keyfile {
	__u64 key[SO_KEYS_MAX][2];
	unsigned int n;
};

/* Parse len bytes of a file of real size size. 0, or -1 with one sentence
 * (without the file's name) in err. */
int keyfile_parse(const unsigned char *buf, size_t len, size_t size, struct keyfile *kf,
		  char *err, size_t errlen);

/* A key's fingerprint: SipHash-2-4 of its 16 bytes under a fixed public key,
 * low 32 bits. Shows which key is which (status, rekey's messages) without
 * showing the key; its low bits are the key id of the timestamp cookies. */
__u32 key_fingerprint(const __u64 key[2]);
