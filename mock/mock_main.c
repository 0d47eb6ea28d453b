/*
 * mock_main.c
 *		zalo-mock: a local stand-in for the Zalo OA Open API, ZBS Template
 *		Message (by user id, phone and hashed phone; formerly ZNS) and
 *		OAuth as Zalo serves them in 2026, for the tests, the demo and the
 *		benchmarks of zalo_tthc.  This file owns the HTTP server
 *		(libmicrohttpd, a thread per connection so that injected latency and
 *		timeouts hold only their own request), the command line and the
 *		/_mock/ control API: config, tokens, users, phones, templates and
 *		their status, quotas and balance, faults, the request record, stats
 *		and webhook signatures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_routes.h"
#include "mock_state.h"

#define MAX_BODY (8 * 1024 * 1024)

/* What one request accumulates while its body arrives. */
typedef struct RequestContext
{
	char	   *body;
	size_t		len;
	bool		too_big;
	struct MHD_PostProcessor *pp;
	char	   *file_name;
	char	   *file_data;
	size_t		file_len;
} RequestContext;

static volatile sig_atomic_t stop_requested = 0;

/* Sleep for ms milliseconds. */
static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Queue a response with a body and JSON content type. */
static enum MHD_Result
answer(struct MHD_Connection *conn, int status, const char *body, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *) body,
															 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Answer with a json-c object (freed here). */
static enum MHD_Result
answer_json(struct MHD_Connection *conn, int status, json_object *o)
{
	enum MHD_Result ret = answer(conn, status,
								 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
																JSON_C_TO_STRING_NOSLASHESCAPE),
								 "application/json");

	json_object_put(o);
	return ret;
}

/* {"ok":true} */
static enum MHD_Result
answer_ok(struct MHD_Connection *conn)
{
	return answer(conn, 200, "{\"ok\":true}", "application/json");
}

/* Multipart iterator: keep the part named "file". */
static enum MHD_Result
collect_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
			 const char *content_type, const char *transfer_encoding, const char *data,
			 uint64_t off, size_t size)
{
	RequestContext *ctx = cls;

	if (strcmp(key, "file") != 0)
		return MHD_YES;
	if (ctx->file_name == NULL)
		ctx->file_name = strdup(filename ? filename : "");
	if (ctx->file_len + size > MAX_BODY)
	{
		ctx->too_big = true;
		return MHD_YES;
	}
	ctx->file_data = realloc(ctx->file_data, ctx->file_len + size + 1);
	memcpy(ctx->file_data + ctx->file_len, data, size);
	ctx->file_len += size;
	return MHD_YES;
}

/* Add users to the state from a JSON array. */
static void
control_users(json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
	{
		json_object *u = json_object_array_get_idx(arr, i);
		json_object *v;
		const char *id;
		MockUser   *user = NULL;

		if (!json_object_object_get_ex(u, "user_id", &v))
			continue;
		id = json_object_get_string(v);
		user = mock_find_user(id);
		if (user == NULL)
			user = mock_add_user(id);
		if (json_object_object_get_ex(u, "follower", &v))
			user->follower = json_object_get_boolean(v);
		if (json_object_object_get_ex(u, "blocked", &v))
			user->blocked = json_object_get_boolean(v);
		if (json_object_object_get_ex(u, "last_interaction", &v))
		{
			struct tm tm = {0};

			if (json_object_is_type(v, json_type_int))
				user->last_interaction = json_object_get_int64(v);
			else if (strptime(json_object_get_string(v), "%Y-%m-%dT%H:%M:%S", &tm))
				user->last_interaction = timegm(&tm);
		}
	}
}

/* Set fault rates, a path prefix, or queue exact faults. */
static void
control_faults(json_object *o)
{
	json_object_object_foreach(o, key, val)
	{
		MockFault	f = mock_fault_from_name(key);

		if (f != FAULT_NONE)
			mock.fault_rate[f] = json_object_get_double(val);
		else if (strcmp(key, "path_prefix") == 0)
			snprintf(mock.fault_path_prefix, sizeof(mock.fault_path_prefix), "%s",
					 json_object_get_string(val));
		else if (strcmp(key, "next") == 0 && json_object_is_type(val, json_type_array))
			for (size_t i = 0; i < json_object_array_length(val); i++)
				json_object_array_add(mock.fault_queue,
									  json_object_get(json_object_array_get_idx(val, i)));
	}
}

/* The recorded requests after a sequence number, under a path prefix. */
static json_object *
control_requests(struct MHD_Connection *conn)
{
	const char *since = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *prefix = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "path");
	long long	min_seq = since ? atoll(since) : 0;
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(mock.records); i++)
	{
		json_object *r = json_object_array_get_idx(mock.records, i);
		json_object *v;

		json_object_object_get_ex(r, "seq", &v);
		if (json_object_get_int64(v) <= min_seq)
			continue;
		json_object_object_get_ex(r, "path", &v);
		if (prefix && strncmp(json_object_get_string(v), prefix, strlen(prefix)) != 0)
			continue;
		json_object_array_add(out, json_object_get(r));
	}
	return out;
}

/* Counters of the mock. */
static json_object *
control_stats(void)
{
	static const char *const routes[MOCK_N_ROUTES] = {
		[ROUTE_OAUTH] = "oauth",
		[ROUTE_TRANSACTION] = "transaction",
		[ROUTE_CS] = "cs",
		[ROUTE_UPLOAD_FILE] = "upload_file",
		[ROUTE_ZNS] = "zns",
		[ROUTE_GETOA] = "getoa",
		[ROUTE_CONTROL] = "control",
		[ROUTE_OTHER] = "other",
		[ROUTE_TEMPLATE_UID] = "template_uid",
		[ROUTE_HASHPHONE] = "hashphone",
		[ROUTE_TEMPLATE_INFO] = "template_info",
		[ROUTE_QUOTA_MESSAGE] = "quota_message"
	};
	json_object *o = json_object_new_object();
	json_object *by_route = json_object_new_object();
	json_object *faults = json_object_new_object();

	for (int i = 0; i < MOCK_N_ROUTES; i++)
		json_object_object_add(by_route, routes[i], json_object_new_int64(mock.count_by_route[i]));
	for (int i = 0; i < MAX_FAULT_KINDS; i++)
		json_object_object_add(faults, mock_fault_name(i), json_object_new_int64(mock.count_faults[i]));
	json_object_object_add(o, "requests", by_route);
	json_object_object_add(o, "faults", faults);
	json_object_object_add(o, "ok", json_object_new_int64(mock.count_ok));
	json_object_object_add(o, "errors", json_object_new_int64(mock.count_error));
	json_object_object_add(o, "uptime_s", json_object_new_double((mock_now_us() - mock.started_us) / 1e6));
	json_object_object_add(o, "access_token", json_object_new_string(mock.current_access));
	json_object_object_add(o, "refresh_token", json_object_new_string(mock.refresh_token));
	return o;
}

/* SHA-256 hex of app_id + body + timestamp + OA secret key (zalo-api.md §7.2). */
static json_object *
control_sign(json_object *in)
{
	json_object *body_v;
	const char *body;
	json_object *parsed;
	json_object *v;
	const char *app_id = mock.app_id;
	const char *ts = "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char		hex[2 * EVP_MAX_MD_SIZE + 5] = "mac=";
	EVP_MD_CTX *c;
	json_object *out = json_object_new_object();

	if (!json_object_object_get_ex(in, "body", &body_v))
		return out;
	body = json_object_get_string(body_v);
	parsed = json_tokener_parse(body);
	if (parsed && json_object_object_get_ex(parsed, "app_id", &v))
		app_id = json_object_get_string(v);
	if (parsed && json_object_object_get_ex(parsed, "timestamp", &v))
		ts = json_object_get_string(v);
	c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, app_id, strlen(app_id));
	EVP_DigestUpdate(c, body, strlen(body));
	EVP_DigestUpdate(c, ts, strlen(ts));
	EVP_DigestUpdate(c, mock.oa_secret_key, strlen(mock.oa_secret_key));
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(hex + 4 + 2 * i, "%02x", md[i]);
	json_object_object_add(out, "signature", json_object_new_string(hex));
	json_object_put(parsed);
	return out;
}

/* Copy a string member into a fixed buffer when present. */
static void
copy_member(json_object *o, const char *key, char *buf, size_t len)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

/* /_mock/tokens (and --init): the current token pair, valid from now on. */
static void
control_tokens(json_object *in)
{
	json_object *v;

	copy_member(in, "access_token", mock.current_access, sizeof(mock.current_access));
	copy_member(in, "refresh_token", mock.refresh_token, sizeof(mock.refresh_token));
	if (mock.current_access[0])
		json_object_object_add(mock.valid_access, mock.current_access, json_object_new_boolean(1));
	if (json_object_object_get_ex(in, "expires_in", &v))
		mock.expires_in = json_object_get_int64(v);
}

/*
 * /_mock/config: identities, latency, recording, and whether the legacy
 * transaction message is "available" or "stopped"; NULL or what is wrong.
 */
static const char *
control_config(json_object *in)
{
	json_object *v;
	const char *transaction = NULL;

	if (json_object_object_get_ex(in, "transaction_message", &v))
	{
		transaction = json_object_get_string(v);
		if (strcmp(transaction, "available") != 0 && strcmp(transaction, "stopped") != 0)
			return "transaction_message must be \"available\" or \"stopped\"";
	}
	if (transaction)
		mock.transaction_available = strcmp(transaction, "available") == 0;
	copy_member(in, "app_id", mock.app_id, sizeof(mock.app_id));
	copy_member(in, "app_secret", mock.app_secret, sizeof(mock.app_secret));
	copy_member(in, "oa_secret_key", mock.oa_secret_key, sizeof(mock.oa_secret_key));
	if (json_object_object_get_ex(in, "expires_in", &v))
		mock.expires_in = json_object_get_int64(v);
	if (json_object_object_get_ex(in, "latency_ms", &v))
		mock.latency_ms = json_object_get_int(v);
	if (json_object_object_get_ex(in, "timeout_hold_ms", &v))
		mock.timeout_hold_ms = json_object_get_int(v);
	if (json_object_object_get_ex(in, "record", &v))
	{
		const char *m = json_object_get_string(v);

		mock.record_mode = strcmp(m, "off") == 0 ? 0 : strcmp(m, "counts") == 0 ? 1 : 2;
	}
	if (json_object_object_get_ex(in, "record_limit", &v))
		mock.record_limit = json_object_get_int64(v);
	return NULL;
}

/* /_mock/template_status: {"template_id", "status"}; NULL or what is wrong. */
static const char *
control_template_status(json_object *in, int *http_status)
{
	json_object *v;
	const char *status = NULL;
	MockTemplate *t = NULL;

	if (json_object_object_get_ex(in, "status", &v))
		status = json_object_get_string(v);
	if (!mock_template_status_valid(status))
		return "status must be ENABLE, PENDING_REVIEW, REJECT or DISABLE";
	if (json_object_object_get_ex(in, "template_id", &v))
		t = mock_find_template(json_object_get_string(v));
	if (t == NULL)
	{
		*http_status = 404;
		return "unknown template_id";
	}
	snprintf(t->status, sizeof(t->status), "%s", status);
	return NULL;
}

/* The /_mock/ control API (caller holds no lock). */
static enum MHD_Result
handle_control(struct MHD_Connection *conn, const char *method, const char *path, const char *body)
{
	json_object *in = body && body[0] ? json_tokener_parse(body) : NULL;
	bool		object_in = in && json_object_is_type(in, json_type_object);
	bool		array_in = in && json_object_is_type(in, json_type_array);
	json_object *v;
	json_object *out = NULL;
	const char *problem = NULL;
	int			status = 400;

	pthread_mutex_lock(&mock.lock);
	mock.count_by_route[ROUTE_CONTROL]++;
	if (strcmp(path, "/_mock/reset") == 0)
		mock_state_reset();
	else if (strcmp(path, "/_mock/config") == 0 && object_in)
		problem = control_config(in);
	else if (strcmp(path, "/_mock/tokens") == 0 && in)
		control_tokens(in);
	else if (strcmp(path, "/_mock/expire_token") == 0)
	{
		/* every access token handed out so far expires */
		json_object_object_foreach(mock.valid_access, key, val)
		{
			(void) val;
			json_object_object_add(mock.expired_access, key, json_object_new_boolean(1));
		}
	}
	else if (strcmp(path, "/_mock/faults") == 0 && strcmp(method, "DELETE") == 0)
	{
		memset(mock.fault_rate, 0, sizeof(mock.fault_rate));
		mock.fault_path_prefix[0] = '\0';
		json_object_put(mock.fault_queue);
		mock.fault_queue = json_object_new_array();
	}
	else if (strcmp(path, "/_mock/faults") == 0 && in && json_object_is_type(in, json_type_object))
		control_faults(in);
	else if (strcmp(path, "/_mock/users") == 0 && in && json_object_is_type(in, json_type_array))
		control_users(in);
	else if (strcmp(path, "/_mock/phones") == 0 && in && json_object_is_type(in, json_type_array))
	{
		for (size_t i = 0; i < json_object_array_length(in); i++)
		{
			json_object *p = json_object_array_get_idx(in, i);
			json_object *ph;
			json_object *hz;

			if (json_object_object_get_ex(p, "phone", &ph) &&
				json_object_object_get_ex(p, "has_zalo", &hz) && !json_object_get_boolean(hz))
				json_object_object_add(mock.no_zalo_phones, json_object_get_string(ph),
									   json_object_new_boolean(1));
		}
	}
	else if ((strcmp(path, "/_mock/templates") == 0 || strcmp(path, "/_mock/zns_templates") == 0) &&
			 array_in)
		problem = mock_set_templates(in);
	else if (strcmp(path, "/_mock/template_status") == 0 && object_in)
		problem = control_template_status(in, &status);
	else if (strcmp(path, "/_mock/quota") == 0 && object_in)
	{
		if (json_object_object_get_ex(in, "zns_daily", &v))
			mock.zns_quota = json_object_get_int64(v);
		if (json_object_object_get_ex(in, "oa", &v))
			mock.oa_quota = json_object_get_int64(v);
		if (json_object_object_get_ex(in, "uid", &v))
			mock.uid_quota = json_object_get_int64(v);
		if (json_object_object_get_ex(in, "balance", &v))
			mock.balance = json_object_get_boolean(v);
	}
	else if (strcmp(path, "/_mock/requests") == 0 && strcmp(method, "GET") == 0)
		out = control_requests(conn);
	else if (strcmp(path, "/_mock/stats") == 0 && strcmp(method, "GET") == 0)
		out = control_stats();
	else if (strcmp(path, "/_mock/webhook/sign") == 0 && in)
		out = control_sign(in);
	else
		problem = "unknown control call or bad JSON";
	pthread_mutex_unlock(&mock.lock);
	json_object_put(in);

	if (problem)
	{
		out = json_object_new_object();
		json_object_object_add(out, "ok", json_object_new_boolean(0));
		json_object_object_add(out, "error", json_object_new_string(problem));
		return answer_json(conn, status, out);
	}
	if (out)
		return answer_json(conn, 200, out);
	return answer_ok(conn);
}

/* Query-argument iterator: collect {name: value} into a json-c object. */
static enum MHD_Result
collect_query_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	json_object_object_add((json_object *) cls, key, json_object_new_string(value ? value : ""));
	return MHD_YES;
}

/* Free a request's context when the connection is done with it. */
static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	RequestContext *ctx = *con_cls;

	if (ctx == NULL)
		return;
	if (ctx->pp)
		MHD_destroy_post_processor(ctx->pp);
	free(ctx->body);
	free(ctx->file_name);
	free(ctx->file_data);
	free(ctx);
	*con_cls = NULL;
}

/* The libmicrohttpd request handler. */
static enum MHD_Result
handle_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			   const char *version, const char *upload_data, size_t *upload_data_size,
			   void **con_cls)
{
	RequestContext *ctx = *con_cls;
	MockRequest req;
	MockAnswer	a;
	MockFault	fault;
	MockRoute	route;
	int			latency;
	int			hold;

	if (ctx == NULL)
	{
		const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");

		ctx = calloc(1, sizeof(RequestContext));
		if (type && strncasecmp(type, "multipart/form-data", 19) == 0)
			ctx->pp = MHD_create_post_processor(conn, 65536, collect_part, ctx);
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		if (ctx->pp)
			MHD_post_process(ctx->pp, upload_data, *upload_data_size);
		else if (ctx->len + *upload_data_size > MAX_BODY)
			ctx->too_big = true;
		else
		{
			ctx->body = realloc(ctx->body, ctx->len + *upload_data_size + 1);
			memcpy(ctx->body + ctx->len, upload_data, *upload_data_size);
			ctx->len += *upload_data_size;
			ctx->body[ctx->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (ctx->too_big)
		return answer(conn, 413, "{\"error\":-413,\"message\":\"body too large\"}", "application/json");

	if (strncmp(url, "/_mock/", 7) == 0)
		return handle_control(conn, method, url, ctx->body);

	memset(&req, 0, sizeof(req));
	req.access_token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "access_token");
	req.secret_key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "secret_key");
	req.body = ctx->body;
	req.file_name = ctx->file_name;
	req.file_data = ctx->file_data;
	req.file_len = ctx->file_len;
	req.query = json_object_new_object();
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query_argument, req.query);

	pthread_mutex_lock(&mock.lock);
	fault = mock_pick_fault(url);
	latency = mock.latency_ms;
	hold = mock.timeout_hold_ms;
	pthread_mutex_unlock(&mock.lock);

	if (latency > 0)
		sleep_ms(latency);

	if (fault == FAULT_TIMEOUT || fault == FAULT_RESET)
	{
		mock_record(method, url, req.query, req.access_token, req.secret_key, ctx->body, 0, 0, fault);
		json_object_put(req.query);
		if (fault == FAULT_TIMEOUT)
			sleep_ms(hold);
		return MHD_NO;
	}
	if (fault == FAULT_LATENCY_SPIKE)
		sleep_ms(latency * 10 + 500);

	a = (fault != FAULT_NONE && fault != FAULT_LATENCY_SPIKE) ?
		mock_fault_answer(fault, url) : mock_zalo_route(method, url, &req, &route);
	if (fault != FAULT_NONE && fault != FAULT_LATENCY_SPIKE)
		route = ROUTE_OTHER;
	pthread_mutex_lock(&mock.lock);
	mock.count_by_route[route]++;
	pthread_mutex_unlock(&mock.lock);
	mock_record(method, url, req.query, req.access_token, req.secret_key,
				ctx->file_name ? ctx->file_name : ctx->body, a.http_status, a.zalo_error, fault);
	json_object_put(req.query);
	{
		enum MHD_Result ret = answer(conn, a.http_status, a.body,
									 a.http_status == 200 ? "application/json" : "text/html");

		free(a.body);
		return ret;
	}
}

/* Flush the record file every 100 ms. */
static void *
flush_loop(void *arg)
{
	while (!stop_requested)
	{
		sleep_ms(100);
		mock_flush_record();
	}
	return NULL;
}

/*
 * --init FILE: the state a test would otherwise post right after start,
 * applied before the port is open, so that no client ever meets a mock
 * without its tokens and followers: {"tokens": {"access_token": …,
 * "refresh_token": …}, "users": [ … as /_mock/users … ], "config": { … as
 * /_mock/config … }, "templates": [ … as /_mock/templates … ]}, each
 * optional.
 */
static bool
apply_init_file(const char *path)
{
	json_object *in = json_object_from_file(path);
	json_object *v;
	const char *problem = NULL;

	if (in == NULL || !json_object_is_type(in, json_type_object))
	{
		fprintf(stderr, "zalo-mock: %s is not a JSON object\n", path);
		json_object_put(in);
		return false;
	}
	if (json_object_object_get_ex(in, "tokens", &v) && json_object_is_type(v, json_type_object))
		control_tokens(v);
	if (json_object_object_get_ex(in, "users", &v) && json_object_is_type(v, json_type_array))
		control_users(v);
	if (json_object_object_get_ex(in, "config", &v) && json_object_is_type(v, json_type_object))
		problem = control_config(v);
	if (problem == NULL && json_object_object_get_ex(in, "templates", &v) &&
		json_object_is_type(v, json_type_array))
		problem = mock_set_templates(v);
	if (problem)
		fprintf(stderr, "zalo-mock: %s: %s\n", path, problem);
	json_object_put(in);
	return problem == NULL;
}

/* Print the command-line usage. */
static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --port N [--bind 127.0.0.1] [--record FILE.jsonl] [--seed N] [--init FILE.json]\n", prog);
}

int
main(int argc, char **argv)
{
	static struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"bind", required_argument, NULL, 'b'},
		{"record", required_argument, NULL, 'r'},
		{"seed", required_argument, NULL, 's'},
		{"threads", required_argument, NULL, 't'},
		{"init", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0}
	};
	int			port = -1;
	const char *bind_addr = "127.0.0.1";
	const char *record = NULL;
	const char *init = NULL;
	unsigned int seed = 1;
	int			c;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t	set;
	int			sig;
	pthread_t	flusher;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'p':
				port = atoi(optarg);
				break;
			case 'b':
				bind_addr = optarg;
				break;
			case 'r':
				record = optarg;
				break;
			case 's':
				seed = (unsigned int) strtoul(optarg, NULL, 10);
				break;
			case 't':
				break;
			case 'i':
				init = optarg;
				break;
			default:
				usage(argv[0]);
				return 2;
		}
	}
	if (port < 0)
	{
		usage(argv[0]);
		return 2;
	}
	if (strncmp(bind_addr, "127.", 4) != 0)
	{
		fprintf(stderr, "zalo-mock serves loopback addresses only\n");
		return 2;
	}

	/* signals are taken by sigwait below, never by the server threads */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	mock_state_init(seed, record);
	if (init && !apply_init_file(init))
	{
		mock_state_free();
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t) port);
	inet_pton(AF_INET, bind_addr, &sa.sin_addr);

	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
						 MHD_USE_ERROR_LOG,
						 (uint16_t) port, NULL, NULL, handle_request, NULL,
						 MHD_OPTION_SOCK_ADDR, &sa,
						 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 4000,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 120,
						 MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int) 1024,
						 MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
						 MHD_OPTION_END);
	if (d == NULL)
	{
		fprintf(stderr, "zalo-mock: could not listen on %s:%d\n", bind_addr, port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on %s:%u\n", bind_addr, info ? info->port : (unsigned) port);
	fflush(stdout);
	pthread_create(&flusher, NULL, flush_loop, NULL);

	sigwait(&set, &sig);
	stop_requested = 1;
	MHD_stop_daemon(d);
	pthread_join(flusher, NULL);
	mock_flush_record();
	mock_state_free();
	return 0;
}
