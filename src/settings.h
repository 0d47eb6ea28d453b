/*
 * settings.h
 *		The zalo_tthc.* settings (settings.c).
 */
#ifndef ZT_SETTINGS_H
#define ZT_SETTINGS_H

#include "postgres.h"

extern char *zt_database_name;
extern char *zt_api_base_url;
extern char *zt_oauth_base_url;
extern char *zt_zns_base_url;
extern char *zt_lookup_url;
extern char *zt_ca_file;
extern bool zt_allow_insecure_http;
extern bool zt_bulk_import;
extern int	zt_lookup_max_results;
extern int	zt_lookup_audit_retention_min;
extern int	zt_max_in_flight;
extern int	zt_batch_size;
extern double zt_rate_limit;
extern int	zt_max_attempts;
extern int	zt_retry_base_delay_ms;
extern int	zt_retry_max_delay_ms;
extern int	zt_rate_limit_backoff_ms;
extern int	zt_config_error_pause_ms;
extern int	zt_connect_timeout_ms;
extern int	zt_request_timeout_ms;
extern int	zt_lease_time_ms;
extern int	zt_token_refresh_margin_s;
extern int	zt_webhook_max_age_s;
extern int	zt_webhook_replay_retention_s;
extern int	zt_webhook_max_body_size;
extern int	zt_attempt_retention_min;
extern int	zt_sent_retention_min;
extern int	zt_retention_batch_size;
extern int	zt_retention_interval_ms;
extern int	zt_follower_message;
extern int	zt_phone_channel;
extern int	zt_template_check_interval_ms;
extern void zt_define_settings(void);

/* zalo_tthc.follower_message */
#define ZT_FOLLOWER_TEMPLATE 0
#define ZT_FOLLOWER_TRANSACTION 1
/* zalo_tthc.phone_channel */
#define ZT_PHONE_CLEAR 0
#define ZT_PHONE_HASHED 1

#endif							/* ZT_SETTINGS_H */
