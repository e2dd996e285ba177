// SPDX-License-Identifier: GPL-2.0
/*
 * features.c - kernel feature probes in the kernel's BTF (/sys/kernel/btf/vmlinux):
 *   FUNC bpf_sk_assign_tcp_reqsk      the kfunc that makes a socket of a cookie (6.9):
 *                                     completion mode kfunc, else kernel
 *   STRUCT bpf_tcp_req_attrs          its argument: must match struct so_req_attrs
 *   enum bpf_func_id has BPF_FUNC_tcp_raw_check_syncookie_ipv4
 *                                     the raw cookie helpers of kernel mode (6.0)
 *   enum bpf_attach_type has BPF_TCX_INGRESS   TCX links (6.6); else clsact
 * and, by loading a program: may XDP call bpf_xdp_adjust_meta (xdpmeta.h)
 *
 * SHAKEOFF_VMLINUX_BTF=FILE probes FILE (raw BTF or an ELF object's .BTF)
 * instead: how the tests show each refusal on a kernel that has it all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "features.h"
#include "log.h"
#include "xdpmeta.h"
#include "shakeoff.h"

static bool has_kfunc(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC) >= 0;
}

static int check_req_attrs(const struct btf *btf)
{
	int id = btf__find_by_name_kind(btf, "bpf_tcp_req_attrs", BTF_KIND_STRUCT);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);

	if (!t) {
		pr_err("this kernel lacks struct bpf_tcp_req_attrs, the argument of "
		       "bpf_sk_assign_tcp_reqsk");
		return -1;
	}
	if (t->size != sizeof(struct so_req_attrs)) {
		pr_err("this kernel's struct bpf_tcp_req_attrs is %u bytes, shakeoff knows the "
		       "%zu-byte one; shakeoff needs an update for this kernel",
		       t->size, sizeof(struct so_req_attrs));
		return -1;
	}
	return 0;
}

/* Does the kernel's enum type name have the value val? */
static bool has_enum_value(const struct btf *btf, const char *type, const char *val)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), val))
			return true;
	return false;
}

/* The mode: the kfunc where the kernel has it, else the kernel's own check. */
static int check_complete(const struct btf *btf, int want, struct features *f)
{
	bool kfunc = has_kfunc(btf);

	f->complete = want >= 0 ? want : kfunc ? SO_COMPLETE_KFUNC : SO_COMPLETE_KERNEL;
	if (f->complete == SO_COMPLETE_KFUNC && !kfunc) {
		pr_err("this kernel lacks the kfunc bpf_sk_assign_tcp_reqsk (added in Linux 6.9), "
		       "which --complete kfunc needs; attach without --complete uses the kernel's own "
		       "cookie check");
		return -1;
	}
	if (f->complete == SO_COMPLETE_KFUNC)
		return check_req_attrs(btf);
	if (!has_enum_value(btf, "bpf_func_id", "BPF_FUNC_tcp_raw_check_syncookie_ipv4")) {
		pr_err("this kernel lacks bpf_sk_assign_tcp_reqsk (Linux 6.9) and the raw SYN cookie "
		       "helpers (bpf_tcp_raw_check_syncookie_ipv4, Linux 6.0), one of which shakeoff "
		       "needs to create sockets");
		return -1;
	}
	return 0;
}

int features_check(int want, struct features *f)
{
	const char *path = getenv("SHAKEOFF_VMLINUX_BTF");
	struct btf *btf = path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();
	long err = libbpf_get_error(btf);

	if (err) {
		pr_err("cannot read the kernel's BTF (%s): %s; shakeoff needs a kernel built with "
		       "CONFIG_DEBUG_INFO_BTF", path ? path : "/sys/kernel/btf/vmlinux",
		       strerror(-err));
		return -1;
	}
	err = check_complete(btf, want, f);
	/* TCX links (6.6) where the kernel has them, else clsact filters */
	f->tcx = has_enum_value(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
	f->xdp_meta = probe_xdp_meta();
	btf__free(btf);
	return err ? -1 : 0;
}
