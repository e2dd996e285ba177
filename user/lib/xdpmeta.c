// SPDX-License-Identifier: GPL-2.0
/*
 * xdpmeta.c - the bpf_xdp_adjust_meta probe (xdpmeta.h). No I/O but the
 * load, no log: the unit tests and test_load share it with attach.
 */
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "xdpmeta.h"

bool probe_xdp_meta(void)
{
	const struct bpf_insn prog[] = {
		/* r2 = -4: r1 is the context already */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_xdp_adjust_meta },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "so_probe_meta", "GPL", prog,
			       sizeof(prog) / sizeof(prog[0]), NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}
