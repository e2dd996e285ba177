/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdpmeta.h - may XDP programs call bpf_xdp_adjust_meta on this kernel? Some
 * kernels refuse the helper to XDP, and the verifier then rejects a program
 * whose call is live: shakeoff's rodata so_xdp_meta follows this probe, and
 * the decoded cookie goes to TC in the map ackmeta instead (bpf/meta.h).
 */
#pragma once

#include <stdbool.h>

/* Loads a three-instruction XDP program that calls the helper. libbpf 1.1's
 * libbpf_probe_bpf_helper() cannot tell: it knows the verifier's "unknown
 * func" refusal, not "program of this type cannot use helper". */
bool probe_xdp_meta(void);
