// SPDX-License-Identifier: GPL-2.0
/*
 * test_options.c - the option tables' parser (user/lib/options.c) on the
 * command line: every option type at and past its bounds, required options
 * and positionals, unknown and refused options, the global options' stop at
 * the command, and the bound of a table's size (OPTS_MAX).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opt_table.h"

#define W(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* What the table fills in when only IFACE and --ports 80 are given. */
#define BASE "if=eth0 flag=0 count=0 str=- num=- choice=- secs=- ports=80 fixed=-"

struct opt_row {
	const char *name;
	const char *const *words; /* after "shakeoff t" */
	enum opt_result result;
	const char *err;  /* stderr, whole */
	const char *args; /* OPTS_OK: t_args_describe() */
};

#define UINT_BAD(v) "shakeoff: invalid --num '" v "': expected a number from 10 to 1000\n"
#define SECS_BAD(v) "shakeoff: invalid --secs '" v "': expected seconds greater than 0, like 1 or 0.5\n"
#define ENUM_BAD(v) "shakeoff: invalid --choice '" v "': expected one of a|b|c\n"
#define IF_BAD(v) "shakeoff: invalid IFACE '" v "': not a valid interface name\n"
#define OK(w, desc) w, OPTS_OK, "", desc

static const struct opt_row rows[] = {
	{ "minimal", OK(W("eth0", "--ports", "80"), BASE) },
	{ "any_order", OK(W("--ports", "80", "eth0"), BASE) },
	{ "short_and_equals", OK(W("eth0", "-p80", "--num=10"),
				 "if=eth0 flag=0 count=0 str=- num=10 choice=- secs=- ports=80 fixed=-") },
	{ "help", W("eth0", "--help"), OPTS_HELP, "" },
	{ "help_short", W("-h"), OPTS_HELP, "" },
	/* OPT_FLAG, OPT_COUNT, OPT_STRING */
	{ "flag", OK(W("eth0", "-p", "80", "--flag"),
		     "if=eth0 flag=1 count=0 str=- num=- choice=- secs=- ports=80 fixed=-") },
	{ "flag_twice", OK(W("eth0", "-p", "80", "-f", "--flag"),
			   "if=eth0 flag=1 count=0 str=- num=- choice=- secs=- ports=80 fixed=-") },
	{ "count_3", OK(W("eth0", "-p", "80", "-ccc"),
			"if=eth0 flag=0 count=3 str=- num=- choice=- secs=- ports=80 fixed=-") },
	{ "count_mixed", OK(W("eth0", "-p", "80", "-c", "--count", "-fc"),
			    "if=eth0 flag=1 count=3 str=- num=- choice=- secs=- ports=80 fixed=-") },
	{ "string", OK(W("eth0", "-p", "80", "--str", "a b"),
		       "if=eth0 flag=0 count=0 str=a b num=- choice=- secs=- ports=80 fixed=-") },
	{ "string_empty", OK(W("eth0", "-p", "80", "--str", ""),
			     "if=eth0 flag=0 count=0 str= num=- choice=- secs=- ports=80 fixed=-") },
	{ "string_last_wins", OK(W("eth0", "-p", "80", "--str", "x", "--str", "y"),
				 "if=eth0 flag=0 count=0 str=y num=- choice=- secs=- ports=80 fixed=-") },
	/* OPT_UINT: [10, 1000] */
	{ "uint_min", OK(W("eth0", "-p", "80", "--num", "10"),
			 "if=eth0 flag=0 count=0 str=- num=10 choice=- secs=- ports=80 fixed=-") },
	{ "uint_max", OK(W("eth0", "-p", "80", "--num", "1000"),
			 "if=eth0 flag=0 count=0 str=- num=1000 choice=- secs=- ports=80 fixed=-") },
	{ "uint_leading_zero", OK(W("eth0", "-p", "80", "-n", "0100"),
				  "if=eth0 flag=0 count=0 str=- num=100 choice=- secs=- ports=80 fixed=-") },
	{ "uint_below", W("eth0", "-p", "80", "--num", "9"), OPTS_ERROR, UINT_BAD("9") },
	{ "uint_above", W("eth0", "-p", "80", "--num", "1001"), OPTS_ERROR, UINT_BAD("1001") },
	{ "uint_zero", W("eth0", "-p", "80", "--num", "0"), OPTS_ERROR, UINT_BAD("0") },
	{ "uint_negative", W("eth0", "-p", "80", "--num", "-20"), OPTS_ERROR, UINT_BAD("-20") },
	{ "uint_plus", W("eth0", "-p", "80", "--num", "+20"), OPTS_ERROR, UINT_BAD("+20") },
	{ "uint_space", W("eth0", "-p", "80", "--num", " 20"), OPTS_ERROR, UINT_BAD(" 20") },
	{ "uint_trailing", W("eth0", "-p", "80", "--num", "20s"), OPTS_ERROR, UINT_BAD("20s") },
	{ "uint_hex", W("eth0", "-p", "80", "--num", "0x20"), OPTS_ERROR, UINT_BAD("0x20") },
	{ "uint_exponent", W("eth0", "-p", "80", "--num", "1e2"), OPTS_ERROR, UINT_BAD("1e2") },
	{ "uint_fraction", W("eth0", "-p", "80", "--num", "20.5"), OPTS_ERROR, UINT_BAD("20.5") },
	{ "uint_empty", W("eth0", "-p", "80", "--num", ""), OPTS_ERROR, UINT_BAD("") },
	{ "uint_overflow", W("eth0", "-p", "80", "--num", "18446744073709551616"), OPTS_ERROR,
	  UINT_BAD("18446744073709551616") },
	/* OPT_ENUM */
	{ "enum_first", OK(W("eth0", "-p", "80", "--choice", "a"),
			   "if=eth0 flag=0 count=0 str=- num=- choice=a secs=- ports=80 fixed=-") },
	{ "enum_last", OK(W("eth0", "-p", "80", "--choice", "c"),
			  "if=eth0 flag=0 count=0 str=- num=- choice=c secs=- ports=80 fixed=-") },
	{ "enum_unknown", W("eth0", "-p", "80", "--choice", "d"), OPTS_ERROR, ENUM_BAD("d") },
	{ "enum_case", W("eth0", "-p", "80", "--choice", "A"), OPTS_ERROR, ENUM_BAD("A") },
	{ "enum_prefix", W("eth0", "-p", "80", "--choice", "ab"), OPTS_ERROR, ENUM_BAD("ab") },
	{ "enum_empty", W("eth0", "-p", "80", "--choice", ""), OPTS_ERROR, ENUM_BAD("") },
	/* OPT_SECONDS: (0, 1e6], decimal */
	{ "secs_whole", OK(W("eth0", "-p", "80", "--secs", "2"),
			   "if=eth0 flag=0 count=0 str=- num=- choice=- secs=2 ports=80 fixed=-") },
	{ "secs_fraction", OK(W("eth0", "-p", "80", "--secs", "0.5"),
			      "if=eth0 flag=0 count=0 str=- num=- choice=- secs=0.5 ports=80 fixed=-") },
	{ "secs_no_leading_digit", OK(W("eth0", "-p", "80", "--secs", ".25"),
				      "if=eth0 flag=0 count=0 str=- num=- choice=- secs=0.25 ports=80 fixed=-") },
	{ "secs_trailing_point", OK(W("eth0", "-p", "80", "--secs", "3."),
				    "if=eth0 flag=0 count=0 str=- num=- choice=- secs=3 ports=80 fixed=-") },
	{ "secs_max", OK(W("eth0", "-p", "80", "--secs", "1000000"),
			 "if=eth0 flag=0 count=0 str=- num=- choice=- secs=1e+06 ports=80 fixed=-") },
	{ "secs_zero", W("eth0", "-p", "80", "--secs", "0"), OPTS_ERROR, SECS_BAD("0") },
	{ "secs_zero_point", W("eth0", "-p", "80", "--secs", "0.0"), OPTS_ERROR, SECS_BAD("0.0") },
	{ "secs_above", W("eth0", "-p", "80", "--secs", "1000001"), OPTS_ERROR, SECS_BAD("1000001") },
	{ "secs_negative", W("eth0", "-p", "80", "--secs", "-1"), OPTS_ERROR, SECS_BAD("-1") },
	{ "secs_exponent", W("eth0", "-p", "80", "--secs", "1e3"), OPTS_ERROR, SECS_BAD("1e3") },
	{ "secs_hex", W("eth0", "-p", "80", "--secs", "0x1"), OPTS_ERROR, SECS_BAD("0x1") },
	{ "secs_two_points", W("eth0", "-p", "80", "--secs", "1.2.3"), OPTS_ERROR, SECS_BAD("1.2.3") },
	{ "secs_point", W("eth0", "-p", "80", "--secs", "."), OPTS_ERROR, SECS_BAD(".") },
	{ "secs_inf", W("eth0", "-p", "80", "--secs", "inf"), OPTS_ERROR, SECS_BAD("inf") },
	{ "secs_nan", W("eth0", "-p", "80", "--secs", "nan"), OPTS_ERROR, SECS_BAD("nan") },
	{ "secs_empty", W("eth0", "-p", "80", "--secs", ""), OPTS_ERROR, SECS_BAD("") },
	{ "secs_unit", W("eth0", "-p", "80", "--secs", "5s"), OPTS_ERROR, SECS_BAD("5s") },
	/* OPT_PORTS (the lists themselves: test_ports.c) */
	{ "ports_list", OK(W("eth0", "--ports", "443,80"),
			   "if=eth0 flag=0 count=0 str=- num=- choice=- secs=- ports=80,443 fixed=-") },
	{ "ports_bad", W("eth0", "--ports", "0"), OPTS_ERROR,
	  "shakeoff: invalid --ports item '0': ports are 1 to 65535\n" },
	/* OPT_IFNAME: the kernel's dev_valid_name() */
	{ "ifname_dot", OK(W("eth0.100", "-p", "80"),
			   "if=eth0.100 flag=0 count=0 str=- num=- choice=- secs=- ports=80 fixed=-") },
	{ "ifname_15", OK(W("abcdefghijklmno", "-p", "80"),
			  "if=abcdefghijklmno flag=0 count=0 str=- num=- choice=- secs=- ports=80 fixed=-") },
	{ "ifname_16", W("abcdefghijklmnop", "-p", "80"), OPTS_ERROR, IF_BAD("abcdefghijklmnop") },
	{ "ifname_empty", W("", "-p", "80"), OPTS_ERROR, IF_BAD("") },
	{ "ifname_dot_alone", W(".", "-p", "80"), OPTS_ERROR, IF_BAD(".") },
	{ "ifname_dotdot", W("..", "-p", "80"), OPTS_ERROR, IF_BAD("..") },
	{ "ifname_slash", W("a/b", "-p", "80"), OPTS_ERROR, IF_BAD("a/b") },
	{ "ifname_colon", W("eth0:1", "-p", "80"), OPTS_ERROR, IF_BAD("eth0:1") },
	{ "ifname_space", W("eth 0", "-p", "80"), OPTS_ERROR, IF_BAD("eth 0") },
	{ "ifname_tab", W("eth\t0", "-p", "80"), OPTS_ERROR, IF_BAD("eth\t0") },
	/* required, unknown, refused, extra */
	{ "missing_ports", W("eth0"), OPTS_ERROR,
	  "shakeoff: missing --ports LIST; see 'shakeoff t --help'\n" },
	{ "missing_iface", W("-p", "80"), OPTS_ERROR,
	  "shakeoff: missing IFACE; see 'shakeoff t --help'\n" },
	{ "unknown_long", W("eth0", "-p", "80", "--bogus"), OPTS_ERROR,
	  "shakeoff: unknown option '--bogus'; see 'shakeoff t --help'\n" },
	{ "unknown_short", W("eth0", "-p", "80", "-z"), OPTS_ERROR,
	  "shakeoff: unknown option '-z'; see 'shakeoff t --help'\n" },
	{ "value_missing", W("eth0", "--ports"), OPTS_ERROR,
	  "shakeoff: option --ports needs a value; see 'shakeoff t --help'\n" },
	{ "value_missing_short", W("eth0", "-p", "80", "-n"), OPTS_ERROR,
	  "shakeoff: option --num needs a value; see 'shakeoff t --help'\n" },
	{ "extra_argument", W("eth0", "-p", "80", "extra"), OPTS_ERROR,
	  "shakeoff: unexpected argument 'extra'; see 'shakeoff t --help'\n" },
	{ "refused_option", W("eth0", "-p", "80", "--fixed", "x"), OPTS_ERROR,
	  "shakeoff: --fixed is fixed at attach\n" },
	{ "first_error_only", W("eth0", "--num", "1", "--secs", "0"), OPTS_ERROR, UINT_BAD("1") },
};

static void opt_case(const struct opt_row *r)
{
	struct t_args a;
	char *err;
	enum opt_result res;

	t_args_reset(&a);
	res = t_parse(&a, r->words, &err);
	check_long(check_name("options", r->name, "result"), r->result, res);
	check_str(check_name("options", r->name, "stderr"), r->err, err);
	if (r->args)
		check_str(check_name("options", r->name, "args"), r->args, t_args_describe(&a));
	free(err);
}

struct global_args {
	int verbose;
	const char *netns;
};

static const struct opt global_opts[] = {
	{ .name = "netns", .short_name = 'n', .help = "h", .type = OPT_STRING,
	  .offset = offsetof(struct global_args, netns) },
	{ .name = "verbose", .short_name = 'v', .help = "h", .type = OPT_COUNT,
	  .offset = offsetof(struct global_args, verbose) },
	OPT_END
};

/* The global options stop at the command: its own options are not theirs. */
static void global_stop(void)
{
	char *argv[] = { "shakeoff", "-vv", "-n", "ns1", "attach", "-v", "--ports", "80", NULL };
	struct global_args g = { 0 };
	int next = -1;
	enum opt_result r;
	char *err;

	capture_begin();
	r = opts_parse(NULL, global_opts, &g, 8, argv, true, &next);
	err = capture_end();
	check_long("options.global.result", OPTS_OK, r);
	check_str("options.global.stderr", "", err);
	check_long("options.global.stops_at_command", 4, next);
	check_long("options.global.verbose", 2, g.verbose);
	check_str("options.global.netns", "ns1", g.netns);
	free(err);
}

/* A table of n flags "o0".."o<n-1>": OPTS_MAX entries are taken, one more
 * is an internal error before anything is parsed. */
static void table_bound(int n, bool fits)
{
	static char names[OPTS_MAX + 1][8];
	struct opt table[OPTS_MAX + 2];
	bool flags[OPTS_MAX + 1] = { false };
	char *argv[] = { "big", "--o0", NULL };
	char name[64];
	enum opt_result r;
	char *err;

	memset(table, 0, sizeof(table));
	for (int i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "o%d", i);
		table[i] = (struct opt){ .name = names[i], .help = "h", .type = OPT_FLAG,
					 .offset = i * sizeof(bool) };
	}
	capture_begin();
	r = opts_parse("big", table, flags, 2, argv, false, NULL);
	err = capture_end();
	snprintf(name, sizeof(name), "options.table_of_%d", n);
	check_long(check_name(name, "fits", NULL), fits, opts_table_fits(table));
	check_long(check_name(name, "result", NULL), fits ? OPTS_OK : OPTS_ERROR, r);
	check_str(check_name(name, "stderr", NULL),
		  fits ? "" : "shakeoff: internal error: the option table of 'big' has more than 32 entries\n",
		  err);
	check_long(check_name(name, "parsed", NULL), fits, flags[0]);
	free(err);
}

void test_options(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		opt_case(&rows[i]);
	global_stop();
	table_bound(OPTS_MAX, true);
	table_bound(OPTS_MAX + 1, false);
}
