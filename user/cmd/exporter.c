// SPDX-License-Identifier: GPL-2.0
/*
 * exporter.c - `shakeoff exporter [--listen ADDR:PORT]`: serve GET /metrics
 * (the text of `stats --prometheus`, every attachment of the network
 * namespace, read afresh per request) over HTTP/1.1, with libmicrohttpd.
 *
 * libmicrohttpd's one internal thread waits on every client at once
 * (epoll), so a client that connects and sends nothing, or reads slowly,
 * delays no one; it is dropped after CLIENT_TIMEOUT_S of silence. A scrape
 * takes a few map reads, so answering them one after the other in that
 * thread is enough. Anything but GET or HEAD of /metrics gets 404 (unknown
 * path) or 405 (method); libmicrohttpd answers what is not HTTP with 400.
 * SIGINT and SIGTERM end it cleanly: the main thread only waits for them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "endpoint.h"
#include "log.h"
#include "prom.h"
#include "stop.h"

#define CLIENT_TIMEOUT_S 5 /* a Prometheus scrape takes milliseconds: 5 s is a stuck client */
#define CLIENTS_MAX 64      /* scrapers and curls at once; libmicrohttpd closes one more at once */
#define LISTEN_BACKLOG 64   /* connections the kernel queues before the daemon takes them */
/* listen_on()'s result for a --listen that does not parse: a usage error,
 * not the system's refusal (-1) */
#define LISTEN_USAGE (-2)

struct exporter_args {
	const char *listen;
};

static const struct opt exporter_opts[] = {
	{ .name = "listen", .short_name = 'l', .metavar = "ADDR:PORT",
	  .help = "where to listen: 127.0.0.1:9469 (the default), [::1]:9469, 0.0.0.0:9469 ...",
	  .type = OPT_STRING, .offset = offsetof(struct exporter_args, listen) },
	OPT_END
};

/* The listening socket, made here (not by libmicrohttpd) so that a bad
 * address or a port in use is one sentence of ours. */
static int listen_on(const char *arg)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[64];
	const char *port;
	int fd = -1, one = 1;

	if (endpoint_split(arg, host, sizeof(host), &port) ||
	    getaddrinfo(host, port, &hints, &ai)) {
		pr_err("invalid --listen '%s': expected ADDR:PORT, like 127.0.0.1:9469 or [::1]:9469",
		       arg);
		return LISTEN_USAGE;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, LISTEN_BACKLOG)) {
		pr_err("cannot listen on %s: %s", arg, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

#define TEXT "text/plain; charset=utf-8"
#define PROM_TEXT "text/plain; version=0.0.4; charset=utf-8"

/* Queue one answer; body is copied unless owned (then freed by libmicrohttpd). */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *type,
			      char *body, size_t len, bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned int status, const char *s)
{
	return answer(c, status, TEXT, (char *)s, strlen(s), false);
}

/* The scrape itself: 200 with the text, or 500 if an attachment could not be read. */
static enum MHD_Result answer_metrics(struct MHD_Connection *c)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err = f ? prom_write(f, NULL) : -1;

	if (f)
		fclose(f);
	if (err || !body) {
		free(body);
		return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the attachments; see the exporter's stderr\n");
	}
	return answer(c, MHD_HTTP_OK, PROM_TEXT, body, len, true);
}

/* libmicrohttpd's request handler: which answer. Called again for each
 * piece of a request body; the answer is queued on the first call and the
 * body, if any, is ignored. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	(void)cls, (void)version, (void)upload;
	if (*state) {
		*upload_len = 0;
		return MHD_YES;
	}
	*state = c;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics"))
		return answer_text(c, MHD_HTTP_NOT_FOUND, "not found; the metrics are at /metrics\n");
	return answer_metrics(c);
}

/* libmicrohttpd's own messages: shown with -v, like libbpf's. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	pr_debug("libmicrohttpd: %s", msg);
}

static struct MHD_Daemon *start_daemon(int lfd)
{
	return MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_request, NULL,
				/* first, so that every later message goes through it */
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CLIENT_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CLIENTS_MAX, MHD_OPTION_END);
}

static int run_exporter(void *args)
{
	struct exporter_args *a = args;
	struct MHD_Daemon *d;
	sigset_t block, old;
	int lfd;

	/* Block the signals before the daemon's thread exists, so it inherits
	 * the mask and they reach this thread alone, in sigsuspend. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	stop_on_signals();
	lfd = listen_on(a->listen);
	if (lfd < 0)
		return lfd == LISTEN_USAGE ? RC_USAGE : RC_FAIL;
	d = start_daemon(lfd);
	if (!d) {
		pr_err("cannot start serving on %s: libmicrohttpd refused (-v says why)", a->listen);
		close(lfd);
		return RC_FAIL;
	}
	printf("shakeoff: serving metrics on http://%s/metrics\n", a->listen);
	fflush(stdout);
	while (!stop_requested)
		sigsuspend(&old);
	MHD_stop_daemon(d); /* closes lfd too */
	sigprocmask(SIG_SETMASK, &old, NULL);
	return RC_OK;
}

static struct exporter_args exporter_args = { .listen = "127.0.0.1:9469" };

const struct cmd cmd_exporter = {
	.name = "exporter",
	.summary = "serve the counters of every attachment to Prometheus over HTTP",
	.description = "Serve GET /metrics over HTTP/1.1 (libmicrohttpd): the text of 'shakeoff stats\n"
		       "--prometheus' for every attachment of this network namespace, read afresh\n"
		       "per request. Clients are served side by side: one that sends nothing delays\n"
		       "no one and is dropped after 5 s of silence. Runs until SIGINT or SIGTERM.",
	.opts = exporter_opts,
	.args = &exporter_args,
	.needs_root = true,
	.run = run_exporter,
};
