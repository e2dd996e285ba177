/* SPDX-License-Identifier: GPL-2.0 */
/*
 * live.h - changing an attachment while it runs (set, allow, deny, top).
 *
 * Their changes to the config map are read-modify-write of the whole
 * struct so_config, written back with one map update, so the programs see
 * either the old value or the new one. Two such commands at once would lose
 * one's change; they serialize on an exclusive flock of the attachment's
 * pin directory.
 */
#pragma once

#include <limits.h>

#include "shakeoff.h"

struct live {
	const char *ifname;
	char dir[PATH_MAX];
	int dir_fd; /* holds the lock */
};

/* Find ifname's attachment and lock it. 0, or -1 after one sentence. */
int live_lock(const char *ifname, struct live *l);
void live_unlock(struct live *l);

/* Read or write the pinned map name, key 0 (config, ports). 0, or -1 after one sentence. */
int live_read(const struct live *l, const char *map, void *value);
int live_write(const struct live *l, const char *map, const void *value);
