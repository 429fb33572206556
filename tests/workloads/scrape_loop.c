// SPDX-License-Identifier: GPL-2.0
/*
 * scrape_loop — scrape an HTTP endpoint at a fixed rate, like a Prometheus
 * server with a short scrape interval: one new connection every 1/RATE s
 * ("GET /metrics", OpenMetrics accepted), whether or not earlier ones have
 * been answered (at most 512 open at once), for SECONDS. One process, no
 * fork per request, so that what it measures is the endpoint, not itself.
 *
 * Prints "requests=N ok=M failed=F open_at_end=O" (ok: answered with
 * "HTTP/1.0 200" and closed by the server).
 *
 * Usage: scrape_loop PORT RATE SECONDS        (on 127.0.0.1)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "wl.h"

#define MAXC 512

struct conn {
	int fd;
	int sent;
	size_t got;
	char head[16];
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n"
			  "Accept: application/openmetrics-text;version=1.0.0\r\n\r\n";

int main(int argc, char **argv)
{
	struct conn c[MAXC];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long port, rate, secs, requests = 0, ok = 0, failed = 0, open_n = 0;
	long long start, next, end, step;

	if (argc != 4 || wl_parse_long(argv[1], 1, 65535, &port) ||
	    wl_parse_long(argv[2], 1, 1000, &rate) || wl_parse_long(argv[3], 1, 3600, &secs))
		return wl_usage("scrape_loop PORT RATE SECONDS");
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < MAXC; i++)
		c[i].fd = -1;
	start = now_ns();
	next = start;
	end = start + secs * 1000000000LL;
	step = 1000000000LL / rate;

	while (now_ns() < end || open_n > 0) {
		struct pollfd p[MAXC];
		int idx[MAXC], n = 0, timeout;
		long long t = now_ns();

		if (t >= next && t < end) {
			int i;

			next += step;
			requests++;
			for (i = 0; i < MAXC && c[i].fd >= 0; i++)
				;
			if (i == MAXC) {
				failed++;               /* too many unanswered */
				continue;
			}
			c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c[i].fd < 0 || (connect(c[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
					     errno != EINPROGRESS)) {
				if (c[i].fd >= 0)
					close(c[i].fd);
				c[i].fd = -1;
				failed++;
				continue;
			}
			c[i].sent = 0;
			c[i].got = 0;
			open_n++;
		}
		if (t > end + 150000000000LL)
			break;                          /* 150 s grace for the last answers */
		for (int i = 0; i < MAXC; i++)
			if (c[i].fd >= 0) {
				p[n].fd = c[i].fd;
				p[n].events = c[i].sent ? POLLIN : POLLOUT;
				idx[n++] = i;
			}
		timeout = t < end ? (int)((next - t) / 1000000) : 100;
		if (timeout < 0)
			timeout = 0;
		if (poll(p, n, timeout) < 0 && errno != EINTR)
			return 1;
		for (int k = 0; k < n; k++) {
			struct conn *x = &c[idx[k]];
			char buf[4096];
			ssize_t r;

			if (!p[k].revents)
				continue;
			if (!x->sent) {
				if (send(x->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
					goto bad;
				x->sent = 1;
				continue;
			}
			r = read(x->fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r < 0)
				goto bad;
			if (r > 0) {
				for (ssize_t j = 0; j < r && x->got < sizeof(x->head); j++)
					x->head[x->got++] = buf[j];
				continue;
			}
			/* EOF: the whole answer is in */
			if (x->got >= 12 && memcmp(x->head, "HTTP/1.0 200", 12) == 0)
				ok++;
			else
				failed++;
			close(x->fd);
			x->fd = -1;
			open_n--;
			continue;
bad:
			failed++;
			close(x->fd);
			x->fd = -1;
			open_n--;
		}
	}
	printf("requests=%ld ok=%ld failed=%ld open_at_end=%ld seconds=%.1f\n", requests, ok, failed,
	       open_n, (double)(now_ns() - start) / 1e9);
	return 0;
}
