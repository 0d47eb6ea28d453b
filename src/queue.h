/*
 * queue.h
 *		The delivery worker's side of the outbox: claim, complete, reclaim,
 *		and the OA credentials.  Every function runs its own short
 *		transaction; none is ever open while a request is on the wire.
 */
#ifndef ZT_QUEUE_H
#define ZT_QUEUE_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* A claimed notification with everything needed to build its request. */
typedef struct ZtClaimedRow
{
	int64		outbox_id;
	int32		attempt;
	char	   *kind;			/* stage, receipt_file */
	char	   *channel;		/* zalo_oa, zns */
	char	   *idempotency_key;
	char	   *user_id;		/* NULL: no linked follower */
	bool		followed;
	char	   *zns_phone;		/* 84XXXXXXXXX or NULL */
	char	   *code;
	char	   *header;
	char	   *body;
	char	   *table_rows;
	char	   *buttons;
	char	   *status_style;
	char	   *zns_template_id;
	char	   *zns_params;
	char	   *vars;
	char	   *file_name;
	char	   *file_data;
	int			file_len;
	char	   *payload;		/* chat message: the complete cs body */
} ZtClaimedRow;

/* The result of one attempt, recorded in outbox and delivery_attempt. */
typedef struct ZtOutcome
{
	int64		outbox_id;
	int32		attempt;
	const char *status;			/* sent, failed, dead, undeliverable */
	char	   *last_error;
	int			error_code;		/* Zalo error code, 0 if none */
	char	   *provider_msg_id;
	TimestampTz next_attempt_at;
	bool		refund_attempt; /* not the message's fault: do not count */
	bool		fallback_to_zns;
	const char *endpoint;
	TimestampTz started_at;
	double		latency_ms;
	int			http_status;
	const char *outcome;		/* error class name */
	bool		sent_unknown;
} ZtOutcome;

/* The OA credentials, copied into the caller's memory context. */
typedef struct ZtCredentials
{
	bool		present;
	char	   *app_id;
	char	   *app_secret;
	char	   *access_token;
	char	   *refresh_token;
	TimestampTz expires_at;
	bool		reauthorization_required;
	char	   *bound_to;		/* database_identity() where stored; NULL */
} ZtCredentials;

extern bool zt_extension_ready(void);
extern const char *zt_installed_schema_version(void);
extern int	zt_claim_batch(int limit, int lease_ms, ZtClaimedRow **rows);
extern void zt_record_outcomes(ZtOutcome *outcomes, int n);
extern int	zt_reclaim_abandoned(void);
extern bool zt_next_due(TimestampTz *when, TimestampTz *lease_end);
extern int	zt_reclaim_expired_leases(const int64 *held, int n_held);
extern void zt_load_credentials(ZtCredentials *creds);
extern bool zt_store_refreshed_tokens(const char *old_refresh_token,
									  const char *access_token,
									  const char *refresh_token, long expires_in);
extern void zt_flag_reauthorization(const char *refused_refresh_token);
extern void zt_bind_unbound_credentials(const char *identity);
extern void zt_worker_begin(const char *activity);
extern void zt_worker_end(void);

/* monitor.c: count recorded outcomes (totals table, latency histogram) */
extern void zt_add_delivery_totals(Datum outbox_ids, Datum statuses);
extern void zt_monitor_note_outcomes(const ZtOutcome *outcomes, int n);

#endif							/* ZT_QUEUE_H */
