/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secret.h - the cookie key ring: from --secret-file (the format is in
 * keyfile.h: 16 raw bytes, or one key of 32 hex digits a line) or one key
 * fresh from getrandom().
 */
#pragma once

#include <linux/types.h>

#include "shakeoff.h"

/* The keys of path (NULL: one random key) into ring, in the file's order,
 * with their fingerprints; no key retiring, none has issued. On failure,
 * says what is wrong with the file and returns -1. */
int secret_load(const char *path, struct so_ring *ring);

/* The ring's slot of key k, or -1. */
int ring_find(const struct so_ring *ring, const __u64 k[2]);

#define KEY_LIFETIME_NS (SO_COOKIE_LIFETIME_S * 1000000000ull)

/* Seconds that key k (of slot slot in the ring in force) is still needed,
 * its cookies possibly in flight: rekey refuses to drop it before (0 = may
 * go). now: CLOCK_TAI. */
__u64 key_needed_s(const struct so_key *k, unsigned int slot, __u64 now);
