/*
 * zalo_client.c
 *		libcurl multi-interface transport and JSON answer parsing for the
 *		Zalo APIs.  Owns every CURL handle and json-c object it creates and
 *		frees them with their own functions.
 *
 * A request that must not go out (a header value with a control character,
 * a plain http:// URL while zalo_tthc.allow_insecure_http is off) is still
 * built and started, but finishes at once with the reason in its result
 * and nothing sent.  Every text copied from an answer is valid UTF-8, cut
 * at a character boundary to its buffer.
 */
#include "zalo_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#define ZC_HAVE_EPOLL 1
#endif

#define MAX_ANSWER_BYTES (1024 * 1024)

#define lengthof_events(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* U+FFFD REPLACEMENT CHARACTER, in place of each invalid byte */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* zalo_tthc.allow_insecure_http, set by the setting's assign hook */
static bool allow_insecure_http = false;

struct ZaloRequest
{
	ZaloEndpoint endpoint;
	void	   *tag;
	CURL	   *easy;
	struct curl_slist *headers;
	curl_mime  *mime;
	char	   *body;
	char	   *answer;
	size_t		answer_len;
	bool		answer_too_big;
	struct timespec started;
	ZaloResult	result;
	ZaloRequest *next_done;
	int			times_sent;		/* requests libcurl issued for this one */
	char		curl_error[CURL_ERROR_SIZE];
	/* why the request may not be sent; empty when it may */
	char		refusal[256];
	ZaloErrorClass refusal_class;
};

struct ZaloClient
{
	CURLM	   *multi;
	ZaloClientOptions opts;
	char	   *ca_file;
	int			in_flight;
	ZaloRequest *done_head;
	ZaloRequest *done_tail;
	ZaloRequest *refused_head;	/* started but not sent, done at next poll */

	/*
	 * The sockets libcurl asks to be watched, in an epoll set of their own
	 * (-1 without epoll), and libcurl's timer: the caller waits on the one
	 * descriptor, with the timer as timeout, and nothing else.
	 */
	int			epoll_fd;
	bool		timer_set;
	struct timespec timer_due;
};

/* Allow or refuse plain http:// base URLs (zalo_tthc.allow_insecure_http). */
void
zalo_client_allow_insecure_http(bool allow)
{
	allow_insecure_http = allow;
}

/*
 * The length of the valid UTF-8 character at s (NUL-terminated), or 0 for
 * a byte that starts none: RFC 3629, so no overlong forms, no surrogates,
 * nothing above U+10FFFF.
 */
static size_t
utf8_char_length(const unsigned char *s)
{
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
	{
		len = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;
	}
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
	{
		len = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/*
 * Copy src into dst (dstlen bytes, terminator included) as valid UTF-8:
 * each byte that is not part of a valid character becomes U+FFFD, and the
 * copy ends before the first character that does not fit whole.  Returns
 * the bytes written.  Texts from Zalo's answers go through this before
 * they are stored in text columns.
 */
size_t
zalo_copy_utf8(char *dst, size_t dstlen, const char *src)
{
	const unsigned char *p = (const unsigned char *) (src ? src : "");
	size_t		out = 0;

	if (dstlen == 0)
		return 0;
	while (*p)
	{
		size_t		len = utf8_char_length(p);
		const char *piece = len ? (const char *) p : UTF8_REPLACEMENT;
		size_t		piece_len = len ? len : strlen(UTF8_REPLACEMENT);

		if (out + piece_len > dstlen - 1)
			break;
		memcpy(dst + out, piece, piece_len);
		out += piece_len;
		p += len ? len : 1;
	}
	dst[out] = '\0';
	return out;
}

/* Format the error text of a result, as valid UTF-8 that fits. */
static void
set_error_text(ZaloResult *r, const char *fmt,...)
__attribute__((format(printf, 2, 3)));

static void
set_error_text(ZaloResult *r, const char *fmt,...)
{
	char		text[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	zalo_copy_utf8(r->error_text, sizeof(r->error_text), text);
}

/* Mark a request as not to be sent, for this reason (the first one counts). */
static void
refuse_request(ZaloRequest *req, ZaloErrorClass error_class, const char *fmt,...)
__attribute__((format(printf, 3, 4)));

static void
refuse_request(ZaloRequest *req, ZaloErrorClass error_class, const char *fmt,...)
{
	va_list		ap;

	if (req->refusal[0])
		return;
	va_start(ap, fmt);
	vsnprintf(req->refusal, sizeof(req->refusal), fmt, ap);
	va_end(ap);
	req->refusal_class = error_class;
}

/* True when s holds a control character (C0 or DEL): CR and LF among them. */
static bool
has_control_character(const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return true;
	return false;
}

/* One-time libcurl initialisation; false with a message on failure. */
bool
zalo_client_global_init(char *errbuf, size_t errlen)
{
	CURLcode	rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
	{
		snprintf(errbuf, errlen, "curl_global_init failed: %s", curl_easy_strerror(rc));
		return false;
	}
	return true;
}

/* Apply the connection-pool limits of the options to the multi handle. */
static void
apply_multi_options(ZaloClient *client)
{
	curl_multi_setopt(client->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) client->opts.max_in_flight);
	curl_multi_setopt(client->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) client->opts.max_in_flight);
	curl_multi_setopt(client->multi, CURLMOPT_MAXCONNECTS, (long) client->opts.max_in_flight);
	curl_multi_setopt(client->multi, CURLMOPT_PIPELINING, (long) CURLPIPE_MULTIPLEX);
}

#ifdef ZC_HAVE_EPOLL
/*
 * libcurl's socket callback: watch the socket for what libcurl waits on.
 * A socket libcurl starts watching is added to the epoll set and marked
 * (curl_multi_assign), so a change of what it waits on is one call; the
 * mark goes with CURL_POLL_REMOVE, which a kept-alive connection gets at
 * the end of each request.  A socket that cannot be watched makes libcurl
 * fail the transfers in progress (they are retried), rather than wait for
 * them forever.
 */
static int
watch_socket(CURL *easy, curl_socket_t s, int what, void *clientp, void *socketp)
{
	ZaloClient *client = clientp;
	struct epoll_event ev;

	(void) easy;
	if (what == CURL_POLL_REMOVE)
	{
		/* the socket may already be closed, which removed it */
		(void) epoll_ctl(client->epoll_fd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	ev.data.fd = s;
	if (socketp != NULL)
		return epoll_ctl(client->epoll_fd, EPOLL_CTL_MOD, s, &ev) == 0 ? 0 : -1;
	if (epoll_ctl(client->epoll_fd, EPOLL_CTL_ADD, s, &ev) != 0 &&
		(errno != EEXIST || epoll_ctl(client->epoll_fd, EPOLL_CTL_MOD, s, &ev) != 0))
		return -1;
	curl_multi_assign(client->multi, s, client);
	return 0;
}
#endif

/* libcurl's timer callback: when to call it back without socket activity. */
static int
set_timer(CURLM *multi, long timeout_ms, void *clientp)
{
	ZaloClient *client = clientp;

	(void) multi;
	if (timeout_ms < 0)
	{
		client->timer_set = false;
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &client->timer_due);
	client->timer_due.tv_sec += timeout_ms / 1000;
	client->timer_due.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (client->timer_due.tv_nsec >= 1000000000L)
	{
		client->timer_due.tv_sec++;
		client->timer_due.tv_nsec -= 1000000000L;
	}
	client->timer_set = true;
	return 0;
}

/* A client that keeps connections open between requests. */
ZaloClient *
zalo_client_create(const ZaloClientOptions *opts)
{
	ZaloClient *client = calloc(1, sizeof(ZaloClient));

	if (client == NULL)
		return NULL;
	client->epoll_fd = -1;
	client->multi = curl_multi_init();
	if (client->multi == NULL)
	{
		free(client);
		return NULL;
	}
#ifdef ZC_HAVE_EPOLL
	client->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (client->epoll_fd < 0)
	{
		curl_multi_cleanup(client->multi);
		free(client);
		return NULL;
	}
	curl_multi_setopt(client->multi, CURLMOPT_SOCKETFUNCTION, watch_socket);
	curl_multi_setopt(client->multi, CURLMOPT_SOCKETDATA, client);
	curl_multi_setopt(client->multi, CURLMOPT_TIMERFUNCTION, set_timer);
	curl_multi_setopt(client->multi, CURLMOPT_TIMERDATA, client);
#endif
	zalo_client_set_options(client, opts);
	return client;
}

/* Change timeouts and limits (after a configuration reload). */
void
zalo_client_set_options(ZaloClient *client, const ZaloClientOptions *opts)
{
	free(client->ca_file);
	client->ca_file = (opts->ca_file && opts->ca_file[0]) ? strdup(opts->ca_file) : NULL;
	client->opts = *opts;
	client->opts.ca_file = client->ca_file;
	if (client->opts.max_in_flight < 1)
		client->opts.max_in_flight = 1;
	apply_multi_options(client);
}

/*
 * Free the client at exit, with the requests it still holds: refused ones
 * and finished ones not yet taken.  Requests on the wire are abandoned:
 * libcurl detaches them from the client, and they stay the caller's to
 * free (zalo_request_free) or to leave to the process's exit.
 */
void
zalo_client_destroy(ZaloClient *client)
{
	if (client == NULL)
		return;
	while (client->refused_head)
	{
		ZaloRequest *req = client->refused_head;

		client->refused_head = req->next_done;
		zalo_request_free(req);
	}
	while (client->done_head)
	{
		ZaloRequest *req = client->done_head;

		client->done_head = req->next_done;
		zalo_request_free(req);
	}
	client->done_tail = NULL;
	curl_multi_cleanup(client->multi);
	if (client->epoll_fd >= 0)
		close(client->epoll_fd);
	free(client->ca_file);
	free(client);
}

/* libcurl write callback: collect the answer, up to MAX_ANSWER_BYTES. */
static size_t
collect_answer(char *data, size_t size, size_t nmemb, void *userp)
{
	ZaloRequest *req = userp;
	size_t		n = size * nmemb;
	char	   *grown;

	if (req->answer_len + n > MAX_ANSWER_BYTES)
	{
		req->answer_too_big = true;
		return 0;
	}
	grown = realloc(req->answer, req->answer_len + n + 1);
	if (grown == NULL)
		return 0;
	req->answer = grown;
	memcpy(req->answer + req->answer_len, data, n);
	req->answer_len += n;
	req->answer[req->answer_len] = '\0';
	return n;
}

/*
 * libcurl calls this right before it issues the request, also when it
 * silently issues it again on a fresh connection because a reused one died
 * before answering.  Counting the calls shows such a resend, which may have
 * reached Zalo twice.
 */
static int
count_send(void *userp, char *conn_primary_ip, char *conn_local_ip,
		   int conn_primary_port, int conn_local_port)
{
	ZaloRequest *req = userp;

	req->times_sent++;
	return CURL_PREREQFUNC_OK;
}

/* A request with the settings common to every endpoint. */
static ZaloRequest *
new_request(ZaloEndpoint endpoint, const char *url, void *tag)
{
	ZaloRequest *req = calloc(1, sizeof(ZaloRequest));

	if (req == NULL)
		return NULL;
	req->endpoint = endpoint;
	req->tag = tag;
	req->easy = curl_easy_init();
	if (req->easy == NULL)
	{
		free(req);
		return NULL;
	}
	/*
	 * Tokens travel in headers: plain http is for a local mock only.  A
	 * refused token refresh would ask for a new authorisation, so the
	 * refresh is refused as an outage, the rest as a configuration error.
	 */
	if (strncasecmp(url, "http://", 7) == 0 && !allow_insecure_http)
		refuse_request(req, endpoint == ZE_OAUTH_REFRESH ? ZC_RETRY : ZC_CONFIG,
					   "not sent: the base URL %.120s is plain http and zalo_tthc.allow_insecure_http is off",
					   url);
	/* libcurl would read a URL without a scheme as http */
	else if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
		refuse_request(req, endpoint == ZE_OAUTH_REFRESH ? ZC_RETRY : ZC_CONFIG,
					   "not sent: the base URL %.120s does not start with https://", url);
	curl_easy_setopt(req->easy, CURLOPT_URL, url);
	curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);
	curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, collect_answer);
	curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(req->easy, CURLOPT_ERRORBUFFER, req->curl_error);
	curl_easy_setopt(req->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(req->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(req->easy, CURLOPT_USERAGENT, "zalo_tthc/0.1");
	curl_easy_setopt(req->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(req->easy, CURLOPT_PREREQFUNCTION, count_send);
	/* no "Expect: 100-continue" wait (up to 1 s) before bodies over 1 kB */
	req->headers = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(req->easy, CURLOPT_PREREQDATA, req);
	return req;
}

/*
 * Append "name: value" to the request's headers.  A value with a control
 * character (a CR LF would end the header and start another) is not added
 * and the request is refused; false only when out of memory.
 */
static bool
add_header(ZaloRequest *req, const char *name, const char *value)
{
	size_t		len = strlen(name) + strlen(value) + 3;
	char	   *line;
	struct curl_slist *grown;

	if (has_control_character(value))
	{
		refuse_request(req, ZC_CONFIG,
					   "not sent: the %s header value holds a control character (CR, LF or another)", name);
		return true;
	}
	line = malloc(len);
	if (line == NULL)
		return false;
	snprintf(line, len, "%s: %s", name, value);
	grown = curl_slist_append(req->headers, line);
	free(line);
	if (grown == NULL)
		return false;
	req->headers = grown;
	return true;
}

/* The path of an endpoint, appended to its base URL. */
static const char *
endpoint_path(ZaloEndpoint endpoint)
{
	switch (endpoint)
	{
		case ZE_OA_TEMPLATE:
			return "/v3.0/oa/message/template";
		case ZE_OA_TRANSACTION:
			return "/v3.0/oa/message/transaction";
		case ZE_OA_QUOTA:
			return "/v3.0/oa/quota/message";
		case ZE_ZNS_HASHPHONE:
			return "/message/template/hashphone";
		case ZE_TEMPLATE_INFO:
			return "/template/info/v2";
		case ZE_OA_CS:
			return "/v3.0/oa/message/cs";
		case ZE_OA_UPLOAD_FILE:
			return "/v2.0/oa/upload/file";
		case ZE_ZNS_TEMPLATE:
			return "/message/template";
		case ZE_OAUTH_REFRESH:
			return "/v4/oa/access_token";
	}
	return "/";
}

/* base_url + the endpoint's path, without a doubled slash. */
static char *
endpoint_url(const char *base_url, ZaloEndpoint endpoint)
{
	const char *path = endpoint_path(endpoint);
	size_t		blen = strlen(base_url);
	char	   *url;

	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	url = malloc(blen + strlen(path) + 1);
	if (url == NULL)
		return NULL;
	memcpy(url, base_url, blen);
	strcpy(url + blen, path);
	return url;
}

/* A JSON POST with the access_token header (OA message or ZNS). */
ZaloRequest *
zalo_request_json(ZaloEndpoint endpoint, const char *base_url,
				  const char *access_token, const char *json_body, void *tag)
{
	char	   *url = endpoint_url(base_url, endpoint);
	ZaloRequest *req;

	if (url == NULL)
		return NULL;
	req = new_request(endpoint, url, tag);
	free(url);
	if (req == NULL)
		return NULL;
	req->body = strdup(json_body);
	if (req->body == NULL ||
		!add_header(req, "access_token", access_token) ||
		!add_header(req, "Content-Type", "application/json"))
	{
		zalo_request_free(req);
		return NULL;
	}
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(req->easy, CURLOPT_POSTFIELDSIZE, (long) strlen(req->body));
	return req;
}

/* GET a template's detail: status, parameters, prices. */
ZaloRequest *
zalo_request_template_info(const char *base_url, const char *access_token,
						   const char *template_id, void *tag)
{
	char	   *path = endpoint_url(base_url, ZE_TEMPLATE_INFO);
	char	   *escaped;
	char	   *url;
	ZaloRequest *req;

	if (path == NULL)
		return NULL;
	escaped = curl_easy_escape(NULL, template_id, 0);
	url = escaped ? malloc(strlen(path) + strlen(escaped) + sizeof("?template_id=")) : NULL;
	if (url)
		sprintf(url, "%s?template_id=%s", path, escaped);
	curl_free(escaped);
	free(path);
	if (url == NULL)
		return NULL;
	req = new_request(ZE_TEMPLATE_INFO, url, tag);
	free(url);
	if (req == NULL)
		return NULL;
	if (!add_header(req, "access_token", access_token))
	{
		zalo_request_free(req);
		return NULL;
	}
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(req->easy, CURLOPT_HTTPGET, 1L);
	return req;
}

/* A multipart upload of one file (part "file") for a file message. */
ZaloRequest *
zalo_request_upload(const char *base_url, const char *access_token,
					const char *file_name, const void *data, size_t len, void *tag)
{
	char	   *url = endpoint_url(base_url, ZE_OA_UPLOAD_FILE);
	ZaloRequest *req;
	curl_mimepart *part;

	if (url == NULL)
		return NULL;
	req = new_request(ZE_OA_UPLOAD_FILE, url, tag);
	free(url);
	if (req == NULL)
		return NULL;
	req->mime = curl_mime_init(req->easy);
	part = req->mime ? curl_mime_addpart(req->mime) : NULL;
	if (part == NULL || !add_header(req, "access_token", access_token))
	{
		zalo_request_free(req);
		return NULL;
	}
	curl_mime_name(part, "file");
	curl_mime_filename(part, file_name);
	curl_mime_type(part, "application/pdf");
	curl_mime_data(part, data, len);
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(req->easy, CURLOPT_MIMEPOST, req->mime);
	return req;
}

/* The refresh-token grant; the app secret goes in the secret_key header. */
ZaloRequest *
zalo_request_refresh(const char *oauth_base_url, const char *app_id,
					 const char *app_secret, const char *refresh_token, void *tag)
{
	char	   *url = endpoint_url(oauth_base_url, ZE_OAUTH_REFRESH);
	ZaloRequest *req;
	char	   *esc_token;
	char	   *esc_app;
	size_t		len;

	if (url == NULL)
		return NULL;
	req = new_request(ZE_OAUTH_REFRESH, url, tag);
	free(url);
	if (req == NULL)
		return NULL;
	esc_token = curl_easy_escape(req->easy, refresh_token, 0);
	esc_app = curl_easy_escape(req->easy, app_id, 0);
	if (esc_token == NULL || esc_app == NULL)
	{
		curl_free(esc_token);
		curl_free(esc_app);
		zalo_request_free(req);
		return NULL;
	}
	len = strlen(esc_token) + strlen(esc_app) + 64;
	req->body = malloc(len);
	if (req->body != NULL)
		snprintf(req->body, len, "refresh_token=%s&app_id=%s&grant_type=refresh_token",
				 esc_token, esc_app);
	curl_free(esc_token);
	curl_free(esc_app);
	if (req->body == NULL ||
		!add_header(req, "secret_key", app_secret) ||
		!add_header(req, "Content-Type", "application/x-www-form-urlencoded"))
	{
		zalo_request_free(req);
		return NULL;
	}
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, req->body);
	return req;
}

/* Free a request that is not (or no longer) in a client. */
void
zalo_request_free(ZaloRequest *req)
{
	if (req == NULL)
		return;
	if (req->easy)
		curl_easy_cleanup(req->easy);
	curl_mime_free(req->mime);
	curl_slist_free_all(req->headers);
	free(req->body);
	free(req->answer);
	free(req->result.template_params);
	free(req);
}

void *
zalo_request_tag(const ZaloRequest *req)
{
	return req->tag;
}

ZaloEndpoint
zalo_request_endpoint(const ZaloRequest *req)
{
	return req->endpoint;
}

const ZaloResult *
zalo_request_result(const ZaloRequest *req)
{
	return &req->result;
}

/* Milliseconds elapsed since a time. */
static double
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000.0 + (now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The result of a request that was refused before it was sent. */
static void
fill_refused_result(ZaloRequest *req)
{
	ZaloResult *r = &req->result;

	r->error_class = req->refusal_class;
	r->http_status = 0;
	r->times_sent = 0;
	r->sent_unknown = false;
	r->latency_ms = 0;
	zalo_copy_utf8(r->error_text, sizeof(r->error_text), req->refusal);
}

/*
 * Hand a request to the client; false if libcurl refused it.  A request
 * that may not be sent is in flight until the next poll finishes it.
 */
bool
zalo_client_start(ZaloClient *client, ZaloRequest *req)
{
	if (req->refusal[0])
	{
		fill_refused_result(req);
		req->next_done = client->refused_head;
		client->refused_head = req;
		client->in_flight++;
		return true;
	}
	curl_easy_setopt(req->easy, CURLOPT_CONNECTTIMEOUT_MS, client->opts.connect_timeout_ms);
	curl_easy_setopt(req->easy, CURLOPT_TIMEOUT_MS, client->opts.request_timeout_ms);
	if (client->opts.ca_file)
		curl_easy_setopt(req->easy, CURLOPT_CAINFO, client->opts.ca_file);
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	if (curl_multi_add_handle(client->multi, req->easy) != CURLM_OK)
		return false;
	client->in_flight++;
	return true;
}

int
zalo_client_in_flight(const ZaloClient *client)
{
	return client->in_flight;
}

/* Copy a JSON string or number member into buf; false if absent. */
static bool
copy_member(json_object *obj, const char *key, char *buf, size_t buflen)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
		return false;
	if (!json_object_is_type(v, json_type_string) &&
		!json_object_is_type(v, json_type_int) &&
		!json_object_is_type(v, json_type_double))
		return false;
	zalo_copy_utf8(buf, buflen, json_object_get_string(v));
	return buf[0] != '\0';
}

/*
 * Copy a token from a string member into buf: false when it is missing,
 * empty, or does not fit (a cut token would be useless, and Zalo has
 * already consumed the one it replaces); *too_long says which.
 */
static bool
copy_token_member(json_object *obj, const char *key, char *buf, size_t buflen, bool *too_long)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL ||
		!json_object_is_type(v, json_type_string))
		return false;
	if ((size_t) json_object_get_string_len(v) >= buflen)
	{
		*too_long = true;
		return false;
	}
	zalo_copy_utf8(buf, buflen, json_object_get_string(v));
	return buf[0] != '\0';
}


/*
 * The quota a send's answer carries: by phone data.quota {dailyQuota,
 * remainingQuota}; by user id data.quota {quota_type, remain}.
 */
static void
parse_quota(json_object *data, ZaloResult *r)
{
	json_object *quota;

	if (data == NULL || !json_object_object_get_ex(data, "quota", &quota) ||
		!json_object_is_type(quota, json_type_object))
		return;
	if (!copy_member(quota, "remainingQuota", r->quota_remaining, sizeof(r->quota_remaining)))
		copy_member(quota, "remain", r->quota_remaining, sizeof(r->quota_remaining));
	if (!copy_member(quota, "dailyQuota", r->quota_daily, sizeof(r->quota_daily)))
		copy_member(quota, "total", r->quota_daily, sizeof(r->quota_daily));
	copy_member(quota, "quota_type", r->quota_type, sizeof(r->quota_type));
}

/* First of several spellings of a member that is present. */
static bool
copy_member_any(json_object *obj, const char *const *keys, char *buf, size_t buflen)
{
	for (; *keys; keys++)
		if (copy_member(obj, *keys, buf, buflen))
			return true;
	return false;
}

/*
 * A template's detail (zalo-api.md §0): status, name, prices, and its
 * parameters normalised to [{"name","type","max_length","require"}].
 * Relays spell the members in camelCase or snake_case; both are read.
 */
static void
parse_template_info(json_object *data, ZaloResult *r)
{
	static const char *const status_keys[] = {"status", "template_status", "templateStatus", NULL};
	static const char *const name_keys[] = {"templateName", "template_name", "name", NULL};
	static const char *const uid_keys[] = {"price_uid", "priceUid", "uid_price", NULL};
	static const char *const phone_keys[] = {"price", "price_sdt", "priceSdt", "price_phone", NULL};
	static const char *const len_keys[] = {"maxLength", "max_length", NULL};
	json_object *list = NULL;
	json_object *params = json_object_new_array();

	copy_member_any(data, status_keys, r->template_status, sizeof(r->template_status));
	copy_member_any(data, name_keys, r->template_name, sizeof(r->template_name));
	copy_member_any(data, uid_keys, r->price_uid, sizeof(r->price_uid));
	copy_member_any(data, phone_keys, r->price_phone, sizeof(r->price_phone));
	if (data && !json_object_object_get_ex(data, "listParams", &list))
		json_object_object_get_ex(data, "template_params", &list);
	for (size_t i = 0; list && json_object_is_type(list, json_type_array) &&
		 i < json_object_array_length(list); i++)
	{
		json_object *p = json_object_array_get_idx(list, i);
		json_object *out = json_object_new_object();
		char		name[128] = "";
		char		type[32] = "";
		char		len[32] = "";
		json_object *req;

		if (!copy_member(p, "name", name, sizeof(name)))
		{
			json_object_put(out);
			continue;
		}
		copy_member(p, "type", type, sizeof(type));
		copy_member_any(p, len_keys, len, sizeof(len));
		json_object_object_add(out, "name", json_object_new_string(name));
		json_object_object_add(out, "type", json_object_new_string(type[0] ? type : "STRING"));
		if (len[0])
			json_object_object_add(out, "max_length", json_object_new_int(atoi(len)));
		json_object_object_add(out, "require",
							   json_object_new_boolean(!json_object_object_get_ex(p, "require", &req) ||
													   json_object_get_boolean(req)));
		json_object_array_add(params, out);
	}
	r->template_params = strdup(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN));
	json_object_put(params);
}

/* Fill the result of a finished transfer from its HTTP answer. */
static void
parse_answer(ZaloRequest *req, CURLcode rc)
{
	ZaloResult *r = &req->result;
	json_object *root;
	json_object *data = NULL;
	json_object *err;

	r->latency_ms = ms_since(&req->started);
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
	r->times_sent = req->times_sent;
	/* sent again after a dead connection: the first may have arrived too */
	if (req->times_sent > 1)
		r->sent_unknown = true;

	if (rc != CURLE_OK)
	{
		/* a request that was (perhaps) written may have been delivered */
		curl_off_t	uploaded = 0;

		curl_easy_getinfo(req->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
		r->sent_unknown = r->sent_unknown || uploaded > 0 || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
			rc == CURLE_GOT_NOTHING;
		r->error_class = ZC_RETRY;
		set_error_text(r, "transport: %s",
					   req->answer_too_big ? "answer larger than 1 MB" :
					   req->curl_error[0] ? req->curl_error : curl_easy_strerror(rc));
		return;
	}
	if (r->http_status == 429)
	{
		r->error_class = ZC_RATE_LIMITED;
		set_error_text(r, "HTTP 429 Too Many Requests");
		return;
	}
	if (r->http_status < 200 || r->http_status >= 300)
	{
		r->error_class = ZC_RETRY;
		r->sent_unknown = true;
		set_error_text(r, "HTTP %ld", r->http_status);
		return;
	}

	root = req->answer ? json_tokener_parse(req->answer) : NULL;
	if (root == NULL || !json_object_is_type(root, json_type_object))
	{
		r->error_class = ZC_RETRY;
		r->sent_unknown = true;
		set_error_text(r, "answer is not a JSON object");
		json_object_put(root);
		return;
	}

	if (json_object_object_get_ex(root, "error", &err) && err != NULL)
		r->zalo_error = json_object_get_int(err);

	if (req->endpoint == ZE_OAUTH_REFRESH)
	{
		bool		too_long = false;

		if (r->zalo_error == 0 &&
			copy_token_member(root, "access_token", r->access_token, sizeof(r->access_token), &too_long) &&
			copy_token_member(root, "refresh_token", r->refresh_token, sizeof(r->refresh_token), &too_long) &&
			!has_control_character(r->access_token) && !has_control_character(r->refresh_token))
		{
			char		expires[32] = "";

			copy_member(root, "expires_in", expires, sizeof(expires));
			r->expires_in = strtol(expires, NULL, 10);
			r->error_class = ZC_OK;
		}
		else
		{
			char		name[128] = "";

			if (!copy_member(root, "error_name", name, sizeof(name)))
				copy_member(root, "error_description", name, sizeof(name));
			/* a rate limit passes; any other refusal needs a new authorisation */
			r->error_class = r->zalo_error == -32 ? ZC_RATE_LIMITED : ZC_CONFIG;
			if (too_long)
				snprintf(name, sizeof(name), "a token in the answer is longer than %d bytes",
						 (int) sizeof(r->refresh_token) - 1);
			else if (r->zalo_error == 0 && name[0] == '\0')
				snprintf(name, sizeof(name), "the answer has no usable token pair");
			set_error_text(r, "token refresh refused: %d %s", r->zalo_error, name);
		}
		json_object_put(root);
		return;
	}

	r->error_class = classify_zalo_error(req->endpoint, r->zalo_error);
	if (r->zalo_error != 0)
	{
		char		message[200] = "";

		copy_member(root, "message", message, sizeof(message));
		set_error_text(r, "Zalo error %d: %s", r->zalo_error, message);
	}
	json_object_object_get_ex(root, "data", &data);
	if (r->error_class == ZC_OK)
	{
		if (req->endpoint == ZE_OA_UPLOAD_FILE)
			copy_member(data, "token", r->file_token, sizeof(r->file_token));
		else if (req->endpoint == ZE_TEMPLATE_INFO)
			parse_template_info(data, r);
		else if (req->endpoint == ZE_OA_QUOTA)
		{
			char		last[32] = "";

			copy_member(data, "last_interaction", last, sizeof(last));
			r->last_interaction_ms = strtoll(last, NULL, 10);
		}
		else if (!copy_member(data, "message_id", r->msg_id, sizeof(r->msg_id)))
			copy_member(data, "msg_id", r->msg_id, sizeof(r->msg_id));
		parse_quota(data, r);
	}
	json_object_put(root);
}

/* Move finished transfers to the done list. */
static void
collect_finished(ZaloClient *client)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(client->multi, &left)) != NULL)
	{
		ZaloRequest *req = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);
		parse_answer(req, msg->data.result);
		curl_multi_remove_handle(client->multi, msg->easy_handle);
		client->in_flight--;
		req->next_done = NULL;
		if (client->done_tail)
			client->done_tail->next_done = req;
		else
			client->done_head = req;
		client->done_tail = req;
	}
}

/* Milliseconds until libcurl's timer expires (rounded up), -1 if unset. */
static long
timer_wait_ms(const ZaloClient *client)
{
	struct timespec now;
	long long	ns;

	if (!client->timer_set)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long) (client->timer_due.tv_sec - now.tv_sec) * 1000000000LL +
		(client->timer_due.tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	return (long) ((ns + 999999) / 1000000);
}

/*
 * The descriptor to wait on for socket activity (readable when a socket
 * of the client's needs attention), or -1 when there is none: then wait
 * at most zalo_client_wait_ms() and call zalo_client_work().
 */
int
zalo_client_wait_fd(const ZaloClient *client)
{
	return client->epoll_fd;
}

/*
 * How long the caller may wait for the client's descriptor before calling
 * zalo_client_work() anyway: 0 when there is work to do now, -1 when only
 * socket activity can bring any.
 */
long
zalo_client_wait_ms(const ZaloClient *client)
{
	if (client->done_head || client->refused_head)
		return 0;
	if (client->in_flight == 0)
		return -1;
	if (client->epoll_fd < 0)
		return 10;				/* no socket callbacks: look again soon */
	return timer_wait_ms(client);
}

/* Move the requests refused before sending to the done list. */
static void
finish_refused(ZaloClient *client)
{
	while (client->refused_head)
	{
		ZaloRequest *req = client->refused_head;

		client->refused_head = req->next_done;
		client->in_flight--;
		req->next_done = NULL;
		if (client->done_tail)
			client->done_tail->next_done = req;
		else
			client->done_head = req;
		client->done_tail = req;
	}
}

/*
 * Drive the transfers without waiting: act on the sockets that are ready
 * and on an expired timer, then collect what finished.
 */
void
zalo_client_work(ZaloClient *client)
{
	int			running;

	finish_refused(client);
#ifdef ZC_HAVE_EPOLL
	if (client->epoll_fd >= 0)
	{
		struct epoll_event events[64];
		int			n;
		int			rounds = 0;

		do
		{
			n = epoll_wait(client->epoll_fd, events, lengthof_events(events), 0);
			for (int i = 0; i < n; i++)
			{
				int			mask = 0;

				if (events[i].events & (EPOLLIN | EPOLLHUP))
					mask |= CURL_CSELECT_IN;
				if (events[i].events & EPOLLOUT)
					mask |= CURL_CSELECT_OUT;
				if (events[i].events & EPOLLERR)
					mask |= CURL_CSELECT_ERR;
				curl_multi_socket_action(client->multi, events[i].data.fd, mask, &running);
			}
		} while (n == lengthof_events(events) && ++rounds < 16);
		if (timer_wait_ms(client) == 0)
		{
			client->timer_set = false;
			curl_multi_socket_action(client->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		collect_finished(client);
		return;
	}
#endif
	curl_multi_perform(client->multi, &running);
	collect_finished(client);
}

/* Drive transfers, waiting at most timeout_ms for socket activity. */
void
zalo_client_poll(ZaloClient *client, int timeout_ms)
{
	zalo_client_work(client);
	if (client->done_head == NULL && client->in_flight > 0 && timeout_ms > 0)
	{
		long		wait = zalo_client_wait_ms(client);

		if (wait < 0 || wait > timeout_ms)
			wait = timeout_ms;
		if (client->epoll_fd >= 0)
		{
			struct pollfd pfd = {.fd = client->epoll_fd,.events = POLLIN};

			(void) poll(&pfd, 1, (int) wait);
		}
		else
			curl_multi_poll(client->multi, NULL, 0, (int) wait, NULL);
		zalo_client_work(client);
	}
}

/* The next finished request, or NULL; the caller frees it. */
ZaloRequest *
zalo_client_next_done(ZaloClient *client)
{
	ZaloRequest *req = client->done_head;

	if (req)
	{
		client->done_head = req->next_done;
		if (client->done_head == NULL)
			client->done_tail = NULL;
	}
	return req;
}

/* Run one request to completion (token refresh), outside the pool. */
void
zalo_client_run_one(ZaloClient *client, ZaloRequest *req)
{
	CURLcode	rc;

	if (req->refusal[0])
	{
		fill_refused_result(req);
		return;
	}
	curl_easy_setopt(req->easy, CURLOPT_CONNECTTIMEOUT_MS, client->opts.connect_timeout_ms);
	curl_easy_setopt(req->easy, CURLOPT_TIMEOUT_MS, client->opts.request_timeout_ms);
	if (client->opts.ca_file)
		curl_easy_setopt(req->easy, CURLOPT_CAINFO, client->opts.ca_file);
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	rc = curl_easy_perform(req->easy);
	parse_answer(req, rc);
}

/*
 * What each documented Zalo error code means for the request (zalo-api.md
 * §0, §5): one row per code and scope.  A request looks its code up in
 * the scopes of its endpoint, most specific first (endpoint_scopes): a
 * ZBS template by user id reads the template codes, then the OA codes.  A
 * code not listed is ZC_UNKNOWN: retried a few times, then held, never
 * dead at once.
 */
typedef enum ZaloCodeScope
{
	ZS_ANY,						/* every endpoint */
	ZS_OA,						/* /v3.0/oa/... and the upload */
	ZS_TEMPLATE,				/* a ZBS template, by user id or by phone */
	ZS_PHONE,					/* /message/template (ZNS, ZBS by phone) */
	ZS_LEGACY					/* /v3.0/oa/message/transaction */
} ZaloCodeScope;

typedef struct ZaloErrorCode
{
	ZaloCodeScope scope;
	int			code;
	ZaloErrorClass class;
} ZaloErrorCode;

static const ZaloErrorCode zalo_error_codes[] = {
	{ZS_ANY, -216, ZC_REFRESH},	/* access token invalid */
	{ZS_ANY, -220, ZC_REFRESH},	/* access token expired */
	{ZS_ANY, -124, ZC_REFRESH},	/* access token invalid (ZNS host) */
	{ZS_ANY, -32, ZC_RATE_LIMITED},	/* the app's call limit, every API */

	/* OA messages */
	{ZS_OA, -100, ZC_RETRY},	/* attachment or media expired */
	{ZS_OA, -200, ZC_RETRY},	/* send message failed */
	{ZS_OA, -214, ZC_RETRY},	/* article being processed */
	{ZS_OA, -201, ZC_RECIPIENT},	/* parameter invalid (a text or a table the OA form refuses): by phone */
	{ZS_OA, -210, ZC_RECIPIENT},	/* parameter over its limit (text > 2000): by phone */
	{ZS_OA, -213, ZC_RECIPIENT},	/* the user does not follow the OA */
	{ZS_OA, -217, ZC_RECIPIENT},	/* the user blocked the OA's invitation */
	{ZS_OA, -227, ZC_RECIPIENT},	/* the user is banned or inactive > 45 days */
	{ZS_OA, -230, ZC_RECIPIENT},	/* no interaction in the last 7 days */
	{ZS_OA, -232, ZC_RECIPIENT},	/* no interaction, or it expired */
	{ZS_OA, -244, ZC_REFUSED},	/* the user restricted this type of message from this OA */
	{ZS_OA, -218, ZC_DEFER},	/* out of receive quota for this user */
	{ZS_OA, -234, ZC_DEFER},	/* no promotion 22:00-06:00 */
	{ZS_OA, -204, ZC_CONFIG},	/* OA disabled */
	{ZS_OA, -205, ZC_CONFIG},	/* OA does not exist */
	{ZS_OA, -209, ZC_CONFIG},	/* API not supported (app not activated) */
	{ZS_OA, -211, ZC_CONFIG},	/* out of quota */
	{ZS_OA, -212, ZC_CONFIG},	/* app has not registered this API */
	{ZS_OA, -219, ZC_CONFIG},	/* app removed or disabled */
	{ZS_OA, -221, ZC_CONFIG},	/* OA must be verified */
	{ZS_OA, -223, ZC_CONFIG},	/* OA has not granted this API permission */
	{ZS_OA, -224, ZC_CONFIG},	/* OA tier package required */
	{ZS_OA, -235, ZC_CONFIG},	/* API not supported for this OA type */
	{ZS_OA, -242, ZC_CONFIG},	/* invalid appsecret_proof */
	{ZS_OA, -233, ZC_BUG},	/* message type invalid or not supported */
	{ZS_OA, -240, ZC_BUG},	/* message API v2 shut down */
	{ZS_OA, -248, ZC_BUG},	/* violates the platform's content standards */
	{ZS_OA, -320, ZC_CONFIG},	/* app must be linked to a Zalo Cloud account */
	{ZS_OA, -321, ZC_CONFIG},	/* Zalo Cloud account out of money */

	/* templates by phone (ZNS, ZBS) */
	{ZS_PHONE, -100, ZC_RETRY},	/* unknown error, try later */
	{ZS_PHONE, -108, ZC_RECIPIENT},	/* phone number invalid */
	{ZS_PHONE, -110, ZC_RECIPIENT},	/* Zalo version unsupported (or no Zalo) */
	{ZS_PHONE, -114, ZC_RECIPIENT},	/* the user is inactive or rejected the message */
	{ZS_PHONE, -139, ZC_RECIPIENT},	/* the user refused ZNS or cannot receive it */
	{ZS_PHONE, -140, ZC_RECIPIENT},	/* the same */
	{ZS_PHONE, -141, ZC_RECIPIENT},	/* the same */
	{ZS_PHONE, -118, ZC_RECIPIENT},	/* no Zalo account for the phone */
	{ZS_PHONE, -119, ZC_RECIPIENT},	/* account cannot receive messages */
	{ZS_PHONE, -133, ZC_DEFER},	/* not at this hour (night) */
	{ZS_PHONE, -101, ZC_CONFIG},	/* app invalid */
	{ZS_PHONE, -102, ZC_CONFIG},	/* app does not exist */
	{ZS_PHONE, -103, ZC_CONFIG},	/* app not activated */
	{ZS_PHONE, -104, ZC_CONFIG},	/* app secret invalid */
	{ZS_PHONE, -105, ZC_CONFIG},	/* app not linked to any OA */
	{ZS_PHONE, -106, ZC_BUG},	/* method unsupported */
	{ZS_PHONE, -107, ZC_BUG},	/* message ID invalid */
	{ZS_PHONE, -111, ZC_BUG},	/* template data empty */
	{ZS_PHONE, -112, ZC_BUG},	/* template data invalid */
	{ZS_PHONE, -113, ZC_BUG},	/* button invalid */
	{ZS_PHONE, -116, ZC_BUG},	/* text invalid */

	/*
	 * A ZBS template, by user id or by phone.  An account problem holds the
	 * channel it met (its notices wait, the other channel goes on); a
	 * template problem holds the stages that use the template.
	 */
	{ZS_TEMPLATE, -109, ZC_TEMPLATE},	/* template ID invalid */
	{ZS_TEMPLATE, -117, ZC_TEMPLATE},	/* OA/app has no permission to use this template */
	{ZS_TEMPLATE, -131, ZC_TEMPLATE},	/* template not approved */
	{ZS_TEMPLATE, -145, ZC_TEMPLATE},	/* template disabled (quality) */
	{ZS_TEMPLATE, -146, ZC_TEMPLATE},	/* template disabled for low quality */
	{ZS_TEMPLATE, -115, ZC_ACCOUNT},	/* out of quota, balance insufficient */
	{ZS_TEMPLATE, -125, ZC_ACCOUNT},	/* bad OA id */
	{ZS_TEMPLATE, -135, ZC_ACCOUNT},	/* OA not allowed to send ZNS/ZBS */
	{ZS_TEMPLATE, -1351, ZC_ACCOUNT},	/* OA blocked from ZNS/ZBS */
	{ZS_TEMPLATE, -136, ZC_ACCOUNT},	/* Zalo Cloud account not linked */
	{ZS_TEMPLATE, -137, ZC_ACCOUNT},	/* charge failed: no balance */
	{ZS_TEMPLATE, -138, ZC_ACCOUNT},	/* app not allowed */
	{ZS_TEMPLATE, -144, ZC_DEFER},	/* OA daily quota */
	{ZS_TEMPLATE, -147, ZC_DEFER},	/* template daily quota */

	/* the transaction message stopped on 2026-03-01 (zalo-api.md §0) */
	{ZS_LEGACY, -233, ZC_HOLD},	/* message type no longer supported */
};

/* The scopes whose codes apply to an endpoint, most specific first. */
static int
endpoint_scopes(ZaloEndpoint endpoint, ZaloCodeScope *scopes)
{
	int			n = 0;

	switch (endpoint)
	{
		case ZE_ZNS_TEMPLATE:
		case ZE_ZNS_HASHPHONE:
			scopes[n++] = ZS_TEMPLATE;
			scopes[n++] = ZS_PHONE;
			break;
		case ZE_OA_TEMPLATE:
			scopes[n++] = ZS_TEMPLATE;
			scopes[n++] = ZS_OA;
			break;
		case ZE_TEMPLATE_INFO:
			scopes[n++] = ZS_TEMPLATE;
			scopes[n++] = ZS_PHONE;
			break;
		case ZE_OA_TRANSACTION:
			scopes[n++] = ZS_LEGACY;
			scopes[n++] = ZS_OA;
			break;
		default:
			scopes[n++] = ZS_OA;
			break;
	}
	scopes[n++] = ZS_ANY;
	return n;
}

/* What a Zalo error code means for a request to an endpoint. */
ZaloErrorClass
classify_zalo_error(ZaloEndpoint endpoint, int code)
{
	ZaloCodeScope scopes[4];
	int			nscopes = endpoint_scopes(endpoint, scopes);

	if (code == 0)
		return ZC_OK;
	for (int s = 0; s < nscopes; s++)
		for (size_t i = 0; i < sizeof(zalo_error_codes) / sizeof(zalo_error_codes[0]); i++)
		{
			const ZaloErrorCode *c = &zalo_error_codes[i];

			if (c->code == code && c->scope == scopes[s])
				return c->class;
		}
	return ZC_UNKNOWN;
}

/* A lower-case name for logs and the delivery log. */
const char *
zalo_error_class_name(ZaloErrorClass c)
{
	switch (c)
	{
		case ZC_OK:
			return "ok";
		case ZC_REFRESH:
			return "refresh";
		case ZC_RETRY:
			return "retry";
		case ZC_RATE_LIMITED:
			return "rate_limited";
		case ZC_DEFER:
			return "defer";
		case ZC_RECIPIENT:
			return "recipient";
		case ZC_REFUSED:
			return "refused";
		case ZC_CONFIG:
			return "config";
		case ZC_HOLD:
			return "hold";
		case ZC_ACCOUNT:
			return "account";
		case ZC_TEMPLATE:
			return "template";
		case ZC_UNKNOWN:
			return "unknown";
		case ZC_BUG:
			return "bug";
	}
	return "?";
}
