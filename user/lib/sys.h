/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sys.h - what the CLI asks the system: network namespaces, sysctls,
 * interfaces, bpffs. All functions return 0 or a negative errno and print
 * nothing: the caller knows what the user asked for and says what failed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Join the network namespace /run/netns/NAME; keep our mount namespace, so
 * /sys/fs/bpf stays the caller's. */
int netns_enter(const char *name);

/* Inode number of our network namespace (/proc/self/ns/net). */
int netns_inode(unsigned long *ino);

/* Read up to n integers from /proc/sys/NAME (e.g. "net/ipv4/tcp_rmem") of
 * our network namespace; returns how many were read, or a negative errno. */
int sysctl_read(const char *name, long *vals, int n);

int iface_mtu(const char *ifname, unsigned int *mtu);

/* The driver name the interface reports to ethtool ("veth", "virtio_net"). */
int iface_driver(const char *ifname, char *driver, size_t len);

/* Mount bpffs on /sys/fs/bpf unless it is there already. */
int bpffs_ensure(void);

bool pid_alive(pid_t pid);

/* Nanoseconds on a clock (CLOCK_REALTIME, CLOCK_TAI, CLOCK_MONOTONIC). */
unsigned long long clock_ns(int clock);

/* Bytes of memory the kernel may still allocate for this process (a BPF
 * map is charged to its memory cgroup): MemAvailable, or less if the
 * memory cgroup or one of its ancestors has a limit (memory.max in v2,
 * memory.limit_in_bytes in v1, less usage, page cache counted as free).
 * bound names the figure that set it ("MemAvailable", "memory.max of
 * cgroup /a/b"). -ENOENT when none can be read. */
#define SYS_CGROUP_PATH 1024 /* longer cgroup paths are cut */
struct sys_mem {
	unsigned long long bytes;
	char bound[SYS_CGROUP_PATH + 64];
};
int sys_mem_room(struct sys_mem *m);
