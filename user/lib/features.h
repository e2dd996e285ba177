/* SPDX-License-Identifier: GPL-2.0 */
/*
 * features.h - does the running kernel have what shakeoff needs? Probed in
 * the kernel's BTF, never inferred from a version number.
 */
#pragma once

#include <stdbool.h>

/* What attach builds on, decided by the probe. */
struct features {
	int complete; /* enum so_complete: how cookie ACKs become sockets */
	bool tcx;     /* TCX links; else the TC programs are clsact filters */
	bool xdp_meta; /* XDP may call bpf_xdp_adjust_meta; else cookies go to TC in a map */
};

/* Probe the kernel for completion mode want (an enum so_complete, or -1:
 * kfunc where the kernel has it, else kernel) and fill f. 0, or -1 after
 * one sentence naming what is missing. */
int features_check(int want, struct features *f);
