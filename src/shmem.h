/*
 * shmem.h
 *		The shared state of the extension and the delivery worker (shmem.c).
 */
#ifndef ZT_SHMEM_H
#define ZT_SHMEM_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/spin.h"

/* ZT_SCHEMA_VERSION, the schema this library works with, comes from the Makefile */

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

/* The two ways a ZBS template goes out, for their holds and quotas. */
#define ZT_CHANNEL_UID 0		/* by Zalo user id (to a follower) */
#define ZT_CHANNEL_PHONE 1		/* by phone */
#define ZT_CHANNELS 2

typedef struct ZtChannelShared
{
	TimestampTz held_until;		/* an account problem holds its notices; 0 = not held */
	char		hold_reason[ZT_TEXT_LEN];
	char		quota_type[32];	/* as the latest answer said */
	int64		quota_remaining;	/* -1 = not known */
	int64		quota_daily;	/* -1 = not known */
	TimestampTz quota_at;
} ZtChannelShared;

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
	/* operations_monitor.c: request latency since the server started */
	uint64		latency_buckets[ZT_LATENCY_BUCKETS];	/* not cumulative */
	double		latency_sum_s;
	/* operations_control.c: bumped when an operator's pause() or resume() commits */
	pg_atomic_uint32 control_generation;
	/* webhook.c: bumped when Zalo says a template's status changed */
	pg_atomic_uint32 templates_generation;
	ZtChannelShared channels[ZT_CHANNELS];
} ZtSharedState;

extern ZtSharedState *zt_shared;
extern void zt_shmem_install_hooks(void);
extern void zt_wake_worker(void);

#endif							/* ZT_SHMEM_H */
