/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tc.h - the TC programs as clsact filters, for kernels without TCX links
 * (before 6.6): a direct-action cls_bpf filter of a fixed handle and
 * priority on the interface's clsact qdisc, made if missing. A filter is
 * not a bpf_link: nothing pins it, so the pinned program of the same
 * direction (and no pinned link) says that it exists, and teardown removes
 * the filter only when it still runs that very program.
 */
#pragma once

#include <stdbool.h>

#define SO_TC_HANDLE 0x5348   /* "SH" */
#define SO_TC_PRIORITY 0xc05e /* one clsact filter of ours per direction */

/* Attach prog_fd on ifindex, ingress or egress. *made_qdisc is set when
 * this call created the clsact qdisc (the undo of a failed attach removes
 * it again). 0 or a negative errno. */
int tc_clsact_attach(int ifindex, bool ingress, int prog_fd, bool *made_qdisc);

/* Remove our filter of that direction if it runs the program prog_fd.
 * 0 (also when there is none), or a negative errno. */
int tc_clsact_detach(int ifindex, bool ingress, int prog_fd);

/* Remove the clsact qdisc (with every filter on it): after a failed attach
 * that made it. */
void tc_clsact_destroy(int ifindex);
