// SPDX-License-Identifier: GPL-2.0
/* live.c - see live.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "live.h"
#include "log.h"
#include "pins.h"

int live_lock(const char *ifname, struct live *l)
{
	l->ifname = ifname;
	l->dir_fd = -1;
	if (pins_find(ifname, l->dir, sizeof(l->dir)))
		return -1;
	l->dir_fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dir_fd < 0 || flock(l->dir_fd, LOCK_EX)) {
		pr_err("cannot lock %s: %s", l->dir, strerror(errno));
		return -1;
	}
	return 0;
}

void live_unlock(struct live *l)
{
	if (l->dir_fd >= 0)
		close(l->dir_fd); /* and with it the lock */
	l->dir_fd = -1;
}

static int access_map(const struct live *l, const char *map, void *value, bool write)
{
	__u32 zero = 0;
	int fd = pins_open(l->dir, map), err;

	if (fd < 0) {
		pr_err("cannot open %s/%s: %s", l->dir, map, strerror(-fd));
		return -1;
	}
	err = write ? bpf_map_update_elem(fd, &zero, value, BPF_EXIST)
		    : bpf_map_lookup_elem(fd, &zero, value);
	if (err)
		pr_err("cannot %s the %s map of %s: %s", write ? "write" : "read", map, l->ifname,
		       strerror(errno));
	close(fd);
	return err ? -1 : 0;
}

int live_read(const struct live *l, const char *map, void *value)
{
	return access_map(l, map, value, false);
}

int live_write(const struct live *l, const char *map, const void *value)
{
	return access_map(l, map, (void *)value, true);
}
