/*
 * The least a libcurl client spends per request, for bench/engine.sh: the
 * HTTP half of what the worker does, and nothing else.  It posts the same
 * message as the worker n times, keeps `in_flight` requests on the wire
 * with the multi interface (its socket and timer callbacks and one epoll
 * set, as src/zalo_client.c does), reuses its easy handles and their
 * connections, and throws the answers away unread: no database, no JSON.
 *
 *   curl_floor URL BODY-FILE N IN-FLIGHT
 *
 * Like the worker, it raises its soft open-files limit to the hard one.
 *
 * Prints "requests/s µs-of-CPU-per-request failures" (utime + stime of the
 * process over the run, from getrusage).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

static int	epoll_fd;
static long timer_ms = -1;		/* libcurl's timer: -1 none, else ms from set_at */
static struct timespec timer_set_at;

static double
seconds(struct timespec t)
{
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int
watch_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct epoll_event ev = {0};

	(void) easy;
	if (what == CURL_POLL_REMOVE)
	{
		epoll_ctl(epoll_fd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = s;
	/* as the worker: a socket being watched is marked, so a change is one call */
	if (socketp != NULL)
		return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s, &ev) == 0 ? 0 : -1;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s, &ev) != 0 && errno != EEXIST)
		return -1;
	curl_multi_assign((CURLM *) userp, s, &epoll_fd);
	return 0;
}

static int
set_timer(CURLM *multi, long ms, void *userp)
{
	(void) multi;
	(void) userp;
	timer_ms = ms;
	clock_gettime(CLOCK_MONOTONIC, &timer_set_at);
	return 0;
}

static size_t
discard(char *data, size_t size, size_t n, void *userp)
{
	(void) data;
	(void) userp;
	return size * n;
}

/* ms until libcurl's timer fires: -1 none, 0 now */
static int
timer_wait(void)
{
	struct timespec now;
	double		left;

	if (timer_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = timer_ms - (seconds(now) - seconds(timer_set_at)) * 1000;
	return left <= 0 ? 0 : (int) left + 1;
}

int
main(int argc, char **argv)
{
	static char body[65536];
	CURLM	   *multi;
	CURL	  **handles;
	struct curl_slist *headers = NULL;
	FILE	   *f;
	size_t		len;
	long		n,
				in_flight,
				started = 0,
				done = 0,
				failed = 0;
	int			running;
	struct timespec t0,
				t1;
	struct rusage ru;

	if (argc != 5)
	{
		fprintf(stderr, "usage: %s URL BODY-FILE N IN-FLIGHT\n", argv[0]);
		return 2;
	}
	if ((f = fopen(argv[2], "rb")) == NULL)
	{
		perror(argv[2]);
		return 2;
	}
	len = fread(body, 1, sizeof(body) - 1, f);
	fclose(f);
	n = atol(argv[3]);
	in_flight = atol(argv[4]);
	{
		struct rlimit files;

		if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max)
		{
			files.rlim_cur = files.rlim_max;
			(void) setrlimit(RLIMIT_NOFILE, &files);
		}
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, watch_socket);
	curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, multi);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, set_timer);
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, in_flight);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, in_flight);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "access_token: AT_0");
	handles = calloc(in_flight, sizeof(CURL *));
	for (long i = 0; i < in_flight; i++)
	{
		handles[i] = curl_easy_init();
		curl_easy_setopt(handles[i], CURLOPT_URL, argv[1]);
		curl_easy_setopt(handles[i], CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(handles[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(handles[i], CURLOPT_POSTFIELDSIZE, (long) len);
		curl_easy_setopt(handles[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(handles[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(handles[i], CURLOPT_TIMEOUT_MS, 30000L);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < in_flight && started < n; i++, started++)
		curl_multi_add_handle(multi, handles[i]);
	while (done < n)
	{
		struct epoll_event events[64];
		int			ready = epoll_wait(epoll_fd, events, 64, timer_wait());
		CURLMsg    *msg;
		int			left;

		for (int i = 0; i < ready; i++)
		{
			int			mask = 0;

			if (events[i].events & (EPOLLIN | EPOLLHUP))
				mask |= CURL_CSELECT_IN;
			if (events[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (events[i].events & EPOLLERR)
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(multi, events[i].data.fd, mask, &running);
		}
		if (timer_wait() == 0)
		{
			timer_ms = -1;
			curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		{
			CURL	   *easy = msg->easy_handle;

			if (msg->msg != CURLMSG_DONE)
				continue;
			if (msg->data.result != CURLE_OK)
				failed++;
			done++;
			curl_multi_remove_handle(multi, easy);
			if (started < n)
			{
				started++;
				curl_multi_add_handle(multi, easy);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.0f %.0f %ld\n", n / (seconds(t1) - seconds(t0)),
		   (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 / n
		   + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / (double) n,
		   failed);
	return failed > 0;
}
