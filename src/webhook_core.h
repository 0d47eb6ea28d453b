/*
 * webhook_core.h
 *		Verification and parsing of Zalo webhook deliveries (zalo-api.md §7).
 *
 * Plain C (json-c, OpenSSL's SHA-256, malloc): no server headers, no SPI,
 * so the same code runs under the fuzzer and the unit tests.  The caller
 * passes the OA credentials, the clock and the limits; webhook.c turns the
 * result into jsonb and hands the event to SQL.
 *
 * Order of the checks: size, signature header, the signed timestamp, the
 * MAC in constant time, the time window; only then is the body parsed.
 */
#ifndef ZT_WEBHOOK_CORE_H
#define ZT_WEBHOOK_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most nesting json-c may build; Zalo's bodies have four levels. */
#define ZW_MAX_DEPTH 16
/* Most msg_ids one user_seen_message may mark. */
#define ZW_MAX_MSG_IDS 100
/* Zalo ids are decimal strings of at most 19 digits. */
#define ZW_ID_LEN 19
/* Longest msg_id / tracking_id kept. */
#define ZW_TOKEN_LEN 128

typedef enum ZwStatus
{
	ZW_OK,
	/* not verified: the portal may answer 401 */
	ZW_MISSING_SIGNATURE,		/* no X-ZEvent-Signature */
	ZW_MALFORMED_SIGNATURE,		/* not 64 hex digits, with or without mac= */
	ZW_BODY_TOO_LARGE,
	ZW_MISSING_TIMESTAMP,		/* no top-level "timestamp" string of digits */
	ZW_BAD_SIGNATURE,
	ZW_STALE_TIMESTAMP,			/* outside the accepted window */
	/* verified, but unusable: the portal should answer 200 */
	ZW_MALFORMED_JSON,
	ZW_NOT_AN_OBJECT,
	ZW_WRONG_APP_ID,
	ZW_MISSING_FIELD,
	ZW_WRONG_TYPE,
	ZW_INVALID_VALUE
} ZwStatus;

typedef enum ZwEventKind
{
	ZWE_OTHER,					/* recorded and acknowledged */
	ZWE_FOLLOW,
	ZWE_UNFOLLOW,
	ZWE_USER_SEND_TEXT,
	ZWE_USER_SUBMIT_INFO,
	ZWE_USER_RECEIVED_MESSAGE,	/* OA message delivered (msg_id) */
	ZWE_USER_SEEN_MESSAGE,		/* OA messages seen (msg_ids[]) */
	ZWE_ZNS_DELIVERED			/* user_received_message with tracking_id */
} ZwEventKind;

/* A verified and parsed event; strings are NUL-terminated. */
typedef struct ZwEvent
{
	ZwEventKind kind;
	char		event_name[64];
	int64_t		timestamp_ms;
	char		user_id[ZW_ID_LEN + 1]; /* the citizen (empty if none) */
	char		msg_id[ZW_TOKEN_LEN + 1];
	char		tracking_id[ZW_TOKEN_LEN + 1];
	int64_t		delivery_time_ms;	/* 0: not given */
	int			n_msg_ids;
	char		msg_ids[ZW_MAX_MSG_IDS][ZW_TOKEN_LEN + 1];
	char	   *text;			/* user_send_text; malloc'ed */
	char	   *name;			/* user_submit_info; malloc'ed */
	char		phone[16];		/* user_submit_info: +84XXXXXXXXX */
	bool		phone_given;
	bool		phone_valid;
	unsigned char dedupe_key[32];	/* identifies the event for replays */
} ZwEvent;

/* What the caller knows: the OA credentials, the clock, the limits. */
typedef struct ZwConfig
{
	const char *app_id;
	const char *oa_secret_key;
	int64_t		now_ms;
	int64_t		max_age_ms;		/* accepted now - timestamp (a late delivery) */
	size_t		max_body;
	int64_t		max_future_ms;	/* accepted timestamp - now (clock skew) */
}			ZwConfig;

extern ZwStatus zw_verify_signature(const ZwConfig *cfg, const char *body, size_t len,
									const char *signature, int64_t *timestamp_ms);
extern ZwStatus zw_parse_event(const ZwConfig *cfg, const char *body, size_t len,
							   int64_t verified_timestamp_ms, ZwEvent *ev,
							   char *detail, size_t detail_len);
extern ZwStatus zw_process(const ZwConfig *cfg, const char *body, size_t len,
						   const char *signature, ZwEvent *ev,
						   char *detail, size_t detail_len);
extern void zw_event_free(ZwEvent *ev);
extern bool zw_find_timestamp(const char *body, size_t len,
							  const char **start, size_t *digits);
extern void zw_sign(const char *app_id, const char *body, size_t len,
					const char *timestamp, size_t ts_len, const char *oa_secret_key,
					char hex[65]);
extern const char *zw_status_reason(ZwStatus s);
extern const char *zw_status_detail(ZwStatus s);
extern bool zw_status_verified(ZwStatus s);
extern const char *zw_event_kind_name(ZwEventKind k);

#endif							/* ZT_WEBHOOK_CORE_H */
