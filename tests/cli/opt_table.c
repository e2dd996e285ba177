// SPDX-License-Identifier: GPL-2.0
/* opt_table.c - see opt_table.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opt_table.h"
#include "ports.h"

static const char *const t_choices[] = { "a", "b", "c", NULL };

const struct opt t_opts[] = {
	{ .name = "iface", .metavar = "IFACE", .help = "h", .type = OPT_IFNAME, .required = true,
	  .positional = true, .offset = offsetof(struct t_args, ifname) },
	{ .name = "flag", .short_name = 'f', .help = "h", .type = OPT_FLAG,
	  .offset = offsetof(struct t_args, flag) },
	{ .name = "count", .short_name = 'c', .help = "h", .type = OPT_COUNT,
	  .offset = offsetof(struct t_args, count) },
	{ .name = "str", .help = "h", .type = OPT_STRING, .offset = offsetof(struct t_args, str) },
	{ .name = "num", .short_name = 'n', .help = "h", .type = OPT_UINT, .min = 10, .max = 1000,
	  .offset = offsetof(struct t_args, num) },
	{ .name = "choice", .help = "h", .type = OPT_ENUM, .choices = t_choices,
	  .offset = offsetof(struct t_args, choice) },
	{ .name = "secs", .help = "h", .type = OPT_SECONDS, .offset = offsetof(struct t_args, secs) },
	{ .name = "ports", .short_name = 'p', .help = "h", .type = OPT_PORTS, .required = true,
	  .offset = offsetof(struct t_args, ports) },
	{ .name = "fixed", .help = "h", .type = OPT_STRING, .refuse = "is fixed at attach",
	  .offset = offsetof(struct t_args, fixed) },
	{ .name = "config", .help = "h", .type = OPT_CONFIG,
	  .offset = offsetof(struct t_args, config) },
	OPT_END
};

void t_args_reset(struct t_args *a)
{
	memset(a, 0, sizeof(*a));
	a->choice = -1;
}

const char *t_args_describe(const struct t_args *a)
{
	static char buf[512];
	char num[32] = "-", secs[32] = "-";
	char *ports = ports_format(&a->ports);

	if (a->num.set)
		snprintf(num, sizeof(num), "%lu", a->num.val);
	if (a->secs > 0)
		snprintf(secs, sizeof(secs), "%g", a->secs);
	snprintf(buf, sizeof(buf), "if=%s flag=%d count=%d str=%s num=%s choice=%s secs=%s ports=%s fixed=%s",
		 a->ifname ? a->ifname : "-", a->flag, a->count, a->str ? a->str : "-", num,
		 a->choice < 0 ? "-" : t_choices[a->choice], secs,
		 ports && *ports ? ports : "-", a->fixed ? a->fixed : "-");
	free(ports);
	return buf;
}

enum opt_result t_parse(struct t_args *a, const char *const *words, char **err)
{
	char *argv[32];
	int argc = 0;
	enum opt_result r;

	argv[argc++] = "t";
	while (*words && argc < 31)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	capture_begin();
	r = opts_parse("t", t_opts, a, argc, argv, false, NULL);
	*err = capture_end();
	return r;
}
