// SPDX-License-Identifier: GPL-2.0
/* tc.c - see tc.h. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tc.h"

static void hook_init(struct bpf_tc_hook *h, int ifindex, bool ingress)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

int tc_clsact_attach(int ifindex, bool ingress, int prog_fd, bool *made_qdisc)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SO_TC_HANDLE, .priority = SO_TC_PRIORITY,
		    .prog_fd = prog_fd);
	int err;

	hook_init(&hook, ifindex, ingress);
	err = bpf_tc_hook_create(&hook); /* the clsact qdisc, for both directions */
	if (err && err != -EEXIST)
		return err;
	if (!err)
		*made_qdisc = true;
	return bpf_tc_attach(&hook, &opts);
}

int tc_clsact_detach(int ifindex, bool ingress, int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SO_TC_HANDLE, .priority = SO_TC_PRIORITY);
	int err;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	hook_init(&hook, ifindex, ingress);
	err = bpf_tc_query(&hook, &opts);
	if (err == -ENOENT || err == -ENODEV || err == -EINVAL)
		return 0; /* no filter of ours there (or no interface, no qdisc) */
	if (err)
		return err;
	if (opts.prog_id != info.id)
		return 0; /* someone else's now */
	opts.prog_id = 0;
	opts.prog_fd = 0;
	opts.flags = 0;
	return bpf_tc_detach(&hook, &opts);
}

void tc_clsact_destroy(int ifindex)
{
	struct bpf_tc_hook hook;

	hook_init(&hook, ifindex, true);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
}
