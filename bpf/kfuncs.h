/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfuncs.h - kfunc declarations that libbpf 1.1 and bpftool 7.1 do not provide.
 *
 * bpftool 7.1 emits no kfunc prototypes, so bpf_sk_assign_tcp_reqsk is
 * declared here exactly as the kernel declares it since 6.11 (struct
 * __sk_buff *); its attrs argument is a sized buffer (attrs__sz), for which
 * struct so_req_attrs from include/shakeoff.h is used.
 *
 * It is __weak: on kernels without it (6.0 to 6.8) libbpf 1.1 leaves the
 * call unresolved (imm 0) instead of failing the whole object, and the one
 * program that calls it, tc_ingress, is not loaded there (SEC("?tc"), the
 * CLI turns its autoload on in kfunc mode only). A 6.1 verifier would
 * refuse the unresolved call even in dead code, so it must never reach one.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The kernel's struct sock, opaque here. libbpf checks the kfunc prototype
 * against the kernel's BTF and wants a struct, not a forward declaration;
 * only the kind is compared, never the members. */
struct sock {
	__u8 __opaque;
};

struct so_req_attrs;

/* The one field of the kernel's struct tcp_sock that shakeoff reads, by
 * CO-RE (its offset from the running kernel's BTF): an MPTCP listener's
 * TCP socket has it set. Absent without CONFIG_MPTCP. */
struct tcp_sock___so {
	_Bool is_mptcp;
} __attribute__((preserve_access_index));

/* Kernel floor 6.9 (6.11 for this prototype): turn a cookie ACK into a request
 * socket of the listener sk; the kernel completes it into a child socket. */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk, struct so_req_attrs *attrs,
				   int attrs__sz) __ksym __weak;

/* The kernel's struct bpf_map, opaque here (as struct sock above). */
struct bpf_map {
	__u8 __opaque;
};

/* Kernel floor 6.6: the elements of a map, summed over the CPUs' counts;
 * weak, so that the object loads without it (the table's count is then
 * the data path's own, which LRU evictions make drift). */
extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym __weak;
