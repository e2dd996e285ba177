/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secret.h - the 128-bit cookie key: from --secret-file (16 raw bytes, or 32
 * hex digits with an optional newline) or fresh from getrandom().
 */
#pragma once

#include <linux/types.h>

/* key[0] = first 8 bytes little-endian, key[1] = the next 8. path NULL:
 * random. On failure, says what is wrong with the file and returns -1. */
int secret_load(const char *path, __u64 key[2]);
