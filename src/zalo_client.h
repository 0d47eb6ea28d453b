/*
 * zalo_client.h
 *		HTTP client for the Zalo OA Open API, ZNS and OAuth: builds requests,
 *		runs many at once over libcurl's multi interface, parses answers and
 *		classifies Zalo error codes (zalo-api.md §5).
 *
 * Plain C (libcurl, json-c, malloc): no server headers, no SPI, so the
 * worker never holds a transaction while a request is on the wire.
 */
#ifndef ZT_ZALO_CLIENT_H
#define ZT_ZALO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* What to do about an answer (zalo-api.md §5). */
typedef enum ZaloErrorClass
{
	ZC_OK,						/* accepted */
	ZC_REFRESH,					/* token invalid or expired: refresh, retry */
	ZC_RETRY,					/* transient: back off and retry */
	ZC_RATE_LIMITED,			/* -32 / HTTP 429: slow everything down */
	ZC_DEFER,					/* retry after a known time (night, quota) */
	ZC_RECIPIENT,				/* this citizen cannot be reached this way: by phone */
	ZC_REFUSED,					/* the citizen refused this OA's messages: no fallback */
	ZC_CONFIG,					/* operator must fix the set-up: pause */
	ZC_HOLD,					/* a problem of this request's kind: hold this notice */
	ZC_ACCOUNT,					/* the channel's account (balance, OA): hold the channel */
	ZC_TEMPLATE,				/* the template (unknown, not approved): hold its stages */
	ZC_UNKNOWN,					/* a code not in the table: retry a few times, then hold */
	ZC_BUG						/* malformed request: permanent */
} ZaloErrorClass;

typedef enum ZaloEndpoint
{
	ZE_OA_TEMPLATE,				/* POST /v3.0/oa/message/template: ZBS by user id */
	ZE_OA_TRANSACTION,			/* POST /v3.0/oa/message/transaction (legacy) */
	ZE_OA_CS,					/* POST /v3.0/oa/message/cs */
	ZE_OA_UPLOAD_FILE,			/* POST /v2.0/oa/upload/file */
	ZE_OA_QUOTA,				/* POST /v3.0/oa/quota/message */
	ZE_ZNS_TEMPLATE,			/* POST /message/template: ZBS by phone */
	ZE_ZNS_HASHPHONE,			/* POST /message/template/hashphone */
	ZE_TEMPLATE_INFO,			/* GET /template/info/v2 */
	ZE_OAUTH_REFRESH			/* POST /v4/oa/access_token */
} ZaloEndpoint;

/* True for the endpoints that send a template by phone. */
#define ZE_IS_BY_PHONE(e) ((e) == ZE_ZNS_TEMPLATE || (e) == ZE_ZNS_HASHPHONE)

/* The outcome of one request. */
typedef struct ZaloResult
{
	ZaloErrorClass error_class;
	long		http_status;	/* 0: no HTTP answer */
	int			zalo_error;		/* the body's "error", 0 on success */
	bool		sent_unknown;	/* the request may have reached Zalo (again) */
	int			times_sent;		/* > 1: libcurl resent it on a new connection */
	double		latency_ms;
	char		error_text[256];	/* never holds tokens or secrets */
	char		msg_id[128];	/* message_id / msg_id */
	char		file_token[512];	/* upload answer */
	char		access_token[512];	/* refresh answer */
	char		refresh_token[512];
	long		expires_in;		/* seconds */
	/* quota in a send's answer: by phone dailyQuota/remainingQuota, by user id quota_type/remain */
	char		quota_type[32];
	char		quota_remaining[32];
	char		quota_daily[32];
	long long	last_interaction_ms;	/* quota/message answer; 0 = none */
	/* template/info answer */
	char		template_status[32];
	char		template_name[128];
	char		price_uid[32];
	char		price_phone[32];
	char	   *template_params;	/* malloc'ed JSON array [{"name","type","max_length","require"}] */
} ZaloResult;

typedef struct ZaloRequest ZaloRequest;
typedef struct ZaloClient ZaloClient;

/* Client settings; timeouts in milliseconds. */
typedef struct ZaloClientOptions
{
	int			max_in_flight;
	long		connect_timeout_ms;
	long		request_timeout_ms;
	const char *ca_file;		/* NULL: the system's CA store */
} ZaloClientOptions;

extern bool zalo_client_global_init(char *errbuf, size_t errlen);
extern ZaloClient *zalo_client_create(const ZaloClientOptions *opts);
extern void zalo_client_destroy(ZaloClient *client);
extern void zalo_client_set_options(ZaloClient *client, const ZaloClientOptions *opts);

/* Requests: built by these, handed to zalo_client_start, freed by caller. */
extern ZaloRequest *zalo_request_json(ZaloEndpoint endpoint, const char *base_url,
									  const char *access_token, const char *json_body,
									  void *tag);
extern ZaloRequest *zalo_request_template_info(const char *base_url, const char *access_token,
											   const char *template_id, void *tag);
extern ZaloRequest *zalo_request_upload(const char *base_url, const char *access_token,
										const char *file_name, const void *data,
										size_t len, void *tag);
extern ZaloRequest *zalo_request_refresh(const char *oauth_base_url, const char *app_id,
										 const char *app_secret, const char *refresh_token,
										 void *tag);
extern void zalo_request_free(ZaloRequest *req);
extern void *zalo_request_tag(const ZaloRequest *req);
extern ZaloEndpoint zalo_request_endpoint(const ZaloRequest *req);
extern const ZaloResult *zalo_request_result(const ZaloRequest *req);

extern bool zalo_client_start(ZaloClient *client, ZaloRequest *req);
extern int	zalo_client_in_flight(const ZaloClient *client);
extern int	zalo_client_wait_fd(const ZaloClient *client);
extern long zalo_client_wait_ms(const ZaloClient *client);
extern void zalo_client_work(ZaloClient *client);
extern void zalo_client_poll(ZaloClient *client, int timeout_ms);
extern ZaloRequest *zalo_client_next_done(ZaloClient *client);
extern void zalo_client_run_one(ZaloClient *client, ZaloRequest *req);

extern void zalo_client_allow_insecure_http(bool allow);
extern size_t zalo_copy_utf8(char *dst, size_t dstlen, const char *src);

extern ZaloErrorClass classify_zalo_error(ZaloEndpoint endpoint, int zalo_error);
extern const char *zalo_error_class_name(ZaloErrorClass c);

#endif							/* ZT_ZALO_CLIENT_H */
