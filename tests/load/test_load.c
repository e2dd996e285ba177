// SPDX-License-Identifier: GPL-2.0
/*
 * test_load - every BPF program of the given objects must load and pass the
 * kernel's verifier, one program at a time, so that each gets its own line:
 *
 *   test_load OBJ...      ok load/DIR/OBJ/PROG | FAIL ...: verifier log tail
 *                         | skip ...: the kernel lacks what the object needs
 *
 * The names are the paths as given (tests/run.sh gives build/..., and
 * build-clang19/... for the clang 19 build).
 * The verifier's verdict differs by kernel and by compiler, so tests/run.sh
 * runs this on the clang 14 and clang 19 builds, and make vmtest inside each
 * kernel the project claims. An object whose kfunc the kernel lacks cannot
 * load at all (libbpf 1.1 resolves every extern of the object): that is a
 * skip, decided by looking the kfunc up in the kernel's BTF, never by version.
 *
 * An object with completion modes (shakeoff's: the rodata so_complete) is
 * checked in each: the compiler and the verifier see different code in
 * each. A mode whose kfuncs the kernel lacks is a skip (it is never loaded
 * there: attach probes for them). Each ok line gives the verifier's
 * instruction count and stack depth, to compare builds.
 *
 * The verifier's log goes into a buffer of our own, not through libbpf's
 * print callback: libbpf hands the whole log over in one call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "shakeoff.h"
#include "xdpmeta.h"

static char log_buf[1 << 16];
static size_t log_len;

/* libbpf's words (the verifier's log among them); when the buffer fills,
 * its older half goes: the verdict is at the end. */
static int collect(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (log_len + n >= sizeof(log_buf)) {
		memmove(log_buf, log_buf + log_len / 2, log_len - log_len / 2);
		log_len -= log_len / 2;
	}
	memcpy(log_buf + log_len, line, n);
	log_len += n;
	log_buf[log_len] = 0;
	return 0;
}

/* The verifier's log of the program under test (level 1: the failing
 * path; BPF_LOG_STATS: the counts). Older kernels stop writing when it is
 * full; 16 MB holds any one path of shakeoff's. */
#define VLOG_SIZE (16u << 20)
static char *vlog;

/* The verifier's verdict: the lines before its "processed N insns" line (or
 * the end of the log), on one line. */
static const char *log_tail(const char *buf)
{
	static char out[600];
	const char *end = strstr(buf, "\nprocessed ");
	const char *p;
	int lines = 0;
	size_t o = 0;

	end = end ? end : buf + strlen(buf);
	p = end;
	while (p > buf && lines < 4)
		if (*--p == '\n')
			lines++;
	for (; p < end && o < sizeof(out) - 1; p++)
		out[o++] = *p == '\n' ? ' ' : *p;
	out[o] = 0;
	return out;
}

/* "N insns, stack A+B+..." from a BPF_LOG_STATS log, or "". */
static const char *log_stats(const char *buf)
{
	static char out[200];
	const char *pr = strstr(buf, "processed "), *st = strstr(buf, "stack depth ");
	unsigned long insns = 0;
	int n = 0;

	out[0] = 0;
	if (pr && sscanf(pr, "processed %lu insns", &insns) == 1)
		n = snprintf(out, sizeof(out), ": %lu insns", insns);
	if (st && n > 0)
		snprintf(out + n, sizeof(out) - n, ", stack %.*s", (int)strcspn(st + 12, "\n"),
			 st + 12);
	return out;
}

/* A kfunc the object needs and the kernel's BTF lacks, named in libbpf's
 * "extern (func ksym) 'NAME': not found" line; NULL when that is not why. */
static const char *missing_kfunc(void)
{
	static char name[128];
	const char *p = strstr(log_buf, "extern (func ksym) '");
	struct btf *vmlinux;
	size_t n;
	int id;

	if (!p)
		return NULL;
	p += strlen("extern (func ksym) '");
	n = strcspn(p, "'");
	if (n == 0 || n >= sizeof(name))
		return NULL;
	memcpy(name, p, n);
	name[n] = 0;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return NULL;
	id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
	btf__free(vmlinux);
	return id < 0 ? name : NULL;
}

/* The kfunc the object at PATH declares and the kernel's BTF lacks, or
 * NULL. From the ELF's own BTF: libbpf rewrites the externs' when it opens
 * the object. */
static const char *kfunc_lacking(const char *path)
{
	static char name[128];
	struct btf *btf = btf__parse_elf(path, NULL);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const char *why = NULL;
	__u32 id, n;

	if (!btf || !vmlinux)
		goto out;
	n = btf__type_cnt(btf);
	for (id = 1; id < n && !why; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *fn;

		/* a FUNC's vlen is its linkage (libbpf 1.1 has no btf_func_linkage()) */
		if (!btf_is_func(t) || BTF_INFO_VLEN(t->info) != BTF_FUNC_EXTERN)
			continue;
		fn = btf__name_by_offset(btf, t->name_off);
		if (btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) < 0) {
			snprintf(name, sizeof(name), "%s", fn);
			why = name;
		}
	}
out:
	btf__free(vmlinux);
	btf__free(btf);
	return why;
}

/* Whether XDP may call bpf_xdp_adjust_meta here (the rodata so_xdp_meta). */
static bool xdp_meta;

/* Set the object's rodata byte NAME to VAL; false if it has none. */
static bool set_rodata_u8(struct bpf_object *obj, const char *name, __u8 val)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	char *copy;
	size_t size;
	const void *init;
	int id, i;
	bool done = false;

	if (!btf || !m || (id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)) < 0)
		return false;
	sec = btf__type_by_id(btf, id);
	init = bpf_map__initial_value(m, &size);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec) && init; i++, vs++) {
		const char *n = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);

		if (strcmp(n, name) || vs->size != 1 || vs->offset >= size)
			continue;
		copy = malloc(size);
		if (!copy)
			return false;
		memcpy(copy, init, size);
		copy[vs->offset] = (char)val;
		done = !bpf_map__set_initial_value(m, copy, size);
		free(copy);
	}
	return done;
}

static const char *const mode_name[] = {
	[SO_COMPLETE_KFUNC] = "kfunc mode",
	[SO_COMPLETE_KERNEL] = "kernel mode",
};

/* Open OBJ with only program number IDX to load, in completion mode MODE
 * (-1: none), its verifier log at LEVEL into vlog. *MINE: that program;
 * *NO_MODES: set when the object has no completion modes. */
static struct bpf_object *open_one(const char *path, int idx, int mode, __u32 level,
				   struct bpf_program **mine, bool *no_modes)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int i = 0;

	*mine = NULL;
	if (!obj)
		return NULL;
	*no_modes = mode >= 0 && !set_rodata_u8(obj, "so_complete", mode);
	set_rodata_u8(obj, "so_xdp_meta", xdp_meta); /* as attach sets it */
	bpf_object__for_each_program(p, obj) {
		bpf_program__set_autoload(p, i == idx);
		if (i++ == idx)
			*mine = p;
	}
	vlog[0] = 0;
	if (*mine) {
		bpf_program__set_log_buf(*mine, vlog, VLOG_SIZE);
		bpf_program__set_log_level(*mine, level);
	}
	return obj;
}

/* check_prog: load OBJ with only program number IDX, in completion mode
 * MODE (-1: the object has none); prints its line. *NO_MODES: set when the
 * object has no completion modes. */
static int check_prog(const char *path, const char *tag, int idx, int mode, bool *no_modes)
{
	struct bpf_object *obj;
	struct bpf_program *mine;
	const char *why = NULL;
	char name[160] = "?";
	bool again;
	int err;

	log_len = 0;
	log_buf[0] = 0;
	obj = open_one(path, idx, mode, 4 /* BPF_LOG_STATS */, &mine, no_modes);
	if (!obj) {
		printf("FAIL load/%s: cannot open: %s\n", tag, strerror(errno));
		return 1;
	}
	if (*no_modes)
		mode = -1;
	if (mine)
		snprintf(name, sizeof(name), "%s%s%s%s", bpf_program__name(mine),
			 mode >= 0 ? " (" : "", mode >= 0 ? mode_name[mode] : "", mode >= 0 ? ")" : "");
	if (mode == SO_COMPLETE_KERNEL && mine && !strcmp(bpf_program__name(mine), SO_PROG_KFUNC_ONLY)) {
		bpf_object__close(obj); /* attach does not load it in this mode */
		return 0;
	}
	if (mode == SO_COMPLETE_KFUNC && (why = kfunc_lacking(path))) {
		printf("skip load/%s/%s: this kernel lacks the kfunc %s, which the mode needs\n", tag,
		       name, why);
		bpf_object__close(obj);
		return 0;
	}
	err = bpf_object__load(obj);
	if (err && mine) {
		/* again with the path that failed in the log (level 1) */
		bpf_object__close(obj);
		obj = open_one(path, idx, mode, 1, &mine, &again);
		if (!obj)
			return 1;
		err = bpf_object__load(obj);
	}
	if (!err)
		printf("ok load/%s/%s%s\n", tag, name, log_stats(vlog));
	else if ((why = missing_kfunc()))
		printf("skip load/%s/%s: this kernel lacks the kfunc %s, and an object with it does not load\n",
		       tag, name, why);
	else
		printf("FAIL load/%s/%s: %s: %s\n", tag, name, strerror(-err),
		       log_tail(vlog[0] ? vlog : log_buf));
	if (err && getenv("TEST_LOAD_LOG")) /* the whole log kept, for a look inside a VM */
		fprintf(stderr, "%s\n%s\n", log_buf, vlog);
	bpf_object__close(obj);
	return err && !why;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int i, n, k, fails = 0;
	const char *tag;

	vlog = malloc(VLOG_SIZE);
	if (!vlog)
		return 1;
	xdp_meta = probe_xdp_meta();
	if (!xdp_meta)
		printf("# this kernel refuses bpf_xdp_adjust_meta to XDP: loaded with so_xdp_meta 0, "
		       "as attach does (cookie options go to TC in the map ackmeta)\n");
	libbpf_set_print(collect);
	for (i = 1; i < argc; i++) {
		tag = argv[i];
		obj = bpf_object__open_file(argv[i], NULL);
		if (!obj) {
			printf("FAIL load/%s: cannot open %s: %s\n", tag, argv[i], strerror(errno));
			fails++;
			continue;
		}
		n = 0;
		bpf_object__for_each_program(p, obj)
			n++;
		bpf_object__close(obj);
		if (n == 0) {
			printf("FAIL load/%s: no programs\n", tag);
			fails++;
		}
		for (k = 0; k < n; k++) {
			bool no_modes = false;

			fails += check_prog(argv[i], tag, k, SO_COMPLETE_KFUNC, &no_modes);
			if (!no_modes)
				fails += check_prog(argv[i], tag, k, SO_COMPLETE_KERNEL, &no_modes);
		}
	}
	return fails ? 1 : 0;
}
