// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_pass.bpf.c - the smallest XDP program: pass everything.
 *
 * test_txmode.sh loads it on the client's veth. On a veth, a frame sent with
 * XDP_TX reaches the peer only when the peer runs an XDP program (otherwise
 * it waits in the peer's ring), so `--tx xdp` needs this on the other end.
 */
#include <linux/bpf.h>

__attribute__((section("xdp"), used)) int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";
