// SPDX-License-Identifier: GPL-2.0
/*
 * doc.c - the manual, from the command and option tables: `shakeoff
 * --help-man` prints it as roff (man/shakeoff.8), `shakeoff --help-markdown`
 * as the README's command-line section. Both come from the same tables and
 * the prose below, so they cannot drift apart; `make docs` writes both and
 * a test checks that the committed copies match.
 *
 * The prose uses a tiny markup: paragraphs separated by blank lines, lines
 * indented by four spaces are an example, `text` is a literal (bold in roff,
 * code in Markdown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "shakeoff.h"

static const char *const intro =
	"shakeoff answers every SYN to a protected port in the network driver (XDP) with a "
	"SYN-ACK that carries a SYN cookie, so a SYN flood never reaches the kernel's TCP stack. "
	"When the client's ACK returns a valid cookie, a TC program turns it into a real kernel "
	"socket that an unmodified server accepts, and shakeoff follows the connection to its "
	"close in a BPF map. Programs, maps and links are pinned under "
	"`/sys/fs/bpf/shakeoff`, so an attachment outlives the command that made it.";

struct section {
	const char *title;
	const char *text;
};

static const struct section after[] = {
	{ "OPTION FILES",
	  "`attach` and `set` read more options from `--config FILE`: one option per line, "
	  "written as `NAME VALUE`, `NAME=VALUE` or `--NAME VALUE` (a flag alone), with the long "
	  "names of the command line; blank lines and `#` comments are ignored. Options on the "
	  "command line win over the file. `set` ignores the options fixed at attach, so one "
	  "file serves both. The service reads `/etc/shakeoff/IFACE.conf`:\n\n"
	  "    # /etc/shakeoff/eth0.conf\n"
	  "    ports 80,443\n"
	  "    arm auto\n"
	  "    threshold 20000\n"
	  "    synack-rate 200000" },
	{ "SERVICE",
	  "`make install` installs the systemd unit template `shakeoff@.service`: "
	  "`systemctl enable --now shakeoff@eth0` attaches to eth0 with the options of "
	  "`/etc/shakeoff/eth0.conf` (`shakeoff attach eth0 --config /etc/shakeoff/eth0.conf`), "
	  "`systemctl reload` applies a changed file live (`shakeoff set`), `systemctl stop` "
	  "detaches. Established connections survive a stop.\n\n"
	  "    systemctl enable --now shakeoff@eth0\n"
	  "    shakeoff status" },
	{ "WATCHING",
	  "`shakeoff stats IFACE --watch 1` shows every counter with its rate per second. "
	  "`shakeoff top IFACE` shows the busiest sources of SYNs and of invalid ACKs. "
	  "On a terminal both draw each rate's recent history as a small graph of Unicode "
	  "blocks; into a pipe or a file they print the plain columns. "
	  "`shakeoff conns IFACE` lists the connections shakeoff follows. "
	  "`shakeoff events IFACE` streams their opens, FINs and closes as they happen, and "
	  "`shakeoff events IFACE --drops -w FILE.pcapng` samples the packets XDP drops. "
	  "For Prometheus, either "
	  "write the text format for node_exporter's textfile collector from a timer, or run the "
	  "exporter and scrape it:\n\n"
	  "    cd /var/lib/node_exporter\n"
	  "    shakeoff stats --prometheus > shakeoff.prom.tmp && mv shakeoff.prom.tmp shakeoff.prom\n"
	  "    shakeoff exporter --listen 127.0.0.1:9469 &\n"
	  "    curl -s http://127.0.0.1:9469/metrics | grep synack_sent\n\n"
	  "Counters are named `shakeoff_<counter>_total` and labelled with the interface "
	  "(`ifname`); `shakeoff_conn_active` and `shakeoff_conn_half_closed` are gauges, "
	  "`shakeoff_armed` is 1 while SYNs are answered in XDP, and the info metric "
	  "`shakeoff_info{ifname=\"eth0\",complete=\"kfunc\"}` is 1 for each attachment, its "
	  "label `complete` the completion mode (`kfunc` or `kernel`, as `status` and `stats` "
	  "say): `* on (ifname) group_left(complete) shakeoff_info` puts it on any series. "
	  "`promtool check metrics` "
	  "accepts the names. The exporter serves its clients side by side (libmicrohttpd): "
	  "one that connects and sends nothing delays no scrape. `make install` puts a Grafana "
	  "dashboard of these metrics in `share/shakeoff/grafana-dashboard.json`." },
	{ "SHARING THE INTERFACE",
	  "`attach` refuses an interface that has another XDP program, and leaves that program "
	  "alone. With `--multiprog` shakeoff's XDP program joins libxdp's dispatcher instead, "
	  "next to the programs other libxdp tools put there (`xdp-filter`, `xdp-loader`): each "
	  "runs in turn, and what shakeoff passes (other ports, other protocols) goes on to the "
	  "next. libxdp keeps the dispatcher under /sys/fs/bpf/xdp; `detach` takes shakeoff "
	  "out of it and leaves the others running, and `xdp-loader unload` of the others "
	  "leaves shakeoff. The dispatcher runs each program as an freplace "
	  "(BPF_PROG_TYPE_EXT) program: on a kernel that cannot load those (no BPF "
	  "trampolines, lockdown, an LSM), next to an XDP program that is not in a "
	  "dispatcher, and where the kernel refuses freplace programs that change packet data "
	  "(shakeoff's does) in the slots of libxdp's dispatcher (Linux 6.13, also Debian's "
	  "6.12, with Debian 12's libxdp 1.3, whose slots do not), `--multiprog` refuses in one "
	  "sentence and attaches nothing." },
	{ "FILES",
	  "`/sys/fs/bpf/shakeoff/ns-INODE/IFACE/` holds the pins of an attachment (INODE: the "
	  "network namespace's inode): the maps under their own names (config, ports, secret, "
	  "stats, conns, allow4, allow6, deny4, deny6, armed, sources, ...), the programs and "
	  "the links. They hold the attachment even once its interface is gone; the next "
	  "`attach`, `detach`, `status`, `stats` or `rekey`, in any namespace, removes such an "
	  "orphan (one whose XDP link has no interface any more: the interface was deleted, or "
	  "its namespace) and says so. `/etc/shakeoff/IFACE.conf` holds the service's options. "
	  "`/run/shakeoff/` holds the lock files of running tops and events." },
	{ "EXIT STATUS",
	  "0 on success; 1 when the system refused (the error names what and why, in one "
	  "sentence); 2 when the command line was wrong, before anything was touched." },
	{ "SEE ALSO", "bpftool(8), ip-link(8), tc(8), xdp-loader(8), systemctl(1)" },
};

/* --- roff --------------------------------------------------------------------------- */

/* Text for roff: escapes, `literals` in bold, a leading dot made harmless. */
static void roff_text(FILE *f, const char *s)
{
	bool bold = false, bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		bol = *s == '\n';
		if (*s == '`')
			fputs((bold = !bold) ? "\\fB" : "\\fR", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* A block of prose: paragraphs and indented examples. */
static void roff_prose(FILE *f, const char *text)
{
	bool example = false;

	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		char *copy = strndup(line, n);
		bool ex = !strncmp(copy, "    ", 4);

		if (ex != example)
			fputs(ex ? ".PP\n.nf\n.RS 4\n" : ".RE\n.fi\n", f);
		if (!ex && !n)
			fputs(".PP\n", f);
		example = ex;
		if (n) {
			roff_text(f, ex ? copy + 4 : copy);
			fputc('\n', f);
		}
		free(copy);
		line += n + (line[n] == '\n');
	}
	if (example)
		fputs(".RE\n.fi\n", f);
}

static void roff_option(FILE *f, const struct opt *o)
{
	char mv[256];

	fputs(".TP\n", f);
	if (o->positional) {
		fprintf(f, ".I %s\n", o->metavar);
	} else {
		fputs(".B ", f);
		if (o->short_name)
			fprintf(f, "\\-%c, ", o->short_name);
		fputs("\\-\\-", f);
		roff_text(f, o->name);
		if (opts_takes_value(o)) {
			fputs(" \\fI", f);
			roff_text(f, opts_metavar(o, mv, sizeof(mv)));
			fputs("\\fR", f);
		}
		fputc('\n', f);
	}
	roff_text(f, o->help);
	roff_text(f, opts_choices(o, mv, sizeof(mv)));
	fputs(o->required && !o->positional ? " (required)\n" : "\n", f);
}

static void synopsis(const struct cmd *c, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (!f)
		return;
	opts_print_synopsis(f, c->opts);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void roff_command(FILE *f, const struct cmd *c)
{
	char syn[512];

	synopsis(c, syn, sizeof(syn));
	fputs(".SS \"", f);
	fprintf(f, "shakeoff %s", c->name);
	roff_text(f, syn);
	fputs("\"\n", f);
	roff_text(f, c->description ? c->description : c->summary);
	fputc('\n', f);
	for (int i = 0; c->opts[i].name; i++)
		roff_option(f, &c->opts[i]);
}

void doc_man(FILE *f, const struct cmd *const *cmds, size_t n, const struct opt *global)
{
	fprintf(f, ".\\\" Generated by shakeoff --help-man (make docs); edit user/, not this file.\n"
		   ".TH SHAKEOFF 8 \"\" \"shakeoff %s\" \"System Administration\"\n"
		   ".SH NAME\nshakeoff \\- TCP handshake offload: SYN cookies in XDP, sockets made by "
		   "TC\n.SH SYNOPSIS\n.B shakeoff\n[\\fB\\-n\\fR \\fINETNS\\fR] [\\fB\\-v\\fR] "
		   "\\fICOMMAND\\fR [\\fIoptions\\fR]\n.SH DESCRIPTION\n",
		SO_VERSION);
	roff_prose(f, intro);
	fputs(".SH COMMANDS\n", f);
	for (size_t i = 0; i < n; i++)
		roff_command(f, cmds[i]);
	fputs(".SH GLOBAL OPTIONS\nBefore the command:\n", f);
	for (int i = 0; global[i].name; i++)
		roff_option(f, &global[i]);
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		fprintf(f, ".SH %s\n", after[i].title);
		roff_prose(f, after[i].text);
	}
}

/* --- Markdown ------------------------------------------------------------------------- */

static void md_prose(FILE *f, const char *text)
{
	bool example = false;

	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		bool ex = !strncmp(line, "    ", 4);

		if (ex != example)
			fputs(ex ? "\n```\n" : "```\n", f);
		example = ex;
		if (n)
			fprintf(f, "%.*s\n", (int)(ex ? n - 4 : n), ex ? line + 4 : line);
		else if (!ex)
			fputc('\n', f);
		line += n + (line[n] == '\n');
	}
	fputs(example ? "```\n\n" : "\n\n", f);
}

static void md_option(FILE *f, const struct opt *o)
{
	char mv[256];

	if (o->positional)
		fprintf(f, "* `%s`", o->metavar);
	else if (o->short_name)
		fprintf(f, "* `-%c, --%s%s%s`", o->short_name, o->name,
			opts_takes_value(o) ? " " : "",
			opts_takes_value(o) ? opts_metavar(o, mv, sizeof(mv)) : "");
	else
		fprintf(f, "* `--%s%s%s`", o->name, opts_takes_value(o) ? " " : "",
			opts_takes_value(o) ? opts_metavar(o, mv, sizeof(mv)) : "");
	fprintf(f, ": %s%s%s\n", o->help, opts_choices(o, mv, sizeof(mv)),
		o->required && !o->positional ? " (required)" : "");
}

/* A description's line breaks are for the terminal: one line here. */
static void md_paragraph(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' ? ' ' : *s, f);
	fputs("\n\n", f);
}

static void md_command(FILE *f, const struct cmd *c)
{
	char syn[512];

	synopsis(c, syn, sizeof(syn));
	fprintf(f, "#### %s\n\n```\nshakeoff %s%s\n```\n\n", c->name, c->name, syn);
	md_paragraph(f, c->description ? c->description : c->summary);
	for (int i = 0; c->opts[i].name; i++)
		md_option(f, &c->opts[i]);
	fputc('\n', f);
}

/* Title case for the section headings: "EXIT STATUS" -> "Exit status". */
static void md_heading(FILE *f, const char *title)
{
	fprintf(f, "### %c", title[0]);
	for (const char *p = title + 1; *p; p++)
		fputc(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p, f);
	fputs("\n\n", f);
}

void doc_markdown(FILE *f, const struct cmd *const *cmds, size_t n, const struct opt *global)
{
	fputs("`shakeoff [-n NETNS] [-v] COMMAND [options]`; `shakeoff help COMMAND` and\n"
	      "`man shakeoff` say the same as this section, which `shakeoff --help-markdown`\n"
	      "generates from the CLI's option tables.\n\n",
	      f);
	md_paragraph(f, intro);
	fputs("### Commands\n\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "* [`%s`](#%s): %s\n", cmds[i]->name, cmds[i]->name, cmds[i]->summary);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++)
		md_command(f, cmds[i]);
	fputs("### Global options\n\nBefore the command:\n\n", f);
	for (int i = 0; global[i].name; i++)
		md_option(f, &global[i]);
	fputc('\n', f);
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		md_heading(f, after[i].title);
		md_prose(f, after[i].text);
	}
}
