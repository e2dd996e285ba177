// SPDX-License-Identifier: GPL-2.0
/* pins.c - see pins.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "multiprog.h"
#include "pins.h"
#include "sys.h"
#include "tc.h"
#include "shakeoff.h"

#define TMP_TAG ":tmp-"

/* Did snprintf fit? */
static int path_fmt(size_t len, int n)
{
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pins_ns_dir(char *buf, size_t len)
{
	unsigned long ino;
	int err = netns_inode(&ino);

	if (err)
		return err;
	return path_fmt(len, snprintf(buf, len, "%s/ns-%lu", PIN_ROOT, ino));
}

/* The directory name of an interface name: see pins.h. */
void pins_encode_ifname(const char *ifname, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = ifname; *p && n + 4 <= len; p++) {
		if (*p == '.' || *p == '%')
			n += snprintf(out + n, len - n, "%%%02x", *p);
		else
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* And back; false if name is not one that pins_encode_ifname makes. */
bool pins_decode_ifname(const char *name, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = name; *p; p++) {
		if (n + 1 >= len || *p == '.' || *p == ':')
			return false;
		if (*p != '%') {
			out[n++] = *p;
		} else if (!strncmp(p, "%2e", 3) || !strncmp(p, "%25", 3)) {
			out[n++] = p[2] == 'e' ? '.' : '%';
			p += 2;
		} else {
			return false;
		}
	}
	out[n] = '\0';
	return n > 0;
}

int pins_iface_dir(const char *ifname, char *buf, size_t len)
{
	char ns[PATH_MAX], name[64];
	int err = pins_ns_dir(ns, sizeof(ns));

	pins_encode_ifname(ifname, name, sizeof(name));
	return err ? err : path_fmt(len, snprintf(buf, len, "%s/%s", ns, name));
}

int pins_tmp_dir(const char *ifname, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int err = pins_iface_dir(ifname, dir, sizeof(dir));

	if (err)
		return err;
	return path_fmt(len, snprintf(buf, len, "%s" TMP_TAG "%ld", dir, (long)getpid()));
}

bool pins_tmp_name(const char *name, long *pid)
{
	const char *tag = NULL, *digits;
	char *end;

	for (const char *p = strstr(name, TMP_TAG); p; p = strstr(p + 1, TMP_TAG))
		tag = p;
	if (!tag)
		return false;
	digits = tag + strlen(TMP_TAG);
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return false;
	*pid = strtol(digits, &end, 10);
	return true;
}

static int mkdir_if_missing(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int pins_make_ns_dir(void)
{
	char ns[PATH_MAX];
	int err = pins_ns_dir(ns, sizeof(ns));

	if (!err)
		err = mkdir_if_missing(PIN_ROOT);
	if (!err)
		err = mkdir_if_missing(ns);
	return err;
}

void pins_remove_empty_dirs(void)
{
	char ns[PATH_MAX];

	if (pins_ns_dir(ns, sizeof(ns)) == 0)
		rmdir(ns); /* fails, as it should, unless empty */
	rmdir(PIN_ROOT);
}

int pins_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (path_fmt(sizeof(path), snprintf(path, sizeof(path), "%s/%s", dir, name)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* XDP first: stop answering SYNs before the TC side goes away. */
static int detach_links(const char *dir)
{
	static const char *const links[] = { PIN_LINK_XDP, PIN_LINK_TC_INGRESS,
					     PIN_LINK_TC_EGRESS };
	int err = 0;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		int fd = pins_open(dir, links[i]);

		if (fd == -ENOENT && i == 0) {
			/* no XDP link: attached through libxdp's dispatcher, or not yet */
			int e = multiprog_detach(dir);

			if (e && e != -ENOENT) {
				pr_debug("cannot take %s's program out of the dispatcher: %s", dir,
					 strerror(-e));
				err = e;
			}
			continue;
		}
		if (fd == -ENOENT)
			continue;
		if (fd < 0 || bpf_link_detach(fd)) {
			int e = fd < 0 ? fd : -errno;

			pr_debug("cannot detach %s/%s: %s", dir, links[i], strerror(-e));
			err = err ? err : e;
		}
		if (fd >= 0)
			close(fd);
	}
	return err;
}

/* Unlink every pin in dir, then dir itself. */
static int remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && !err)
		err = -errno;
	return err;
}

bool pins_tc_is_tcx(const char *dir)
{
	int fd = pins_open(dir, PIN_LINK_TC_EGRESS);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* The interface of dir's attachment, from its config map; 0 if unknown. */
static int config_ifindex(const char *dir)
{
	struct so_config cfg = {};
	__u32 zero = 0;
	int fd = pins_open(dir, "config");

	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		cfg.ifindex = 0;
	close(fd);
	return cfg.ifindex;
}

/* A TC program pinned without its link runs as a clsact filter (tc.h).
 * Its interface may be gone, with the filter: then there is nothing to do. */
static int detach_filters(const char *dir, int ifindex)
{
	static const struct { const char *prog, *link; bool ingress; } tc[] = {
		{ PIN_PROG_TC_INGRESS, PIN_LINK_TC_INGRESS, true },
		{ PIN_PROG_TC_EGRESS, PIN_LINK_TC_EGRESS, false },
	};
	int err = 0;

	for (size_t i = 0; ifindex > 0 && i < sizeof(tc) / sizeof(tc[0]); i++) {
		int link = pins_open(dir, tc[i].link), prog, e;

		if (link >= 0) {
			close(link);
			continue;
		}
		prog = pins_open(dir, tc[i].prog);
		if (prog < 0)
			continue;
		e = tc_clsact_detach(ifindex, tc[i].ingress, prog);
		close(prog);
		if (e) {
			pr_debug("cannot remove the clsact filter of %s/%s: %s", dir, tc[i].prog,
				 strerror(-e));
			err = err ? err : e;
		}
	}
	return err;
}

/* XDP first (detach_links), so that no SYN is answered once TC is gone. The
 * ifindex of an orphan's config is another namespace's: a filter of that
 * index here is removed only if it runs our pinned program. */
int pins_teardown(const char *dir)
{
	int ifindex = config_ifindex(dir), err, err2;

	err = detach_links(dir);
	err = detach_filters(dir, ifindex) ?: err;
	err2 = remove_dir(dir);
	return err ? err : err2;
}

int pins_xdp_ifindex(const char *dir)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = pins_open(dir, PIN_LINK_XDP), ret;

	if (fd == -ENOENT)
		return multiprog_ifindex(dir); /* attach --multiprog pins no XDP link */
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		ret = -errno;
	else
		ret = info.type == BPF_LINK_TYPE_XDP ? (int)info.xdp.ifindex : -EINVAL;
	close(fd);
	return ret;
}

/* An orphan's XDP link is there but attached to nothing. */
static bool orphaned(const char *dir)
{
	return pins_xdp_ifindex(dir) == 0;
}

/* The orphans in one PIN_ROOT/ns-* directory; removes it if it empties. */
static void reclaim_in(const char *ns)
{
	char path[PATH_MAX], ifname[64];
	struct dirent *e;
	DIR *d = opendir(ns);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !pins_decode_ifname(e->d_name, ifname, sizeof(ifname)) ||
		    path_fmt(sizeof(path), snprintf(path, sizeof(path), "%s/%s", ns, e->d_name)) ||
		    !orphaned(path))
			continue;
		pins_teardown(path);
		pr_info("removed %s: the interface %s it was attached to is gone (deleted, or its "
			"network namespace)", path, ifname);
	}
	closedir(d);
	rmdir(ns); /* fails, as it should, unless empty */
}

void pins_reclaim_orphans(void)
{
	char ns[PATH_MAX];
	struct dirent *e;
	DIR *root = opendir(PIN_ROOT);

	if (!root)
		return;
	while ((e = readdir(root))) {
		if (e->d_type != DT_DIR || strncmp(e->d_name, "ns-", 3) ||
		    path_fmt(sizeof(ns), snprintf(ns, sizeof(ns), "%s/%s", PIN_ROOT, e->d_name)))
			continue;
		reclaim_in(ns);
	}
	closedir(root);
	rmdir(PIN_ROOT);
}

void pins_clean_stale(void)
{
	char ns[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	long pid;
	bool removed = false;
	DIR *d;

	pins_reclaim_orphans();
	if (pins_ns_dir(ns, sizeof(ns)) || !(d = opendir(ns)))
		return;
	while ((e = readdir(d))) {
		if (!pins_tmp_name(e->d_name, &pid) || pid_alive(pid))
			continue;
		if (path_fmt(sizeof(path), snprintf(path, sizeof(path), "%s/%s", ns, e->d_name)))
			continue;
		pr_debug("removing %s, left by process %ld that is gone", path, pid);
		pins_teardown(path);
		removed = true;
	}
	closedir(d);
	if (removed)
		pins_remove_empty_dirs();
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append a copy of name to the array. */
static int push_name(char ***names, size_t *count, const char *name)
{
	char **grown = realloc(*names, (*count + 1) * sizeof(**names));

	if (!grown)
		return -ENOMEM;
	*names = grown;
	grown[*count] = strdup(name);
	if (!grown[*count])
		return -ENOMEM;
	(*count)++;
	return 0;
}

int pins_list(char ***names, size_t *count)
{
	char ns[PATH_MAX], ifname[64];
	struct dirent *e;
	DIR *d;
	int err = pins_ns_dir(ns, sizeof(ns));

	*names = NULL;
	*count = 0;
	if (err)
		return err;
	if (!(d = opendir(ns)))
		return errno == ENOENT ? 0 : -errno;
	while (!err && (e = readdir(d)))
		if (e->d_type == DT_DIR && pins_decode_ifname(e->d_name, ifname, sizeof(ifname)))
			err = push_name(names, count, ifname);
	closedir(d);
	qsort(*names, *count, sizeof(**names), cmp_names);
	return err;
}

int pins_find(const char *ifname, char *dir, size_t len)
{
	struct stat st;
	int err = pins_iface_dir(ifname, dir, len);

	if (err) {
		pr_err("cannot find the pins of %s: %s", ifname, strerror(-err));
		return -1;
	}
	if (stat(dir, &st)) {
		if (errno == ENOENT)
			pr_err("%s has no shakeoff attached in this network namespace", ifname);
		else
			pr_err("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
