// SPDX-License-Identifier: GPL-2.0
/*
 * exporter.c - `shakeoff exporter [--listen ADDR:PORT]`: serve GET /metrics
 * (the text of `stats --prometheus`, every attachment of the network
 * namespace, read afresh per request) over HTTP/1.1.
 *
 * Deliberately tiny: one thread, one client at a time, one request per
 * connection (Connection: close), a deadline on each client so a slow one
 * cannot hold the others off for long. Anything but GET or HEAD of /metrics
 * gets 404 (unknown path), 405 (method) or 400 (not HTTP). SIGINT and
 * SIGTERM end it cleanly between requests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "prom.h"
#include "sys.h"

#define REQUEST_MAX 8192
#define CLIENT_DEADLINE_MS 5000

struct exporter_args {
	const char *listen;
};

static const struct opt exporter_opts[] = {
	{ .name = "listen", .short_name = 'l', .metavar = "ADDR:PORT",
	  .help = "where to listen: 127.0.0.1:9469 (the default), [::1]:9469, 0.0.0.0:9469 ...",
	  .type = OPT_STRING, .offset = offsetof(struct exporter_args, listen) },
	OPT_END
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" into host and port strings. */
static int split_listen(const char *arg, char *host, size_t hlen, const char **port)
{
	const char *colon = strrchr(arg, ':'), *start = arg;
	size_t n;

	if (!colon || !colon[1])
		return -1;
	*port = colon + 1;
	n = colon - arg;
	if (arg[0] == '[') {
		if (n < 2 || colon[-1] != ']')
			return -1;
		start = arg + 1;
		n -= 2;
	} else if (memchr(arg, ':', n)) {
		return -1; /* a bare IPv6 address needs its brackets */
	}
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, start, n);
	host[n] = '\0';
	return 0;
}

static int listen_on(const char *arg)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[64];
	const char *port;
	int fd = -1, one = 1;

	if (split_listen(arg, host, sizeof(host), &port) ||
	    getaddrinfo(host, port, &hints, &ai)) {
		pr_err("invalid --listen '%s': expected ADDR:PORT, like 127.0.0.1:9469 or [::1]:9469",
		       arg);
		return -2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		pr_err("cannot listen on %s: %s", arg, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Milliseconds left before deadline (CLOCK_MONOTONIC ns), at least 0. */
static int ms_left(unsigned long long deadline)
{
	unsigned long long now = clock_ns(CLOCK_MONOTONIC);

	return now >= deadline ? 0 : (int)((deadline - now) / 1000000);
}

/* Wait for fd to be ready for events before the deadline. */
static bool wait_fd(int fd, short events, unsigned long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	while (!stop) {
		int n = poll(&p, 1, ms_left(deadline));

		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
	}
	return false;
}

/* Read the request head (up to the blank line); its length, or -1. */
static int read_request(int fd, char *buf, size_t size, unsigned long long deadline)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline))
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			return len ? (int)len : -1; /* a head cut short still gets an answer */
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return len;
	}
	return len;
}

static void send_all(int fd, const char *data, size_t len, unsigned long long deadline)
{
	while (len > 0 && wait_fd(fd, POLLOUT, deadline)) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		data += n;
		len -= n;
	}
}

static void respond(int fd, const char *status, const char *type, const char *extra,
		    const char *body, size_t len, bool head_only, unsigned long long deadline)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n",
			 status, type, len, extra);

	send_all(fd, hdr, n, deadline);
	if (!head_only)
		send_all(fd, body, len, deadline);
}

#define TEXT "text/plain; charset=utf-8"
#define PROM_TEXT "text/plain; version=0.0.4; charset=utf-8"

static void respond_text(int fd, const char *status, const char *extra, const char *body,
			 bool head_only, unsigned long long deadline)
{
	respond(fd, status, TEXT, extra, body, strlen(body), head_only, deadline);
}

/* The scrape itself: 200 with the text, or 500 if an attachment could not be read. */
static void respond_metrics(int fd, bool head_only, unsigned long long deadline)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err = f ? prom_write(f, NULL) : -1;

	if (f)
		fclose(f);
	if (err || !body)
		respond_text(fd, "500 Internal Server Error", "",
			     "cannot read the attachments; see the exporter's stderr\n", head_only,
			     deadline);
	else
		respond(fd, "200 OK", PROM_TEXT, "", body, len, head_only, deadline);
	free(body);
}

/* "GET /metrics HTTP/1.1": which answer. */
static void serve(int fd)
{
	unsigned long long deadline = clock_ns(CLOCK_MONOTONIC) + CLIENT_DEADLINE_MS * 1000000ull;
	char req[REQUEST_MAX], method[16], target[256], version[16];
	bool head;

	if (read_request(fd, req, sizeof(req), deadline) < 0)
		return;
	if (sscanf(req, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		respond_text(fd, "400 Bad Request", "", "bad request\n", false, deadline);
		return;
	}
	head = !strcmp(method, "HEAD");
	target[strcspn(target, "?")] = '\0';
	if (!head && strcmp(method, "GET"))
		respond_text(fd, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			     "method not allowed\n", false, deadline);
	else if (strcmp(target, "/metrics"))
		respond_text(fd, "404 Not Found", "", "not found; the metrics are at /metrics\n",
			     head, deadline);
	else
		respond_metrics(fd, head, deadline);
}

static int accept_loop(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	while (!stop) {
		int cfd;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("cannot wait for clients: %s", strerror(errno));
			return -1;
		}
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue; /* the client gave up already, or EINTR */
		serve(cfd);
		close(cfd);
	}
	return 0;
}

static int run_exporter(void *args)
{
	struct exporter_args *a = args;
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: wake poll */
	int lfd, err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	lfd = listen_on(a->listen);
	if (lfd < 0)
		return lfd == -2 ? RC_USAGE : RC_FAIL;
	printf("shakeoff: serving metrics on http://%s/metrics\n", a->listen);
	fflush(stdout);
	err = accept_loop(lfd);
	close(lfd);
	return err ? RC_FAIL : RC_OK;
}

static struct exporter_args exporter_args = { .listen = "127.0.0.1:9469" };

const struct cmd cmd_exporter = {
	.name = "exporter",
	.summary = "serve the counters of every attachment to Prometheus over HTTP",
	.description = "Serve GET /metrics over HTTP/1.1: the text of 'shakeoff stats --prometheus'\n"
		       "for every attachment of this network namespace, read afresh per request.\n"
		       "One client at a time, one request per connection; runs until SIGINT or\n"
		       "SIGTERM.",
	.opts = exporter_opts,
	.args = &exporter_args,
	.needs_root = true,
	.run = run_exporter,
};
