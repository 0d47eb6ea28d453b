/*
 * webhook.c
 *		SQL entry points of the webhook check: read the OA credentials,
 *		run webhook_core.c on the raw body and signature, and report the
 *		verified event (or why it was refused) as jsonb.
 *
 * Nothing here changes state: zalo_tthc.handle_webhook (SQL, in
 * sql/webhook.sql) records the event and acts on it.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "settings.h"
#include "webhook_core.h"

/* How far in the future a signed timestamp may be: clock skew, not delay */
#define ZT_WEBHOOK_CLOCK_SKEW_MS (5 * 60 * 1000)

PG_FUNCTION_INFO_V1(zt_webhook_verify);
PG_FUNCTION_INFO_V1(zt_verify_webhook_signature);

/* The check settings and credentials for one call. */
static ZwConfig
webhook_config(char **app_id, char **secret)
{
	MemoryContext cxt = CurrentMemoryContext;
	ZwConfig	cfg;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT app_id, oa_secret_key FROM zalo_tthc.oa_credentials", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.oa_credentials");
	isnull = true;
	if (SPI_processed == 1)
		(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the OA secret key is not set, so webhook signatures cannot be checked"),
				 errhint("Store it with zalo_tthc.set_oa_credentials(..., oa_secret_key => '...').")));
	*app_id = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	*secret = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	SPI_finish();

	cfg.app_id = *app_id;
	cfg.oa_secret_key = *secret;
	cfg.now_ms = GetCurrentTimestamp() / 1000 +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
	cfg.max_age_ms = (int64) zt_webhook_max_age_s * 1000;
	cfg.max_future_ms = ZT_WEBHOOK_CLOCK_SKEW_MS;
	cfg.max_body = (size_t) zt_webhook_max_body_size;
	return cfg;
}

/* Append ,"key":"escaped value" to a JSON object text. */
static void
add_string(StringInfo out, const char *key, const char *value)
{
	appendStringInfo(out, ",\"%s\":", key);
	escape_json(out, value);
}

/*
 * The jsonb of a JSON object text built from the body's strings: UTF-8,
 * since webhook_core.c refuses a body whose strings are not, converted to
 * the server encoding.
 */
static Datum
utf8_jsonb(StringInfo out)
{
	char	   *converted = pg_any_to_server(out->data, out->len, PG_UTF8);

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(converted));
}

/* The jsonb of a refused delivery. */
static Datum
refusal(ZwStatus st, const char *detail)
{
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfo(&out, "{\"ok\":false,\"verified\":%s", zw_status_verified(st) ? "true" : "false");
	add_string(&out, "reason", zw_status_reason(st));
	/* a detail never quotes the body, but is shown only if it is UTF-8 */
	if (detail && detail[0] && pg_verify_mbstr(PG_UTF8, detail, strlen(detail), true))
		add_string(&out, "detail", detail);
	appendStringInfoChar(&out, '}');
	return utf8_jsonb(&out);
}

/* The jsonb of a verified event, with the fields SQL acts on. */
static Datum
verified_event(const ZwEvent *ev)
{
	StringInfoData out;
	char		hex[65];

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"ok\":true,\"verified\":true");
	add_string(&out, "event", ev->event_name);
	add_string(&out, "kind", zw_event_kind_name(ev->kind));
	appendStringInfo(&out, ",\"timestamp_ms\":" INT64_FORMAT, (int64) ev->timestamp_ms);
	if (ev->user_id[0])
		add_string(&out, "user_id", ev->user_id);
	if (ev->msg_id[0])
		add_string(&out, "msg_id", ev->msg_id);
	if (ev->tracking_id[0])
		add_string(&out, "tracking_id", ev->tracking_id);
	if (ev->delivery_time_ms > 0)
		appendStringInfo(&out, ",\"delivery_time_ms\":" INT64_FORMAT, (int64) ev->delivery_time_ms);
	if (ev->n_msg_ids > 0)
	{
		appendStringInfoString(&out, ",\"msg_ids\":[");
		for (int i = 0; i < ev->n_msg_ids; i++)
		{
			if (i > 0)
				appendStringInfoChar(&out, ',');
			escape_json(&out, ev->msg_ids[i]);
		}
		appendStringInfoChar(&out, ']');
	}
	if (ev->text)
		add_string(&out, "text", ev->text);
	if (ev->name)
		add_string(&out, "name", ev->name);
	if (ev->phone_given)
	{
		appendStringInfo(&out, ",\"phone_valid\":%s", ev->phone_valid ? "true" : "false");
		if (ev->phone_valid)
			add_string(&out, "phone", ev->phone);
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", ev->dedupe_key[i]);
	add_string(&out, "dedupe_key", hex);
	appendStringInfoChar(&out, '}');
	return utf8_jsonb(&out);
}

/*
 * webhook_verify(body bytea, signature text) returns jsonb: verify one
 * delivery, its raw bytes as Zalo sent them, and parse it; no state
 * change.  {"ok": false, "verified": ..., "reason": ..., "detail": ...}
 * when refused.
 */
Datum
zt_webhook_verify(PG_FUNCTION_ARGS)
{
	char	   *app_id;
	char	   *secret;
	ZwConfig	cfg;
	bytea	   *body;
	char	   *signature;
	ZwEvent		ev;
	char		detail[256];
	ZwStatus	st;
	Datum		result;

	cfg = webhook_config(&app_id, &secret);
	body = PG_ARGISNULL(0) ? (bytea *) cstring_to_text("") : PG_GETARG_BYTEA_PP(0);
	signature = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));

	st = zw_process(&cfg, VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body), signature, &ev,
					detail, sizeof(detail));
	result = st == ZW_OK ? verified_event(&ev) : refusal(st, detail);
	zw_event_free(&ev);
	PG_RETURN_DATUM(result);
}

/*
 * verify_webhook_signature(body bytea, signature text) returns boolean:
 * the signature check alone over the raw bytes (no window, no parsing).
 */
Datum
zt_verify_webhook_signature(PG_FUNCTION_ARGS)
{
	char	   *app_id;
	char	   *secret;
	ZwConfig	cfg;
	bytea	   *body;
	int64_t		ts;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	cfg = webhook_config(&app_id, &secret);
	cfg.max_age_ms = INT64_MAX / 2;
	cfg.max_future_ms = INT64_MAX / 2;
	cfg.max_body = SIZE_MAX;
	body = PG_GETARG_BYTEA_PP(0);
	PG_RETURN_BOOL(zw_verify_signature(&cfg, VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body),
									   text_to_cstring(PG_GETARG_TEXT_PP(1)), &ts) == ZW_OK);
}
