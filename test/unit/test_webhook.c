/*
 * test_webhook.c
 *		TAP tests of the webhook check in src/webhook_core.c: the
 *		signature formula of zalo-api.md §7.2 against a known digest, the
 *		header forms, the signed-timestamp scan, the time window and the
 *		parsing of each event.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "webhook_core.h"

#define APP_ID "1234567890123456789"
#define TS "1714529559833"

static ZwConfig cfg = {APP_ID, "OAKEY", INT64_C(1714529559833), INT64_C(3600000), 65536, INT64_C(3600000)};

/* The signature of body over its own timestamp, with "mac=". */
static void
sign_body(const char *body, char out[70])
{
	const char *ts;
	size_t		len;

	strcpy(out, "mac=");
	if (!zw_find_timestamp(body, strlen(body), &ts, &len))
		ts = "", len = 0;
	zw_sign(APP_ID, body, strlen(body), ts, len, "OAKEY", out + 4);
}

/* Process a correctly signed body; returns the status. */
static ZwStatus
process_signed(const char *body, ZwEvent *ev, char *detail)
{
	char		sig[70];

	sign_body(body, sig);
	return zw_process(&cfg, body, strlen(body), sig, ev, detail, 256);
}

/* A signed body gives status want (and, if given, this detail). */
static void
status_is(const char *body, ZwStatus want, const char *want_detail, const char *what)
{
	ZwEvent		ev;
	char		detail[256];
	ZwStatus	got = process_signed(body, &ev, detail);

	ok(got == want && (want_detail == NULL || strcmp(detail, want_detail) == 0), what);
	if (got != want || (want_detail && strcmp(detail, want_detail) != 0))
		printf("# got %s: %s\n", zw_status_reason(got), detail);
	zw_event_free(&ev);
}

/* Run every check; TAP on stdout, non-zero exit on a failure. */
int
main(void)
{
	const char *follow = "{\"app_id\":\"" APP_ID "\",\"event_name\":\"follow\",\"timestamp\":\"" TS "\",\"follower\":{\"id\":\"1\"}}";
	const char *mock_body = "{\"app_id\":\"1234567890123456789\",\"event_name\":\"follow\",\"timestamp\":\"1714529559833\",\"follower\":{\"id\":\"1\"}}";
	char		sig[70];
	char		upper[70];
	char		detail[256];
	const char *ts;
	size_t		len;
	int64_t		t;
	ZwEvent		ev;

	/* the formula: sha256sum of app_id + body + timestamp + OA secret key */
	sign_body(mock_body, sig);
	ok(strcmp(sig, "mac=5f69b316621b8fd3851649daf111b323366e5dd3b2ac766709098bc86306ad98") == 0,
	   "signature = mac= + sha256sum of app_id + body + timestamp + OA secret key");
	ok(zw_verify_signature(&cfg, follow, strlen(follow), (sign_body(follow, sig), sig), &t) == ZW_OK &&
	   t == INT64_C(1714529559833), "a correct signature verifies and yields the signed timestamp");
	ok(zw_verify_signature(&cfg, follow, strlen(follow), sig + 4, &t) == ZW_OK, "bare hex verifies");
	for (int i = 0; sig[i]; i++)
		upper[i] = (i >= 4 && sig[i] >= 'a' && sig[i] <= 'f') ? sig[i] - 32 : sig[i];
	upper[68] = '\0';
	ok(zw_verify_signature(&cfg, follow, strlen(follow), upper, &t) == ZW_OK, "upper-case hex verifies");
	sig[10] = sig[10] == '0' ? '1' : '0';
	ok(zw_verify_signature(&cfg, follow, strlen(follow), sig, &t) == ZW_BAD_SIGNATURE, "one changed digit is refused");
	ok(zw_verify_signature(&cfg, follow, strlen(follow), NULL, &t) == ZW_MISSING_SIGNATURE, "no header");
	ok(zw_verify_signature(&cfg, follow, strlen(follow), "  ", &t) == ZW_MISSING_SIGNATURE, "blank header");
	ok(zw_verify_signature(&cfg, follow, strlen(follow), "mac=abc", &t) == ZW_MALFORMED_SIGNATURE, "short header");
	{
		ZwConfig	small = cfg;

		small.max_body = 10;
		sign_body(follow, sig);
		ok(zw_verify_signature(&small, follow, strlen(follow), sig, &t) == ZW_BODY_TOO_LARGE, "body over the limit");
		small = cfg;
		small.now_ms += 3600001;
		ok(zw_verify_signature(&small, follow, strlen(follow), sig, &t) == ZW_STALE_TIMESTAMP, "an hour and a millisecond late");
		small.now_ms = cfg.now_ms - 3600001;
		ok(zw_verify_signature(&small, follow, strlen(follow), sig, &t) == ZW_STALE_TIMESTAMP, "from the future");
		/* Zalo's last retry comes 1 h 50 min 30 s after the first try */
		small = cfg;
		small.max_age_ms = INT64_C(7200000);
		small.max_future_ms = INT64_C(300000);
		small.now_ms += INT64_C(6630000);
		ok(zw_verify_signature(&small, follow, strlen(follow), sig, &t) == ZW_OK, "Zalo's last retry is accepted");
		small.now_ms = cfg.now_ms - 300000;
		ok(zw_verify_signature(&small, follow, strlen(follow), sig, &t) == ZW_OK, "five minutes of clock skew");
		small.now_ms = cfg.now_ms - 600000;
		ok(zw_verify_signature(&small, follow, strlen(follow), sig, &t) == ZW_STALE_TIMESTAMP,
		   "ten minutes in the future is refused");
	}

	/* the timestamp scan: top level of an object only, strings of digits */
	ok(zw_find_timestamp(follow, strlen(follow), &ts, &len) && len == 13 && strncmp(ts, TS, 13) == 0, "top-level timestamp found");
	ok(!zw_find_timestamp("{\"m\":{\"timestamp\":\"1\"}}", 24, &ts, &len), "nested timestamp ignored");
	ok(!zw_find_timestamp("[\"timestamp\",\"1\"]", 17, &ts, &len), "array ignored");
	ok(!zw_find_timestamp("{\"timestamp\":1}", 15, &ts, &len), "number ignored");
	ok(!zw_find_timestamp("{\"t\":\"\\\"timestamp\\\":\\\"1\\\"\"}", 27, &ts, &len), "escaped text ignored");
	ok(zw_find_timestamp("{\"timestamp\":\"1\",\"timestamp\":\"22\"}", 34, &ts, &len) && len == 2, "the last one wins, as in json-c");
	ok(!zw_find_timestamp("{\"timestamp\":\"1234567890123456789\"}", 35, &ts, &len), "19 digits refused");

	/* parsing */
	ok(process_signed(follow, &ev, detail) == ZW_OK && ev.kind == ZWE_FOLLOW && strcmp(ev.user_id, "1") == 0,
	   "follow: follower.id");
	zw_event_free(&ev);
	ok(process_signed("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"user_send_text\","
					  "\"sender\":{\"id\":\"2\"},\"message\":{\"msg_id\":\"m\",\"text\":\"TTHC 1\"}}", &ev, detail) == ZW_OK &&
	   ev.kind == ZWE_USER_SEND_TEXT && strcmp(ev.text, "TTHC 1") == 0 && strcmp(ev.msg_id, "m") == 0,
	   "user_send_text: sender, msg_id, text");
	zw_event_free(&ev);
	ok(process_signed("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"user_submit_info\","
					  "\"sender\":{\"id\":\"2\"},\"info\":{\"phone\":\"0912 345 678\"}}", &ev, detail) == ZW_OK &&
	   ev.phone_valid && strcmp(ev.phone, "+84912345678") == 0, "user_submit_info: phone normalised");
	zw_event_free(&ev);
	ok(process_signed("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"user_seen_message\","
					  "\"message\":{\"msg_ids\":[\"a\",\"b\"]}}", &ev, detail) == ZW_OK &&
	   ev.n_msg_ids == 2 && strcmp(ev.msg_ids[1], "b") == 0, "user_seen_message: msg_ids");
	zw_event_free(&ev);
	ok(process_signed("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"user_received_message\","
					  "\"tracking_id\":\"7-1-zns\",\"msg_id\":\"z\"}", &ev, detail) == ZW_OK &&
	   ev.kind == ZWE_ZNS_DELIVERED && strcmp(ev.tracking_id, "7-1-zns") == 0, "ZNS receipt in the flat form");
	zw_event_free(&ev);
	/* in a ZNS receipt recipient.id is the citizen's phone number, not a Zalo user id */
	ok(process_signed("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"user_received_message\","
					  "\"recipient\":{\"id\":\"84912345678\"},\"message\":{\"msg_id\":\"z\",\"tracking_id\":\"7-1-zns\"}}",
					  &ev, detail) == ZW_OK &&
	   ev.kind == ZWE_ZNS_DELIVERED && ev.user_id[0] == '\0', "ZNS receipt: the phone is no user id");
	zw_event_free(&ev);
	ok(process_signed("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"user_received_message\","
					  "\"recipient\":{\"id\":\"+84 912 345 678\"},\"message\":{\"msg_id\":\"z\",\"tracking_id\":\"7-1-zns\"}}",
					  &ev, detail) == ZW_OK &&
	   ev.kind == ZWE_ZNS_DELIVERED && ev.user_id[0] == '\0', "ZNS receipt: a phone in any form is accepted");
	zw_event_free(&ev);
	status_is("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"follow\",\"follower\":{\"id\":1}}",
			  ZW_WRONG_TYPE, NULL, "an id as a number");
	status_is("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"follow\",\"follower\":{\"id\":\"1\"}} x",
			  ZW_MALFORMED_JSON, NULL, "trailing text");
	status_is("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"follow\",\"x\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}",
			  ZW_MALFORMED_JSON, "nested deeper than 16 levels", "deep nesting");
	status_is("{\"app_id\":\"99\",\"timestamp\":\"" TS "\",\"event_name\":\"follow\"}", ZW_WRONG_APP_ID, NULL, "another app");
	status_is("{\"app_id\":\"" APP_ID "\",\"timestamp\":\"" TS "\",\"event_name\":\"oa_send_text\"}", ZW_OK, NULL,
			  "an event not acted on is accepted");
	return done_testing();
}
