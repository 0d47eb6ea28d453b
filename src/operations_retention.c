/*
 * operations_retention.c
 *		Retention of the delivery log and of sent notifications, enforced by
 *		the delivery worker in small batches between its sends: at most
 *		zalo_tthc.retention_batch_size rows of each table per transaction,
 *		the next batch at once while old rows remain, then a pause of
 *		zalo_tthc.retention_interval.  Only delivery_attempt rows and sent,
 *		delivered or seen notifications are deleted; open notifications
 *		(pending, sending, failed) never are, and neither are dead or
 *		undeliverable ones (zalo_tthc.purge() does that on demand).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "operations_retention.h"
#include "settings.h"
#include "worker_txn.h"

static TimestampTz next_run = 0;

/*
 * Each DELETE walks an index in age order and stops after the batch:
 * delivery_attempt_started_idx, and the partial outbox_sent_idx.
 */
static const char *const retention_sql =
"WITH attempts AS ("
"  DELETE FROM zalo_tthc.delivery_attempt WHERE id IN ("
"    SELECT id FROM zalo_tthc.delivery_attempt"
"    WHERE $1 > 0 AND started_at < now() - $1 * interval '1 minute'"
"    ORDER BY started_at LIMIT $3)"
"  RETURNING 1), "
"notifications AS ("
"  DELETE FROM zalo_tthc.outbox WHERE id IN ("
"    SELECT id FROM zalo_tthc.outbox"
"    WHERE status IN ('sent', 'delivered', 'seen')"
"      AND $2 > 0 AND sent_at < now() - $2 * interval '1 minute'"
"    ORDER BY sent_at LIMIT $3)"
"  RETURNING 1) "
"SELECT (SELECT count(*) FROM attempts), (SELECT count(*) FROM notifications)";

/* When the worker should run the next retention batch (DT_NOEND: never). */
TimestampTz
zt_retention_next_at(void)
{
	if (zt_attempt_retention_min == 0 && zt_sent_retention_min == 0)
		return DT_NOEND;
	return next_run;
}

/* Run one retention batch if one is due. */
void
zt_retention_run_if_due(void)
{
	static SPIPlanPtr plan = NULL;
	TimestampTz now = GetCurrentTimestamp();
	Datum		args[3] = {
		Int32GetDatum(zt_attempt_retention_min), Int32GetDatum(zt_sent_retention_min),
		Int32GetDatum(zt_retention_batch_size)
	};
	int64		attempts;
	int64		notifications;
	bool		isnull;

	if (zt_retention_next_at() > now)
		return;

	zt_worker_begin("zalo_tthc: retention");
	if (plan == NULL)
	{
		Oid			types[3] = {INT4OID, INT4OID, INT4OID};

		plan = SPI_prepare(retention_sql, 3, types);
		if (plan == NULL)
			elog(ERROR, "could not prepare the retention statement: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not delete old delivery attempts and notifications");
	attempts = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	notifications = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	zt_worker_end();

	if (attempts > 0 || notifications > 0)
		elog(DEBUG1, "zalo_tthc worker: retention deleted %lld delivery attempts and %lld sent notifications",
			 (long long) attempts, (long long) notifications);
	/* a full batch: more may be waiting */
	if (attempts >= zt_retention_batch_size || notifications >= zt_retention_batch_size)
		next_run = now;
	else
		next_run = TimestampTzPlusMilliseconds(now, zt_retention_interval_ms);
}
