// SPDX-License-Identifier: GPL-2.0
/* sys.c - see sys.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
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

/* What the memory cgroup still lets this process charge, or 0 for no
 * limit: cgroup v2 ("0::PATH", memory.max) or v1 ("N:memory:PATH",
 * memory.limit_in_bytes). */
static unsigned long long cgroup_room(void)
{
	char line[PATH_MAX], path[PATH_MAX + 64];
	const char *max_file = NULL, *cur_file = NULL, *root = NULL, *cg = NULL;
	unsigned long long max, cur;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return 0;
	while (!cg && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		line[strcspn(line, "\n")] = '\0';
		if (!p)
			continue;
		if (strncmp(p, ":memory:", 8) == 0) {
			root = "/sys/fs/cgroup/memory", cg = p + 8;
			max_file = "memory.limit_in_bytes", cur_file = "memory.usage_in_bytes";
		} else if (strncmp(line, "0::", 3) == 0 && !access("/sys/fs/cgroup/cgroup.controllers", F_OK)) {
			root = "/sys/fs/cgroup", cg = line + 3;
			max_file = "memory.max", cur_file = "memory.current";
		}
	}
	fclose(f);
	if (!cg)
		return 0;
	snprintf(path, sizeof(path), "%s%s/%s", root, cg, max_file);
	max = read_ull(path);
	snprintf(path, sizeof(path), "%s%s/%s", root, cg, cur_file);
	cur = read_ull(path);
	if (max == 0 || max >= (1ull << 62)) /* "max", or v1's "no limit" */
		return 0;
	return max > cur ? max - cur : 1;
}

unsigned long long sys_mem_available(void)
{
	unsigned long long kb = 0, room = cgroup_room(), avail;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
				break;
		fclose(f);
	}
	avail = kb * 1024;
	return room && (room < avail || !avail) ? room : avail;
}
