/*
 * outbox.h
 *		The outbox: a stage change's event and notification rows and the
 *		delivery worker's reclaims (outbox.c), its claims (claim.c) and its
 *		outcomes (outcome.c).
 *
 * These three files are the only C code that writes
 * zalo_tthc.dossier_event and zalo_tthc.outbox rows or changes a
 * notification's status.  The statuses
 * (zalo_tthc.delivery_status) and who moves a notification between them:
 *
 *   pending        written with the stage change (zt_record_stage_change),
 *                  or by a chat answer, a ZNS fallback, a receipt file,
 *                  an operator's retry
 *   pending/failed -> sending     the worker's claim (zt_claim_batch), with a
 *                                 lease; only the first open notification
 *                                 of a dossier (or a citizen's chat) is
 *                                 claimable, so stages arrive in order
 *   sending -> sent               Zalo accepted it (zt_record_outcomes)
 *   sending -> failed             retryable error, next_attempt_at set
 *   sending -> dead               attempts used up, or an error no retry
 *                                 cures
 *   sending -> undeliverable      no channel can reach the citizen
 *   sending -> failed             the worker stopped or the lease ran out
 *                                 while it was on the wire
 *                                 (zt_reclaim_abandoned,
 *                                 zt_reclaim_expired_leases): the outcome is
 *                                 unknown and logged as such
 *   sent -> delivered -> seen     Zalo's receipts (webhooks, in SQL)
 *   undeliverable                 written so at once when no channel can
 *                                 reach the citizen (no follower, no phone)
 *
 * A failed or dead notification goes back to pending only by an
 * operator's retry() / retry_dead().
 */
#ifndef ZT_OUTBOX_H
#define ZT_OUTBOX_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/relcache.h"

#include "message.h"

/*
 * Indexes the enqueue path probes or relies on by name; the pgTAP schema
 * test (test/pgtap/schema.sql) checks that each exists.
 */
#define ZT_EVENT_KEY_INDEX "dossier_event_dossier_id_seq_key"
#define ZT_RECIPIENT_PHONE_INDEX "recipient_phone_idx"
#define ZT_RECIPIENT_ID_NUMBER_INDEX "recipient_id_number_idx"
#define ZT_TEMPLATE_KEY_INDEX "template_pkey"

/* One stage change of a dossier, as the enqueue trigger saw it. */
typedef struct ZtStageChange
{
	int64		dossier_id;
	int32		seq;			/* dossier.stage_seq after the change */
	Oid			stage_before;	/* InvalidOid for a new dossier */
	Oid			stage_after;
	int16		status_before;
	bool		status_before_null;
	int16		status_after;
	Datum		actor;			/* text */
	bool		actor_null;
	Datum		note;			/* text */
	bool		note_null;
	Datum		due_before;		/* timestamptz */
	bool		due_before_null;
	Datum		due_after;		/* timestamptz */
	bool		due_after_null;
	const char *notify;			/* a zalo_tthc.notify_decision label */
	bool		enqueue;		/* write the outbox row too */
	bool		may_repeat;		/* the same change may arrive twice */
	Datum		phone;			/* text, normalised +84… */
	bool		phone_null;
	Datum		id_number;		/* text */
	bool		id_number_null;
} ZtStageChange;

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
	char	   *phone;			/* 84 and 9 digits, or NULL */
	char	   *code;
	char	   *header;
	char	   *body;
	char	   *table_rows;
	char	   *buttons;
	char	   *status_style;
	char	   *template_id;	/* template.zbs_template_id */
	char	   *template_params;	/* template.zbs_params */
	ZtValue    *values;		/* of the template; NULL for a chat message */
	int			n_values;
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
	bool		released;		/* claimed, never sent: back to the queue as it
								 * was (last error kept, no log row, no total) */
} ZtOutcome;

/*
 * The CHECK constraints of a table prepared once, as the executor's
 * ExecRelCheck prepares them for every statement, for the single-row
 * writes of outbox.c and attach.c.
 */
typedef struct ZtPreparedChecks
{
	int			ncheck;			/* in relcache order */
	char	  **name;
	struct ExprState **expr;
} ZtPreparedChecks;

extern void zt_prepare_checks(Relation rel, ZtPreparedChecks *checks);
extern struct ExprState **zt_prepared_checks(Relation rel, const ZtPreparedChecks *checks);

extern void zt_record_stage_change(const ZtStageChange *change);
extern int	zt_claim_batch(int limit, int lease_ms, ZtClaimedRow **rows);
extern void zt_record_outcomes(ZtOutcome *outcomes, int n);
extern int	zt_reclaim_abandoned(void);
extern int	zt_reclaim_expired_leases(const int64 *held, int n_held);
extern bool zt_next_due(TimestampTz *when, TimestampTz *lease_end);

#endif							/* ZT_OUTBOX_H */
