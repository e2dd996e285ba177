/* SPDX-License-Identifier: GPL-2.0 */
/* multiprog.h - shakeoff's XDP program in libxdp's dispatcher (attach --multiprog). */
#pragma once

#include <stdbool.h>
#include <linux/types.h>

struct bpf_object;

/* Whether the kernel loads freplace (BPF_PROG_TYPE_EXT) programs, which the
 * dispatcher needs; says which is missing if not. */
bool multiprog_supported(void);

/* Load obj (its XDP program prog_name as an freplace of a dispatcher slot,
 * the rest as they are) and add that program to ifindex's dispatcher
 * (libxdp makes one, or a new one next to the programs there). skb: generic
 * XDP. 0, or -1 after one sentence. */
int multiprog_attach(struct bpf_object *obj, const char *prog_name, int ifindex, bool skb,
		     const char *ifname);

/* The ifindex whose dispatcher runs the XDP program pinned in dir
 * (PIN_PROG_XDP), found on the ifindex of its config map; 0 if no
 * dispatcher there runs it (the interface is gone); a negative errno if
 * dir has no such pins. */
int multiprog_ifindex(const char *dir);

/* Take the program pinned in dir out of its dispatcher (libxdp rebuilds the
 * dispatcher without it, or removes it when it was the last). 0, -ENOENT
 * when no dispatcher runs it any more, or a negative errno. */
int multiprog_detach(const char *dir);

/* The same for the program of that id (an attach that failed half-way). */
int multiprog_detach_id(__u32 prog_id, int ifindex);
