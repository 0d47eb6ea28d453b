/*
 * operations_monitor.c
 *		What operators see of the delivery worker: worker_status() and the
 *		request latency histogram from shared memory, and the outcome totals
 *		(zalo_tthc.delivery_total) the worker adds in its outcome
 *		transactions.  metrics() (SQL) puts them together with the queue.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "operations_monitor.h"
#include "outbox.h"
#include "shmem.h"

static const int latency_bounds_ms[ZT_LATENCY_BUCKETS - 1] = ZT_LATENCY_BOUNDS_MS;

/* Count the latency of a batch of outcomes in the shared histogram. */
void
zt_monitor_note_outcomes(const ZtOutcome *outcomes, int n)
{
	uint64		buckets[ZT_LATENCY_BUCKETS] = {0};
	double		sum_s = 0;

	for (int i = 0; i < n; i++)
	{
		double		ms = outcomes[i].latency_ms;
		int			b = 0;

		if (ms < 0)
			continue;			/* decided without a request */
		while (b < ZT_LATENCY_BUCKETS - 1 && ms > latency_bounds_ms[b])
			b++;
		buckets[b]++;
		sum_s += ms / 1000.0;
	}
	SpinLockAcquire(&zt_shared->mutex);
	for (int b = 0; b < ZT_LATENCY_BUCKETS; b++)
		zt_shared->latency_buckets[b] += buckets[b];
	zt_shared->latency_sum_s += sum_s;
	SpinLockRelease(&zt_shared->mutex);
}

/* Name of a worker state in worker_status(). */
static const char *
worker_state_name(ZtWorkerState state)
{
	switch (state)
	{
		case ZT_WS_NOT_RUNNING:
			return "not_running";
		case ZT_WS_STARTING:
			return "starting";
		case ZT_WS_WAITING_FOR_EXTENSION:
			return "waiting_for_extension";
		case ZT_WS_NO_CREDENTIALS:
			return "no_credentials";
		case ZT_WS_IDLE:
			return "idle";
		case ZT_WS_SENDING:
			return "sending";
		case ZT_WS_PAUSED:
			return "paused";
		case ZT_WS_REAUTHORIZATION_REQUIRED:
			return "reauthorization_required";
	}
	return "unknown";
}

/* A timestamp column: NULL when never set. */
static Datum
timestamp_or_null(TimestampTz t, bool *isnull)
{
	*isnull = (t == 0);
	return TimestampTzGetDatum(t);
}

/* A text column: NULL when empty. */
static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

PG_FUNCTION_INFO_V1(zt_worker_status);

/*
 * zalo_tthc.worker_status(): one row, read from shared memory under the
 * spinlock into a local copy.  A standby reports 'standby': its worker
 * starts only at promotion.
 */
Datum
zt_worker_status(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	ZtSharedState s;
	Datum		values[22];
	bool		nulls[22] = {0};
	const char *state;
	TimestampTz now = GetCurrentTimestamp();
	char	   *dbname = NULL;
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (zt_shared == NULL)
	{
		memset(&s, 0, sizeof(s));
		s.state = ZT_WS_NOT_RUNNING;
	}
	else
	{
		SpinLockAcquire(&zt_shared->mutex);
		memcpy(&s, zt_shared, sizeof(s));
		SpinLockRelease(&zt_shared->mutex);
	}
	if (s.worker_pid == 0)
		s.state = ZT_WS_NOT_RUNNING;
	state = worker_state_name(s.state);
	if (s.worker_pid == 0 && RecoveryInProgress())
		state = "standby";
	if (s.worker_pid != 0 && OidIsValid(s.database_oid))
		dbname = get_database_name(s.database_oid);

	values[i] = Int32GetDatum(s.worker_pid);
	nulls[i++] = s.worker_pid == 0;
	values[i] = dbname ? DirectFunctionCall1(namein, CStringGetDatum(dbname)) : (Datum) 0;
	nulls[i++] = dbname == NULL;
	values[i++] = CStringGetTextDatum(state);
	values[i] = timestamp_or_null(s.worker_pid ? s.started_at : 0, &nulls[i]);
	i++;
	values[i++] = Int32GetDatum(s.in_flight);
	values[i++] = Int64GetDatum((int64) s.sent);
	values[i++] = Int64GetDatum((int64) s.failed);
	values[i++] = Int64GetDatum((int64) s.dead);
	values[i++] = Int64GetDatum((int64) s.undeliverable);
	values[i++] = Int64GetDatum((int64) s.fallbacks);
	values[i++] = Int64GetDatum((int64) s.unknown_outcomes);
	values[i++] = Int64GetDatum((int64) s.token_refreshes);
	values[i++] = Int64GetDatum(zt_shared ? (int64) pg_atomic_read_u64(&zt_shared->commit_wakeups) : 0);
	values[i] = timestamp_or_null(s.last_success_at, &nulls[i]);
	i++;
	values[i] = timestamp_or_null(s.last_error_at, &nulls[i]);
	i++;
	values[i] = text_or_null(s.last_error, &nulls[i]);
	i++;
	values[i] = timestamp_or_null(s.token_expires_at, &nulls[i]);
	i++;
	/* DT_NOEND: until an operator or new credentials end it */
	values[i] = timestamp_or_null(s.paused_until, &nulls[i]);
	i++;
	values[i] = text_or_null(s.pause_reason, &nulls[i]);
	i++;
	if (s.paused_until != 0 && s.paused_until != DT_NOEND && s.paused_until > now)
		values[i] = IntervalPGetDatum(DatumGetIntervalP(DirectFunctionCall2(timestamp_mi,
																			TimestampTzGetDatum(s.paused_until),
																			TimestampTzGetDatum(now))));
	else
		nulls[i] = true;
	i++;
	values[i++] = Float8GetDatum(s.rate_limit);
	values[i++] = Int64GetDatum(zt_shared ? (int64) pg_atomic_read_u64(&zt_shared->loop_turns) : 0);
	Assert(i == lengthof(values));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

PG_FUNCTION_INFO_V1(zt_channel_status);

/*
 * zalo_tthc.channel_status(): one row per way a ZBS template goes out,
 * user_id and phone: the account hold and the latest quota Zalo reported.
 */
Datum
zt_channel_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ZtChannelShared channels[ZT_CHANNELS];
	static const char *const names[ZT_CHANNELS] = {"user_id", "phone"};

	InitMaterializedSRF(fcinfo, 0);
	memset(channels, 0, sizeof(channels));
	for (int c = 0; c < ZT_CHANNELS; c++)
		channels[c].quota_remaining = channels[c].quota_daily = -1;
	if (zt_shared != NULL)
	{
		SpinLockAcquire(&zt_shared->mutex);
		memcpy(channels, zt_shared->channels, sizeof(channels));
		SpinLockRelease(&zt_shared->mutex);
	}
	for (int c = 0; c < ZT_CHANNELS; c++)
	{
		Datum		values[7];
		bool		nulls[7] = {0};

		values[0] = CStringGetTextDatum(names[c]);
		values[1] = timestamp_or_null(channels[c].held_until, &nulls[1]);
		values[2] = text_or_null(channels[c].held_until ? channels[c].hold_reason : "", &nulls[2]);
		values[3] = text_or_null(channels[c].quota_type, &nulls[3]);
		values[4] = Int64GetDatum(channels[c].quota_remaining);
		nulls[4] = channels[c].quota_remaining < 0;
		values[5] = Int64GetDatum(channels[c].quota_daily);
		nulls[5] = channels[c].quota_daily < 0;
		values[6] = timestamp_or_null(channels[c].quota_at, &nulls[6]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(zt_latency_histogram);

/*
 * zalo_tthc.latency_histogram(): the cumulative buckets of the request
 * latency since the server started, in seconds, the last one +Inf.
 */
Datum
zt_latency_histogram(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		buckets[ZT_LATENCY_BUCKETS] = {0};
	double		sum_s = 0;
	uint64		cumulative = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (zt_shared != NULL)
	{
		SpinLockAcquire(&zt_shared->mutex);
		memcpy(buckets, zt_shared->latency_buckets, sizeof(buckets));
		sum_s = zt_shared->latency_sum_s;
		SpinLockRelease(&zt_shared->mutex);
	}
	for (int b = 0; b < ZT_LATENCY_BUCKETS; b++)
	{
		Datum		values[3];
		bool		nulls[3] = {0};

		cumulative += buckets[b];
		values[0] = Float8GetDatum(b < ZT_LATENCY_BUCKETS - 1 ? latency_bounds_ms[b] / 1000.0
								   : get_float8_infinity());
		values[1] = Int64GetDatum((int64) cumulative);
		values[2] = Float8GetDatum(sum_s);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
