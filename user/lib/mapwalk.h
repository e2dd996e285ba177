/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mapwalk.h - read every entry of a hash map (conns, sources) with the
 * kernel's batch lookups: entries that the BPF side adds or removes during
 * the walk never make it start over or repeat an entry, as a walk by
 * get_next_key may.
 */
#pragma once

#include <stddef.h>

/* Called per entry; a non-zero return stops the walk and is returned. */
typedef int (*mapwalk_fn)(const void *key, const void *value, void *ctx);

/*
 * Walk the hash map fd whose keys are key_size bytes and whose values, as a
 * lookup returns them, are value_size bytes (for a per-CPU map: the value
 * rounded up to 8, times the possible CPUs). 0, or a negative errno.
 */
int mapwalk(int fd, size_t key_size, size_t value_size, mapwalk_fn fn, void *ctx);
