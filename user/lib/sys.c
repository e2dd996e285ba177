// SPDX-License-Identifier: GPL-2.0
/* sys.c - see sys.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/sockios.h>

#include "sys.h"

#define BPFFS "/sys/fs/bpf"

int netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

int netns_inode(unsigned long *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

int sysctl_read(const char *name, long *vals, int n)
{
	char path[PATH_MAX];
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (got < n && fscanf(f, "%ld", &vals[got]) == 1)
		got++;
	fclose(f);
	return got > 0 ? got : -EIO;
}

/* An ioctl on an interface of our network namespace. */
static int iface_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

int iface_mtu(const char *ifname, unsigned int *mtu)
{
	struct ifreq ifr = {};
	int err = iface_ioctl(ifname, SIOCGIFMTU, &ifr);

	if (!err)
		*mtu = ifr.ifr_mtu;
	return err;
}

int iface_driver(const char *ifname, char *driver, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };
	int err = iface_ioctl(ifname, SIOCETHTOOL, &ifr);

	if (!err)
		snprintf(driver, len, "%.*s", (int)sizeof(info.driver), info.driver);
	return err;
}

int bpffs_ensure(void)
{
	struct statfs sfs;

	if (statfs(BPFFS, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

unsigned long long clock_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A number from a one-line file (a cgroup's memory.max: "max" is none). */
static unsigned long long read_ull(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The page cache a cgroup holds (memory.stat: active_file and
 * inactive_file, "total_" ones in v1): the kernel reclaims it before it
 * refuses a charge, so it counts as room. */
static unsigned long long cgroup_file_pages(const char *dir, const char *prefix)
{
	char path[SYS_CGROUP_PATH + 128], line[256], key[64];
	unsigned long long v, sum = 0;
	size_t n = strlen(prefix);
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu", key, &v) == 2 && strncmp(key, prefix, n) == 0 &&
		    (strcmp(key + n, "active_file") == 0 || strcmp(key + n, "inactive_file") == 0))
			sum += v;
	fclose(f);
	return sum;
}

/* The memory cgroup hierarchy this process is in: cgroup v1's memory
 * controller ("N:memory:PATH") or cgroup v2 ("0::PATH"). */
struct cgroup_mem {
	const char *root, *max_file, *cur_file, *stat_prefix;
	char path[SYS_CGROUP_PATH];
};

static int cgroup_mem_find(struct cgroup_mem *cg)
{
	char line[SYS_CGROUP_PATH];
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		line[strcspn(line, "\n")] = '\0';
		if (!p)
			continue;
		if (strncmp(p, ":memory:", 8) == 0) {
			*cg = (struct cgroup_mem){ "/sys/fs/cgroup/memory", "memory.limit_in_bytes",
						   "memory.usage_in_bytes", "total_", "" };
			snprintf(cg->path, sizeof(cg->path), "%s", p + 8);
			found = true;
		} else if (strncmp(line, "0::", 3) == 0 &&
			   !access("/sys/fs/cgroup/cgroup.controllers", F_OK)) {
			*cg = (struct cgroup_mem){ "/sys/fs/cgroup", "memory.max", "memory.current",
						   "", "" };
			snprintf(cg->path, sizeof(cg->path), "%s", line + 3);
			found = true;
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* What the memory cgroup at dir still lets be charged (its limit less its
 * usage, page cache counted as free), or ULLONG_MAX for no limit. */
static unsigned long long cgroup_dir_room(const struct cgroup_mem *cg, const char *dir)
{
	char path[SYS_CGROUP_PATH + 128];
	unsigned long long max, cur, file;

	snprintf(path, sizeof(path), "%s/%s", dir, cg->max_file);
	max = read_ull(path);
	if (max == 0 || max >= (1ull << 62)) /* "max", v1's "no limit", or unreadable */
		return ULLONG_MAX;
	snprintf(path, sizeof(path), "%s/%s", dir, cg->cur_file);
	cur = read_ull(path);
	file = cgroup_file_pages(dir, cg->stat_prefix);
	cur = cur > file ? cur - file : 0;
	return max > cur ? max - cur : 0;
}

/* The least room of this process's memory cgroup and its ancestors: a
 * charge fails at the first level that is full. */
static unsigned long long cgroup_room(char *which, size_t len)
{
	struct cgroup_mem cg;
	unsigned long long best = ULLONG_MAX, room;
	char dir[SYS_CGROUP_PATH + 64];

	if (cgroup_mem_find(&cg))
		return best;
	for (;;) {
		char *slash = strrchr(cg.path, '/');

		snprintf(dir, sizeof(dir), "%s%s", cg.root, cg.path);
		room = cgroup_dir_room(&cg, dir);
		if (room < best) {
			best = room;
			snprintf(which, len, "%s of cgroup %s", cg.max_file,
				 cg.path[0] ? cg.path : "/");
		}
		if (!slash || !cg.path[0])
			break;
		*slash = '\0';
	}
	return best;
}

int sys_mem_room(struct sys_mem *m)
{
	unsigned long long kb = 0, room;
	char line[sizeof(m->bound)];
	FILE *f = fopen("/proc/meminfo", "r");

	m->bytes = ULLONG_MAX;
	snprintf(m->bound, sizeof(m->bound), "MemAvailable");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
				break;
		fclose(f);
	}
	if (kb)
		m->bytes = kb * 1024;
	room = cgroup_room(line, sizeof(line));
	if (room < m->bytes) {
		m->bytes = room;
		snprintf(m->bound, sizeof(m->bound), "%s", line);
	}
	return m->bytes == ULLONG_MAX ? -ENOENT : 0;
}
