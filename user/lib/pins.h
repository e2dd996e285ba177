/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pins.h - where an attachment lives in bpffs.
 *
 *   /sys/fs/bpf/shakeoff/ns-<netns inode>/<IFACE>/
 *       config ports secret stats conns sweeper ...        maps (all of them)
 *       prog_xdp prog_tc_ingress prog_tc_egress            programs
 *       link_xdp link_tc_ingress link_tc_egress            links
 *
 * Completion mode kernel has no tc_ingress. Without TCX (before 6.6) the TC
 * programs are clsact filters, not links: no link_tc_* then (see tc.h).
 *
 * The inode of the network namespace keeps two namespaces' pins apart. An
 * attach pins everything into the sibling <IFACE>:tmp-<pid> and renames it
 * into place, so the final directory is always complete; a detach renames it
 * back to a tmp name before it tears it down. A tmp directory whose process
 * is gone (a killed attach or detach) is stale and removed by the next
 * attach, detach, status, stats or rekey in that namespace. An attachment
 * whose interface is gone (deleted, or with its namespace) is an orphan,
 * removed by the next of these commands in any namespace.
 *
 * bpffs refuses any name with a dot in it (reserved for the kernel's own
 * files), so <IFACE> is the interface name with '.' written as "%2e" and
 * '%' as "%25": "eth0.100" lives in "eth0%2e100". Interface names never
 * contain ':', so a name with ':' is never an attachment.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define PIN_ROOT "/sys/fs/bpf/shakeoff"

#define PIN_LINK_XDP "link_xdp"
#define PIN_LINK_TC_INGRESS "link_tc_ingress"
#define PIN_LINK_TC_EGRESS "link_tc_egress"
#define PIN_PROG_XDP "prog_xdp"
#define PIN_PROG_TC_INGRESS "prog_tc_ingress"
#define PIN_PROG_TC_EGRESS "prog_tc_egress"
/* maps are pinned under their own names: config, ports, secret, stats, conns, ... */

/* An interface name as its directory's name ("eth0.100" -> "eth0%2e100"),
 * and back; decoding refuses (false) a name that encoding never makes. */
void pins_encode_ifname(const char *ifname, char *out, size_t len);
bool pins_decode_ifname(const char *name, char *out, size_t len);

/* PIN_ROOT/ns-<inode> of our network namespace. */
int pins_ns_dir(char *buf, size_t len);

/* PIN_ROOT/ns-<inode>/<ifname>, and its tmp sibling for this process. */
int pins_iface_dir(const char *ifname, char *buf, size_t len);
int pins_tmp_dir(const char *ifname, char *buf, size_t len);

/* Is name "<IFACE>:tmp-<pid>"? Then *pid is set. */
bool pins_tmp_name(const char *name, long *pid);

/* Create PIN_ROOT/ns-<inode> (and PIN_ROOT) if missing. */
int pins_make_ns_dir(void);

/* Remove PIN_ROOT/ns-<inode> and PIN_ROOT if they are empty. */
void pins_remove_empty_dirs(void);

/* Tear down the tmp directories of processes that are gone, in our
 * namespace, and the orphans of every namespace (pins_reclaim_orphans). */
void pins_clean_stale(void);

/* Tear down every attachment, in any PIN_ROOT/ns-* directory, whose XDP
 * link no longer has an interface: the interface was deleted, or its whole
 * namespace was. Nothing else would ever free it (its pins hold the
 * programs and maps), and no command can reach a namespace that is gone.
 * Says what it removed. */
void pins_reclaim_orphans(void);

/* Are the TC programs of dir TCX links (else clsact filters)? */
bool pins_tc_is_tcx(const char *dir);

/* Detach the links pinned in dir (and clsact filters of its programs),
 * unlink every pin, remove dir. Returns 0
 * or the first negative errno; always goes on as far as it can. */
int pins_teardown(const char *dir);

/* The ifindex the pinned XDP link of dir is attached to: 0 once its
 * interface is unregistered (the kernel clears the link's device and keeps
 * the link), or a negative errno without a readable link. */
int pins_xdp_ifindex(const char *dir);

/* bpf_obj_get(dir/name): a file descriptor, or a negative errno. */
int pins_open(const char *dir, const char *name);

/* Interface names attached in our namespace, sorted; free each and the array. */
int pins_list(char ***names, size_t *count);

/* The directory of ifname's attachment, or -1 after saying that there is none. */
int pins_find(const char *ifname, char *dir, size_t len);
