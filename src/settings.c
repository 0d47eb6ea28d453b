/*
 * settings.c
 *		Every zalo_tthc.* setting, defined in one place.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "settings.h"
#include "zalo_client.h"

char	   *zt_database_name = NULL;
char	   *zt_api_base_url = NULL;
char	   *zt_oauth_base_url = NULL;
char	   *zt_zns_base_url = NULL;
char	   *zt_lookup_url = NULL;
char	   *zt_ca_file = NULL;
bool		zt_allow_insecure_http = false;
bool		zt_bulk_import = false;
int			zt_lookup_max_results = 10;
int			zt_lookup_audit_retention_min = 90 * 24 * 60;
int			zt_max_in_flight = 256;
int			zt_batch_size = 100;
double		zt_rate_limit = 20;
int			zt_max_attempts = 8;
int			zt_retry_base_delay_ms = 2000;
int			zt_retry_max_delay_ms = 3600 * 1000;
int			zt_rate_limit_backoff_ms = 60 * 1000;
int			zt_config_error_pause_ms = 300 * 1000;
int			zt_connect_timeout_ms = 5000;
int			zt_request_timeout_ms = 15000;
int			zt_lease_time_ms = 120 * 1000;
int			zt_token_refresh_margin_s = 3600;
int			zt_webhook_max_age_s = 2 * 3600;
int			zt_webhook_replay_retention_s = 24 * 3600;
int			zt_webhook_max_body_size = 64 * 1024;
int			zt_attempt_retention_min = 30 * 24 * 60;
int			zt_sent_retention_min = 90 * 24 * 60;
int			zt_retention_batch_size = 1000;
int			zt_retention_interval_ms = 60 * 1000;
int			zt_follower_message = ZT_FOLLOWER_TEMPLATE;
int			zt_phone_channel = ZT_PHONE_CLEAR;
int			zt_template_check_interval_ms = 3 * 3600 * 1000;

static const struct config_enum_entry follower_message_options[] = {
	{"template", ZT_FOLLOWER_TEMPLATE, false},
	{"transaction", ZT_FOLLOWER_TRANSACTION, false},
	{NULL, 0, false}
};

static const struct config_enum_entry phone_channel_options[] = {
	{"phone", ZT_PHONE_CLEAR, false},
	{"hashed_phone", ZT_PHONE_HASHED, false},
	{NULL, 0, false}
};

/* Define one integer setting reloaded on SIGHUP. */
static void
define_sighup_int(const char *name, const char *desc, int *var, int boot,
				  int min, int max, int flags)
{
	DefineCustomIntVariable(name, desc, NULL, var, boot, min, max,
							PGC_SIGHUP, flags, NULL, NULL, NULL);
}

/* Hand zalo_tthc.allow_insecure_http to the Zalo client of this process. */
static void
assign_allow_insecure_http(bool newval, void *extra)
{
	zalo_client_allow_insecure_http(newval);
}

/* Define the settings and reserve the zalo_tthc. prefix. */
void
zt_define_settings(void)
{
	/*
	 * Only the postmaster may define a server-start setting: a backend
	 * that loads the library on first use (no shared_preload_libraries,
	 * hence no worker) would end with FATAL.
	 */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("zalo_tthc.database_name",
								   "Database whose notification queue the delivery worker serves.",
								   NULL,
								   &zt_database_name,
								   "postgres",
								   PGC_POSTMASTER,
								   0,
								   NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.api_base_url",
							   "Base URL of the Zalo OA Open API.",
							   NULL,
							   &zt_api_base_url,
							   "https://openapi.zalo.me",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.oauth_base_url",
							   "Base URL of the Zalo OAuth token endpoint.",
							   NULL,
							   &zt_oauth_base_url,
							   "https://oauth.zaloapp.com",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.zns_base_url",
							   "Base URL of the Zalo Notification Service (ZNS) API.",
							   NULL,
							   &zt_zns_base_url,
							   "https://business.openapi.zalo.me",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	/*
	 * Superuser only: a role that writes dossiers could otherwise silence
	 * every notification.  A superuser lets an import role use it with
	 * GRANT SET ON PARAMETER or ALTER ROLE ... SET.
	 */
	DefineCustomBoolVariable("zalo_tthc.bulk_import",
							 "Record stage changes without notifying citizens, for imports of historical dossiers.",
							 "While on, new dossiers may start at any stage and every event is recorded with notify = 'skipped_bulk_import'.",
							 &zt_bulk_import,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.lookup_url",
							   "Link of the \"Tra cứu hồ sơ\" button; {ma_ho_so} is replaced by the dossier code.",
							   NULL,
							   &zt_lookup_url,
							   "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma_ho_so={ma_ho_so}",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	/* superuser only, so that a portal role cannot widen its own lookups */
	DefineCustomIntVariable("zalo_tthc.lookup_max_results",
							"Most dossiers one lookup returns.",
							NULL,
							&zt_lookup_max_results,
							10, 1, 100,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("zalo_tthc.lookup_audit_retention",
							"How long purge_lookup_audit() keeps lookup audit rows; 0 keeps them forever.",
							NULL,
							&zt_lookup_audit_retention_min,
							90 * 24 * 60, 0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.ca_file",
							   "File of trusted CA certificates for HTTPS to Zalo; empty uses the system store.",
							   NULL,
							   &zt_ca_file,
							   "",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("zalo_tthc.allow_insecure_http",
							 "Allow plain http:// base URLs for the Zalo APIs.",
							 "Tokens and secrets travel in request headers, so a request to an http:// URL is refused unless this is on: for a local mock only.",
							 &zt_allow_insecure_http,
							 false,
							 PGC_SIGHUP,
							 0,
							 NULL, assign_allow_insecure_http, NULL);

	define_sighup_int("zalo_tthc.max_in_flight",
					  "Most requests the delivery worker keeps open at once.",
					  &zt_max_in_flight, 256, 1, 1000, 0);
	define_sighup_int("zalo_tthc.batch_size",
					  "Most notifications claimed from the queue in one transaction.",
					  &zt_batch_size, 100, 1, 10000, 0);
	DefineCustomRealVariable("zalo_tthc.rate_limit",
							 "Most requests per second sent to Zalo (token bucket); 0 means no limit.",
							 NULL,
							 &zt_rate_limit,
							 20, 0, 100000,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);
	define_sighup_int("zalo_tthc.max_attempts",
					  "Attempts before a notification that keeps failing becomes dead.",
					  &zt_max_attempts, 8, 1, 100, 0);
	define_sighup_int("zalo_tthc.retry_base_delay",
					  "Delay before the first retry; doubles with each attempt, with jitter.",
					  &zt_retry_base_delay_ms, 2000, 10, 3600 * 1000, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.retry_max_delay",
					  "Longest delay between two attempts.",
					  &zt_retry_max_delay_ms, 3600 * 1000, 10, 24 * 3600 * 1000, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.rate_limit_backoff",
					  "Pause of all sending after Zalo answers -32 (rate limit) or HTTP 429.",
					  &zt_rate_limit_backoff_ms, 60 * 1000, 10, 3600 * 1000, GUC_UNIT_MS);
	DefineCustomEnumVariable("zalo_tthc.follower_message",
							 "How a stage notice reaches a follower: template (ZBS template by user id) or transaction (the OA transaction message Zalo stopped on 2026-03-01, for OAs that still have it).",
							 NULL, &zt_follower_message, ZT_FOLLOWER_TEMPLATE, follower_message_options,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("zalo_tthc.phone_channel",
							 "How a notice goes by phone: phone (the 84... number) or hashed_phone (only its SHA-256 leaves the database).",
							 NULL, &zt_phone_channel, ZT_PHONE_CLEAR, phone_channel_options,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	define_sighup_int("zalo_tthc.template_check_interval",
					  "How often the worker reads each ZBS template's status, parameters and prices from Zalo (also at start and on a change_template_status webhook).",
					  &zt_template_check_interval_ms, 3 * 3600 * 1000, 1000, INT_MAX, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.config_error_pause",
					  "Pause of all sending after a configuration error (OA disabled, no permission, quota).",
					  &zt_config_error_pause_ms, 300 * 1000, 10, 24 * 3600 * 1000, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.connect_timeout",
					  "Connection timeout of one request to Zalo.",
					  &zt_connect_timeout_ms, 5000, 10, 600 * 1000, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.request_timeout",
					  "Total timeout of one request to Zalo.",
					  &zt_request_timeout_ms, 15000, 10, 600 * 1000, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.lease_time",
					  "How long a claimed notification stays claimed before it returns to the queue.",
					  &zt_lease_time_ms, 120 * 1000, 1000, 3600 * 1000, GUC_UNIT_MS);
	define_sighup_int("zalo_tthc.token_refresh_margin",
					  "Refresh the access token when it expires within this time.",
					  &zt_token_refresh_margin_s, 3600, 0, 24 * 3600, GUC_UNIT_S);
	define_sighup_int("zalo_tthc.delivery_attempt_retention",
					  "Age after which the delivery worker deletes delivery_attempt rows; 0 keeps them.",
					  &zt_attempt_retention_min, 30 * 24 * 60, 0, INT_MAX, GUC_UNIT_MIN);
	define_sighup_int("zalo_tthc.sent_retention",
					  "Age (since sent_at) after which the delivery worker deletes sent, delivered and seen notifications; 0 keeps them.",
					  &zt_sent_retention_min, 90 * 24 * 60, 0, INT_MAX, GUC_UNIT_MIN);
	define_sighup_int("zalo_tthc.retention_batch_size",
					  "Most rows of each table deleted in one retention transaction.",
					  &zt_retention_batch_size, 1000, 1, 100000, 0);
	define_sighup_int("zalo_tthc.retention_interval",
					  "Pause between retention runs once nothing old is left.",
					  &zt_retention_interval_ms, 60 * 1000, 100, 24 * 3600 * 1000, GUC_UNIT_MS);

	/* Zalo's retries of a delivery end 1 h 50 min 30 s after the first try */
	DefineCustomIntVariable("zalo_tthc.webhook_max_age",
							"Webhook deliveries whose signed timestamp is older than this are refused.",
							NULL, &zt_webhook_max_age_s, 2 * 3600, 10, 7 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("zalo_tthc.webhook_replay_retention",
							"How long handled webhook events are remembered to ignore replays (at least twice webhook_max_age is kept).",
							NULL, &zt_webhook_replay_retention_s, 24 * 3600, 60, 365 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("zalo_tthc.webhook_max_body_size",
							"Largest webhook body accepted; larger ones are refused before their signature is computed.",
							NULL, &zt_webhook_max_body_size, 64 * 1024, 1024, 16 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);

	MarkGUCPrefixReserved("zalo_tthc");
}
