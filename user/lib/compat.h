/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - what libbpf 1.1 and Debian 12's 6.1 UAPI headers lack.
 *
 * TCX links (Linux 6.6) attach TC programs without a qdisc, as bpf_links
 * that can be pinned like the XDP link. The headers predate them, so the two
 * attach types of enum bpf_attach_type are spelled out here by value (UAPI:
 * they never change). Own names, so that newer headers, which define the
 * real enumerators, do not clash with these.
 */
#pragma once

#define SO_BPF_TCX_INGRESS 46 /* BPF_TCX_INGRESS */
#define SO_BPF_TCX_EGRESS 47  /* BPF_TCX_EGRESS */
