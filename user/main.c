// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - shakeoff [-n NETNS] [-v] COMMAND [options]
 *
 * The command table and the dispatch: global options, the command (an
 * unambiguous prefix will do), its options, then root and the network
 * namespace, then the command itself. Usage errors exit 2 before anything
 * is touched; runtime errors exit 1.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "doc.h"
#include "log.h"
#include "shakeoff.h"
#include "sys.h"

struct global_args {
	const char *netns;
	int verbose;
	bool version;
	bool help_man, help_markdown;
};

static const struct opt global_opts[] = {
	{ .name = "netns", .short_name = 'n', .metavar = "NAME",
	  .help = "work in the network namespace /run/netns/NAME", .type = OPT_STRING,
	  .offset = offsetof(struct global_args, netns) },
	{ .name = "verbose", .short_name = 'v', .help = "show libbpf's messages (-vv: debug too)",
	  .type = OPT_COUNT, .offset = offsetof(struct global_args, verbose) },
	{ .name = "version", .short_name = 'V', .help = "print the versions of shakeoff and libbpf",
	  .type = OPT_FLAG, .offset = offsetof(struct global_args, version) },
	{ .name = "help-man", .help = "print this manual as a man page (roff)", .type = OPT_FLAG,
	  .offset = offsetof(struct global_args, help_man) },
	{ .name = "help-markdown", .help = "print this manual as Markdown (the README's section)",
	  .type = OPT_FLAG, .offset = offsetof(struct global_args, help_markdown) },
	OPT_END
};

extern const struct cmd cmd_help;

static const struct cmd *const commands[] = {
	&cmd_attach, &cmd_detach, &cmd_set, &cmd_status, &cmd_stats, &cmd_conns, &cmd_top,
	&cmd_events, &cmd_allow, &cmd_deny, &cmd_exporter, &cmd_rekey, &cmd_help,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f)
{
	fprintf(f, "Usage: shakeoff [-n NETNS] [-v] COMMAND [options]\n"
		   "       shakeoff COMMAND --help\n"
		   "       shakeoff --version\n\n"
		   "TCP handshake offload: SYN cookies in XDP, sockets made by TC.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s%s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nGlobal options (before COMMAND):\n");
	opts_print_options(f, global_opts);
}

static int print_version(void)
{
	const char *libbpf = libbpf_version_string();

	printf("shakeoff %s (libbpf %s)\n", SO_VERSION, libbpf[0] == 'v' ? libbpf + 1 : libbpf);
	return RC_OK;
}

/* --help-man, --help-markdown: the manual, from the tables (doc.c). */
static int print_manual(bool roff)
{
	(roff ? doc_man : doc_markdown)(stdout, commands, N_COMMANDS, global_opts);
	return RC_OK;
}

/* The command called name, or the only one it is a prefix of. */
static const struct cmd *find_command(const char *name)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name), matches = 0;
	char list[128] = "";

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(name, commands[i]->name))
			return commands[i];
		if (len && !strncmp(name, commands[i]->name, len)) {
			found = commands[i];
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 matches++ ? ", " : "", found->name);
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1)
		pr_err("command '%s' is ambiguous (%s); see 'shakeoff help'", name, list);
	else
		pr_err("unknown command '%s'; see 'shakeoff help'", name);
	return NULL;
}

static int enter_netns(const char *name)
{
	int err = netns_enter(name);

	if (err)
		pr_err("cannot enter network namespace %s: %s (see 'ip netns list')", name,
		       strerror(-err));
	return err;
}

/* `shakeoff help [COMMAND]` */
struct help_args {
	const char *command;
};

static const struct opt help_opts[] = {
	{ .name = "command", .metavar = "COMMAND", .help = "the command to explain",
	  .type = OPT_STRING, .positional = true, .offset = offsetof(struct help_args, command) },
	OPT_END
};

static int run_help(void *args)
{
	struct help_args *a = args;
	const struct cmd *cmd;

	if (!a->command) {
		print_usage(stdout);
		return RC_OK;
	}
	cmd = find_command(a->command);
	if (!cmd)
		return RC_USAGE;
	opts_help(stdout, cmd->name, cmd->description, cmd->opts);
	return RC_OK;
}

static struct help_args help_args;

const struct cmd cmd_help = {
	.name = "help",
	.summary = "list the commands, or explain one",
	.opts = help_opts,
	.args = &help_args,
	.run = run_help,
};

int main(int argc, char **argv)
{
	static struct global_args g;
	const struct cmd *cmd;
	int first;

	/* global options, up to the command */
	switch (opts_parse(NULL, global_opts, &g, argc, argv, true, &first)) {
	case OPTS_HELP:
		print_usage(stdout);
		return RC_OK;
	case OPTS_ERROR:
		return RC_USAGE;
	case OPTS_OK:
		break;
	}
	if (g.version)
		return print_version();
	if (g.help_man || g.help_markdown)
		return print_manual(g.help_man);
	if (first >= argc) {
		pr_err("missing COMMAND; see 'shakeoff help'");
		return RC_USAGE;
	}
	log_setup(g.verbose);

	/* the command and its options: syntax only, nothing touched yet */
	cmd = find_command(argv[first]);
	if (!cmd)
		return RC_USAGE;
	switch (opts_parse(cmd->name, cmd->opts, cmd->args, argc - first, argv + first, false,
			   NULL)) {
	case OPTS_HELP:
		opts_help(stdout, cmd->name, cmd->description, cmd->opts);
		return RC_OK;
	case OPTS_ERROR:
		return RC_USAGE;
	case OPTS_OK:
		break;
	}

	/* where and as whom it runs */
	if (cmd->needs_root && geteuid() != 0) {
		pr_err("must be run as root");
		return RC_FAIL;
	}
	if (g.netns && enter_netns(g.netns))
		return RC_FAIL;

	return cmd->run(cmd->args);
}
