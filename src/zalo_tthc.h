/*
 * zalo_tthc.h
 *		Declarations shared by the parts of the zalo_tthc extension.
 */
#ifndef ZALO_TTHC_H
#define ZALO_TTHC_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/spin.h"
#include "utils/relcache.h"

/* settings.c */
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
extern void zt_define_settings(void);

/* shmem.c */
/* the schema (extension version) this library works with */
#define ZT_SCHEMA_VERSION "1.0.0"

#define ZT_NO_WORKER PG_UINT32_MAX
#define ZT_TEXT_LEN 256
/* upper bounds (ms) of the request latency histogram; one more for +Inf */
#define ZT_LATENCY_BOUNDS_MS {25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}
#define ZT_LATENCY_BUCKETS 11

/* What the delivery worker is doing, for worker_status(). */
typedef enum ZtWorkerState
{
	ZT_WS_NOT_RUNNING = 0,
	ZT_WS_STARTING,
	ZT_WS_WAITING_FOR_EXTENSION,
	ZT_WS_NO_CREDENTIALS,
	ZT_WS_IDLE,
	ZT_WS_SENDING,
	ZT_WS_PAUSED,
	ZT_WS_REAUTHORIZATION_REQUIRED
} ZtWorkerState;

/*
 * Shared state.  Plain values only: every process maps this at its own
 * address.  The atomics are read without the lock; the rest under it.
 */
typedef struct ZtSharedState
{
	pg_atomic_uint32 worker_procno; /* pgprocno of the delivery worker */
	pg_atomic_uint32 credentials_generation;	/* bumped at each change */
	pg_atomic_uint64 commit_wakeups;	/* commits that woke the worker */
	pg_atomic_uint64 loop_turns;	/* turns of the worker's loop */
	slock_t		mutex;
	int			worker_pid;
	Oid			database_oid;
	ZtWorkerState state;
	TimestampTz started_at;
	int			in_flight;
	uint64		sent;
	uint64		failed;
	uint64		dead;
	uint64		undeliverable;
	uint64		fallbacks;
	uint64		unknown_outcomes;
	uint64		token_refreshes;
	TimestampTz last_success_at;
	TimestampTz last_error_at;
	char		last_error[ZT_TEXT_LEN];
	TimestampTz token_expires_at;
	TimestampTz paused_until;
	char		pause_reason[ZT_TEXT_LEN];
	double		rate_limit;
	/* monitor.c: request latency since the server started */
	uint64		latency_buckets[ZT_LATENCY_BUCKETS];	/* not cumulative */
	double		latency_sum_s;
	/* control.c: bumped when an operator's pause() or resume() commits */
	pg_atomic_uint32 control_generation;
} ZtSharedState;

extern ZtSharedState *zt_shared;
extern void zt_shmem_install_hooks(void);
extern void zt_wake_worker(void);

/* control.c: the operator's pause, as the delivery worker sees it */
extern bool zt_paused_by_operator(void);

/* binding.c: which database the OA credentials belong to */
extern char *zt_database_identity(void);

/* retention.c: the worker's retention batches */
extern void zt_retention_run_if_due(void);
extern TimestampTz zt_retention_next_at(void);

/* own_tables.c: the tables the extension's C triggers may fire on */
typedef enum ZtOwnTable
{
	ZT_DOSSIER,
	ZT_OUTBOX,
	ZT_OA_CREDENTIALS,
	ZT_OPERATOR_LOG,
	ZT_WORKER_CONTROL,
	ZT_STAGE_INFO,
	ZT_STAGE_TRANSITION,
	ZT_TEMPLATE,
	ZT_OWN_TABLE_COUNT
} ZtOwnTable;

#define ZT_TABLE_BIT(t) ((uint32) 1 << (t))

extern ZtOwnTable zt_require_own_table(Relation rel, const char *function, uint32 allowed);

/* wakeup.c */
extern bool zt_am_delivery_worker;
extern void zt_wakeup_register(void);
extern void zt_wake_worker_at_commit(void);

/* log_context.c: the delivery worker's messages without its statements */
extern void zt_log_context_install_hook(void);

/* worker.c */
extern void zt_register_worker(void);
extern PGDLLEXPORT void zt_worker_main(Datum arg);

/* stage_cache.c */
#define ZT_MAX_STAGES 64

typedef struct ZtStageRule
{
	Oid			stage;			/* enum value OID */
	int			index;			/* position in the cache */
	int16		status_code;	/* 0: entering keeps the current status */
	bool		notifies;
	bool		is_initial;
	bool		is_final;
	bool		requires_note;
	bool		requires_later_due;
	NameData	timestamp_column;	/* empty: none */
	bool		takes_receipt;	/* received: the receipt slip is taken */
	uint64		allowed_targets;	/* bit i: may move to stage index i */
} ZtStageRule;

extern void zt_stage_cache_register(void);
extern const ZtStageRule *zt_stage_rule(Oid stage);
extern bool zt_transition_allowed(const ZtStageRule *from, const ZtStageRule *to);
extern const char *zt_stage_name(Oid stage);
extern char *zt_describe_allowed_targets(const ZtStageRule *from);

/* sql_validate.c: ereport wrappers around validate.c */
extern bool zt_require_dossier_code(const char *column, const char *value,
									size_t len, char *out, size_t *outlen);
extern void zt_require_id_number(const char *column, const char *value,
								 size_t len, char *out, size_t *outlen);
extern void zt_require_phone(const char *column, const char *value,
							 size_t len, char *out, size_t *outlen);

#endif							/* ZALO_TTHC_H */
