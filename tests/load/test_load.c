// SPDX-License-Identifier: GPL-2.0
/*
 * test_load - every BPF program of the given objects must load and pass the
 * kernel's verifier, one program at a time, so that each gets its own line:
 *
 *   test_load OBJ...      ok load/DIR/OBJ/PROG | FAIL ...: verifier log tail
 *                         | skip ...: the kernel lacks what the object needs
 *
 * With TEST_LOAD_INSNS set, a loaded program's line says how many
 * instructions the verifier processed and the stack depth of each of its
 * functions ("ok load/... insns N stack A+B"): the measure that a change
 * meant to keep behaviour keeps the verifier's work too. TEST_LOAD_RODATA=
 * "NAME=VALUE" sets a read-only variable of the objects that have it
 * before load, as the CLI does (so_complete=1: completion mode kernel).
 *
 * The names are the paths as given (tests/run.sh gives build/..., and
 * build-clang19/... for the clang 19 build).
 * The verifier's verdict differs by kernel and by compiler, so tests/run.sh
 * runs this on the clang 14 and clang 19 builds, and make vmtest inside each
 * kernel the project claims. An object whose kfunc the kernel lacks cannot
 * load at all (libbpf 1.1 resolves every extern of the object): that is a
 * skip, decided by looking the kfunc up in the kernel's BTF, never by version.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static char log_buf[1 << 16];
static size_t log_len;
/* the verifier's statistics of a loaded program (TEST_LOAD_INSNS) */
static char stats_buf[1 << 12];

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

/* The verifier's verdict: the lines before its "processed N insns" line (or
 * the end of the log), on one line. */
static const char *log_tail(void)
{
	static char out[600];
	const char *end = strstr(log_buf, "\nprocessed ");
	const char *p;
	int lines = 0;
	size_t o = 0;

	end = end ? end : log_buf + log_len;
	p = end;
	while (p > log_buf && lines < 4)
		if (*--p == '\n')
			lines++;
	for (; p < end && o < sizeof(out) - 1; p++)
		out[o++] = *p == '\n' ? ' ' : *p;
	out[o] = 0;
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

/* TEST_LOAD_RODATA "NAME=VALUE": into the .rodata variable NAME (of up to
 * 8 bytes) of obj, if it has one. */
static void set_rodata(struct bpf_object *obj)
{
	const char *spec = getenv("TEST_LOAD_RODATA"), *eq;
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vi;
	const struct btf_type *sec;
	struct bpf_map *m, *ro = NULL;
	unsigned long long v;
	const void *init;
	size_t size;
	char *data;
	int id, i;

	if (!spec || !(eq = strchr(spec, '=')) || !btf)
		return;
	bpf_object__for_each_map(m, obj)
		if (strstr(bpf_map__name(m), ".rodata"))
			ro = m;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (!ro || id < 0 || !(init = bpf_map__initial_value(ro, &size)) || !(data = malloc(size)))
		return;
	memcpy(data, init, size);
	v = strtoull(eq + 1, NULL, 0);
	sec = btf__type_by_id(btf, id);
	vi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vi++) {
		const char *n = btf__name_by_offset(btf, btf__type_by_id(btf, vi->type)->name_off);

		if (strlen(n) == (size_t)(eq - spec) && !strncmp(n, spec, eq - spec) &&
		    vi->size <= sizeof(v) && vi->offset + vi->size <= size)
			memcpy(data + vi->offset, &v, vi->size); /* little-endian hosts */
	}
	bpf_map__set_initial_value(ro, data, size);
	free(data);
}

/* check_prog: load OBJ with only program number IDX; prints its line. */
static int check_prog(const char *path, const char *tag, int idx)
{
	struct bpf_object *obj;
	struct bpf_program *p, *mine = NULL;
	const char *why, *insns, *stack;
	char name[128] = "?";
	int i = 0, err;

	log_len = 0;
	log_buf[0] = 0;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		printf("FAIL load/%s: cannot open: %s\n", tag, strerror(errno));
		return 1;
	}
	set_rodata(obj);
	bpf_object__for_each_program(p, obj) {
		bpf_program__set_autoload(p, i == idx);
		if (i++ == idx)
			mine = p;
	}
	if (mine)
		snprintf(name, sizeof(name), "%s", bpf_program__name(mine));
	stats_buf[0] = 0;
	if (mine && getenv("TEST_LOAD_INSNS")) {
		bpf_program__set_log_buf(mine, stats_buf, sizeof(stats_buf));
		bpf_program__set_log_level(mine, 4); /* BPF_LOG_STATS */
	}
	err = bpf_object__load(obj);
	if (!err && (insns = strstr(stats_buf, "processed "))) {
		stack = strstr(stats_buf, "stack depth ");
		printf("ok load/%s/%s insns %ld stack %.*s\n", tag, name,
		       strtol(insns + 10, NULL, 10), stack ? (int)strcspn(stack + 12, "\n") : 1,
		       stack ? stack + 12 : "?");
	} else if (!err)
		printf("ok load/%s/%s\n", tag, name);
	else if ((why = missing_kfunc()))
		printf("skip load/%s/%s: this kernel lacks the kfunc %s, and an object with it does not load\n",
		       tag, name, why);
	else
		printf("FAIL load/%s/%s: %s: %s\n", tag, name, strerror(-err), log_tail());
	if (err && getenv("TEST_LOAD_LOG")) /* the whole log kept, for a look inside a VM */
		fprintf(stderr, "%s\n", log_buf);
	bpf_object__close(obj);
	return err && !why;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int i, n, k, fails = 0;
	const char *tag;

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
		for (k = 0; k < n; k++)
			fails += check_prog(argv[i], tag, k);
	}
	return fails ? 1 : 0;
}
