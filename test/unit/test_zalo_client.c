/*
 * test_zalo_client.c
 *		TAP tests of src/zalo_client.c against a one-request HTTP server on
 *		loopback: what reaches the server (no header injection through a
 *		token, nothing over plain HTTP unless allowed), and that the texts
 *		taken from Zalo's answers are valid UTF-8 within their buffers.
 */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "zalo_client.h"

/* A forked server that answers one request and reports what it got. */
typedef struct Server
{
	pid_t		pid;
	int			report_fd;		/* the request as the server read it */
	char		url[64];
} Server;

/* Read one request (headers, then Content-Length bytes of body) from fd. */
static size_t
read_request(int fd, char *buf, size_t cap)
{
	size_t		len = 0;
	ssize_t		n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
	{
		char	   *end;
		char	   *cl;

		len += (size_t) n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl == NULL || cl > end || len >= (size_t) (end + 4 - buf) + strtoul(cl + 17, NULL, 10))
			break;
	}
	buf[len] = '\0';
	return len;
}

/* Start a server on a free loopback port that gives answer as JSON. */
static Server
serve_once(const char *answer)
{
	Server		s = {0};
	struct sockaddr_in addr = {0};
	socklen_t	alen = sizeof(addr);
	int			lfd = socket(AF_INET, SOCK_STREAM, 0);
	int			pfd[2];

	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(lfd, 1) != 0 || getsockname(lfd, (struct sockaddr *) &addr, &alen) != 0 ||
		pipe(pfd) != 0)
	{
		perror("serve_once");
		exit(2);
	}
	snprintf(s.url, sizeof(s.url), "http://127.0.0.1:%d", ntohs(addr.sin_port));
	s.pid = fork();
	if (s.pid == 0)
	{
		static char req[65536];
		char		head[256];
		int			fd;
		size_t		len;

		close(pfd[0]);
		alarm(10);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(1);
		len = read_request(fd, req, sizeof(req));
		if (write(pfd[1], req, len) < 0)
			_exit(1);
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(answer));
		if (write(fd, head, strlen(head)) < 0 || write(fd, answer, strlen(answer)) < 0)
			_exit(1);
		close(fd);
		_exit(0);
	}
	close(lfd);
	close(pfd[1]);
	s.report_fd = pfd[0];
	return s;
}

/* Stop the server; what it received (empty if nothing), malloc'ed. */
static char *
server_received(Server *s)
{
	static char buf[65536];
	size_t		len = 0;
	ssize_t		n;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	while (len < sizeof(buf) - 1 && (n = read(s->report_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t) n;
	buf[len] = '\0';
	close(s->report_fd);
	return strdup(buf);
}

/* Run a request through the multi interface until it is done. */
static void
run_request(ZaloClient *client, ZaloRequest *req)
{
	time_t		deadline = time(NULL) + 10;

	if (!zalo_client_start(client, req))
	{
		fprintf(stderr, "zalo_client_start failed\n");
		exit(2);
	}
	while (time(NULL) < deadline)
	{
		ZaloRequest *done;

		zalo_client_poll(client, 50);
		if ((done = zalo_client_next_done(client)) != NULL)
			return;
	}
	fprintf(stderr, "request did not finish\n");
	exit(2);
}

/* True when s is valid UTF-8 (json-c's strict check of the same text). */
static int
valid_utf8(const char *s)
{
	json_object *str = json_object_new_string(s);
	json_tokener *tok = json_tokener_new();
	const char *text = json_object_to_json_string(str);
	json_object *back;
	int			valid;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);
	valid = back != NULL;
	json_object_put(back);
	json_object_put(str);
	json_tokener_free(tok);
	return valid;
}

/* s with its line breaks shown as " | ", for a TAP comment. */
static char *
one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\r')
			*p = ' ';
		else if (*p == '\n')
			*p = '|';
	return s;
}

/* A request's result after a round trip with a server giving answer. */
static ZaloResult
result_of(ZaloClient *client, ZaloEndpoint endpoint, const char *answer)
{
	Server		s = serve_once(answer);
	ZaloRequest *req = zalo_request_json(endpoint, s.url, "AT_0", "{}", NULL);
	ZaloResult	r;

	run_request(client, req);
	r = *zalo_request_result(req);
	zalo_request_free(req);
	free(server_received(&s));
	return r;
}

/* A token request with a bad value: refused, and nothing reaches the server. */
static void
token_refused(ZaloClient *client, const char *token, const char *what)
{
	Server		s = serve_once("{\"error\":0,\"data\":{\"message_id\":\"1\"}}");
	ZaloRequest *req = zalo_request_json(ZE_OA_CS, s.url, token, "{}", NULL);
	const ZaloResult *r;
	char	   *got;
	char		name[200];

	run_request(client, req);
	r = zalo_request_result(req);
	got = server_received(&s);
	snprintf(name, sizeof(name), "%s: refused as a configuration error", what);
	ok(r->error_class == ZC_CONFIG && strstr(r->error_text, "control character") != NULL, name);
	if (r->error_class != ZC_CONFIG)
		printf("# error_class %s, error_text \"%s\"\n", zalo_error_class_name(r->error_class), r->error_text);
	snprintf(name, sizeof(name), "%s: nothing sent", what);
	ok(got[0] == '\0' && !r->sent_unknown, name);
	if (got[0])
		printf("# the server received: %s\n", one_line(got));
	free(got);
	zalo_request_free(req);
}

int
main(void)
{
	ZaloClientOptions opts = {.max_in_flight = 4, .connect_timeout_ms = 2000, .request_timeout_ms = 5000};
	ZaloClient *client;
	ZaloResult	r;
	char		answer[8192];
	char		long_text[1024] = "";
	char		want[1024];
	char		errbuf[256];

	signal(SIGPIPE, SIG_IGN);
	if (!zalo_client_global_init(errbuf, sizeof(errbuf)))
		return 2;
	client = zalo_client_create(&opts);

	/* plain HTTP only when allowed (zalo_tthc.allow_insecure_http) */
	{
		Server		s = serve_once("{\"error\":0,\"data\":{\"message_id\":\"1\"}}");
		ZaloRequest *req = zalo_request_json(ZE_OA_CS, s.url, "AT_0", "{}", NULL);
		char	   *got;

		run_request(client, req);
		r = *zalo_request_result(req);
		got = server_received(&s);
		ok(r.error_class == ZC_CONFIG && strstr(r.error_text, "allow_insecure_http") != NULL,
		   "an http:// base URL is refused by default");
		if (r.error_class != ZC_CONFIG)
			printf("# error_class %s, error_text \"%s\"\n", zalo_error_class_name(r.error_class), r.error_text);
		ok(got[0] == '\0', "and nothing is sent to it");
		if (got[0])
			printf("# the server received: %s\n", one_line(got));
		free(got);
		zalo_request_free(req);
	}
	{
		ZaloRequest *req = zalo_request_json(ZE_OA_CS, "127.0.0.1:1", "AT_0", "{}", NULL);

		run_request(client, req);
		r = *zalo_request_result(req);
		ok(r.error_class == ZC_CONFIG && strstr(r.error_text, "does not start with https://") != NULL,
		   "a base URL without a scheme (libcurl would use http) is refused");
		zalo_request_free(req);
	}
	zalo_client_allow_insecure_http(true);
	{
		Server		s = serve_once("{\"error\":0,\"data\":{\"message_id\":\"1\"}}");
		ZaloRequest *req = zalo_request_json(ZE_OA_CS, s.url, "AT_0", "{}", NULL);
		char	   *got;

		run_request(client, req);
		r = *zalo_request_result(req);
		got = server_received(&s);
		ok(r.error_class == ZC_OK && strcmp(r.msg_id, "1") == 0 && strstr(got, "access_token: AT_0\r\n") != NULL,
		   "an http:// base URL is used when allowed");
		free(got);
		zalo_request_free(req);
	}

	/* every documented code has a class; no account problem kills a notice */
	ok(classify_zalo_error(ZE_ZNS_TEMPLATE, -137) == ZC_ACCOUNT, "-137 no balance: the phone channel held");
	ok(classify_zalo_error(ZE_OA_TEMPLATE, -137) == ZC_ACCOUNT, "-137 on the user-id template: that channel held");
	ok(classify_zalo_error(ZE_ZNS_TEMPLATE, -136) == ZC_ACCOUNT, "-136 no Zalo Cloud account: channel held");
	ok(classify_zalo_error(ZE_ZNS_HASHPHONE, -1351) == ZC_ACCOUNT, "-1351 OA blocked: channel held");
	ok(classify_zalo_error(ZE_ZNS_TEMPLATE, -131) == ZC_TEMPLATE, "-131 template not approved: its stages held");
	ok(classify_zalo_error(ZE_OA_TEMPLATE, -146) == ZC_TEMPLATE, "-146 template disabled: its stages held");
	ok(classify_zalo_error(ZE_ZNS_TEMPLATE, -109) == ZC_TEMPLATE, "-109 unknown template: its stages held, no global pause");
	ok(classify_zalo_error(ZE_OA_TEMPLATE, -201) == ZC_RECIPIENT, "-201 on the user-id template: by phone");
	ok(classify_zalo_error(ZE_OA_TEMPLATE, -244) == ZC_REFUSED, "-244 on the user-id template: no fallback");
	ok(classify_zalo_error(ZE_OA_TRANSACTION, -233) == ZC_HOLD, "-233 the stopped transaction message: held");
	ok(classify_zalo_error(ZE_TEMPLATE_INFO, -109) == ZC_TEMPLATE, "-109 on a template read: unknown template");
	ok(classify_zalo_error(ZE_OA_TRANSACTION, -201) == ZC_RECIPIENT, "-201 on a follower message: by phone");
	ok(classify_zalo_error(ZE_OA_TRANSACTION, -210) == ZC_RECIPIENT, "-210 on a follower message: by phone");
	ok(classify_zalo_error(ZE_OA_TRANSACTION, -244) == ZC_REFUSED, "-244 the citizen restricted the OA: no fallback");
	ok(classify_zalo_error(ZE_OA_TRANSACTION, -213) == ZC_RECIPIENT, "-213 not a follower: by phone");
	ok(classify_zalo_error(ZE_OA_TRANSACTION, -99999) == ZC_UNKNOWN, "an undocumented code is unknown, not a bug");
	ok(classify_zalo_error(ZE_ZNS_TEMPLATE, -216) == ZC_REFRESH && classify_zalo_error(ZE_OA_CS, -124) == ZC_REFRESH,
	   "token codes on both hosts");
	ok(classify_zalo_error(ZE_OA_CS, -137) == ZC_UNKNOWN, "a template code means nothing to a chat message");

	/* texts from Zalo's answers: valid UTF-8 whatever Zalo sends */
	for (int i = 0; i < 120; i++)
		strcat(long_text, "\xe1\xbb\x87");	/* "ệ", 3 bytes */
	snprintf(answer, sizeof(answer), "{\"error\":-201,\"message\":\"%s\"}", long_text);
	r = result_of(client, ZE_OA_CS, answer);
	ok(r.error_class == ZC_RECIPIENT && strncmp(r.error_text, "Zalo error -201: \xe1\xbb\x87", 20) == 0,
	   "a long message is kept in error_text");
	ok(valid_utf8(r.error_text), "a long message is cut between characters");
	ok(strlen(r.error_text) < sizeof(r.error_text) && strlen(r.error_text) > 200, "and fills error_text");

	r = result_of(client, ZE_OA_CS, "{\"error\":-201,\"message\":\"bad \xff\xfe bytes \xe1\xbb and \xc0\xaf\"}");
	ok(valid_utf8(r.error_text), "invalid UTF-8 in a message is replaced");
	ok(strncmp(r.error_text, "Zalo error -201: bad ", 21) == 0 && strstr(r.error_text, " bytes ") != NULL &&
	   strstr(r.error_text, " and ") != NULL, "the valid text around it is kept");

	r = result_of(client, ZE_OA_CS, "{\"error\":0,\"data\":{\"message_id\":\"ab\xff\xe1\xbb\"}}");
	ok(r.error_class == ZC_OK && valid_utf8(r.msg_id), "a message id with invalid UTF-8 is made valid");

	/* 200 characters, 600 bytes: more than file_token holds */
	snprintf(want, sizeof(want), "{\"error\":0,\"data\":{\"token\":\"%s%s\"}}", long_text, long_text);
	want[strlen(want) - 3 - 120] = '\0';
	strcat(want, "\"}}");
	r = result_of(client, ZE_OA_UPLOAD_FILE, want);
	ok(r.error_class == ZC_OK && valid_utf8(r.file_token), "a long file token is cut between characters");

	/* the copy itself */
	{
		char		buf[8];

		ok(zalo_copy_utf8(buf, sizeof(buf), "abc") == 3 && strcmp(buf, "abc") == 0, "copy: ASCII as is");
		ok(zalo_copy_utf8(buf, sizeof(buf), "ab\xe1\xbb\x87\xe1\xbb\x87") == 5 && strcmp(buf, "ab\xe1\xbb\x87") == 0,
		   "copy: a character that does not fit whole is left out");
		ok(zalo_copy_utf8(buf, sizeof(buf), "a\xff") == 4 && strcmp(buf, "a\xef\xbf\xbd") == 0,
		   "copy: an invalid byte becomes U+FFFD");
		ok(zalo_copy_utf8(buf, sizeof(buf), "\xc0\xaf") == 6 && strcmp(buf, "\xef\xbf\xbd\xef\xbf\xbd") == 0,
		   "copy: an overlong form is invalid");
		ok(zalo_copy_utf8(buf, sizeof(buf), "\xed\xa0\x80") == 6 && valid_utf8(buf), "copy: a surrogate is invalid");
		ok(zalo_copy_utf8(buf, sizeof(buf), "\xf4\x90\x80\x80") == 6 && valid_utf8(buf), "copy: above U+10FFFF is invalid");
		ok(zalo_copy_utf8(buf, sizeof(buf), "\xe1\xbb") == 6 && valid_utf8(buf), "copy: a cut character is invalid");
		ok(zalo_copy_utf8(buf, sizeof(buf), "\xf0\x9f\x98\x80") == 4 && strcmp(buf, "\xf0\x9f\x98\x80") == 0,
		   "copy: a 4-byte character is kept");
		ok(zalo_copy_utf8(buf, 1, "abc") == 0 && buf[0] == '\0', "copy: room for the terminator only");
	}

	/* tokens: no control character reaches an HTTP header */
	token_refused(client, "AT_0\r\nX-Injected: yes", "an access token with CR LF");
	token_refused(client, "AT_0\nX-Injected: yes", "an access token with LF");
	token_refused(client, "AT_0\x01", "an access token with a control character");

	/* the app secret goes in the secret_key header of the token refresh */
	{
		Server		s = serve_once("{\"access_token\":\"AT_1\",\"refresh_token\":\"RT_1\",\"expires_in\":\"90000\"}");
		ZaloRequest *req = zalo_request_refresh(s.url, "1234567890123456789", "S3CR3T\r\nX-Injected: yes",
												"RT_0", NULL);
		char	   *got;

		zalo_client_run_one(client, req);
		r = *zalo_request_result(req);
		got = server_received(&s);
		ok(r.error_class == ZC_CONFIG && strstr(r.error_text, "control character") != NULL && got[0] == '\0',
		   "an app secret with CR LF: the token refresh is refused and nothing sent");
		if (got[0])
			printf("# the server received: %s\n", one_line(got));
		free(got);
		zalo_request_free(req);
	}

	/* a refreshed token that could not go into a header is not taken */
	{
		Server		s = serve_once("{\"access_token\":\"AT_1\\r\\nX-Injected: yes\",\"refresh_token\":\"RT_1\",\"expires_in\":\"90000\"}");
		ZaloRequest *req = zalo_request_refresh(s.url, "1234567890123456789", "S3CR3T", "RT_0", NULL);

		zalo_client_run_one(client, req);
		r = *zalo_request_result(req);
		free(server_received(&s));
		ok(r.error_class == ZC_CONFIG && strstr(r.error_text, "token refresh refused") != NULL,
		   "a refresh answer whose token holds CR LF is refused");
		zalo_request_free(req);
	}

	/* Zalo's rate limit on the token endpoint is transient: no re-authorisation */
	{
		Server		s = serve_once("{\"error\":-32,\"message\":\"rate limit\"}");
		ZaloRequest *req = zalo_request_refresh(s.url, "1234567890123456789", "S3CR3T", "RT_0", NULL);

		zalo_client_run_one(client, req);
		r = *zalo_request_result(req);
		free(server_received(&s));
		ok(r.error_class == ZC_RATE_LIMITED, "a rate-limited token refresh is tried again later");
		zalo_request_free(req);
	}

	/* a token longer than the result holds is refused, never cut */
	{
		char		answer[2048];
		char		long_token[700];
		Server		s;
		ZaloRequest *req;

		memset(long_token, 'R', sizeof(long_token) - 1);
		long_token[sizeof(long_token) - 1] = '\0';
		snprintf(answer, sizeof(answer),
				 "{\"access_token\":\"AT_1\",\"refresh_token\":\"%s\",\"expires_in\":\"90000\"}", long_token);
		s = serve_once(answer);
		req = zalo_request_refresh(s.url, "1234567890123456789", "S3CR3T", "RT_0", NULL);
		zalo_client_run_one(client, req);
		r = *zalo_request_result(req);
		free(server_received(&s));
		ok(r.error_class != ZC_OK && strstr(r.error_text, "longer than") != NULL,
		   "a refresh token longer than the buffer is refused, not cut");
		zalo_request_free(req);
	}

	zalo_client_destroy(client);
	return done_testing();
}
