/*
 * wakeup.c
 *		Waking the delivery worker when a transaction that queued work
 *		commits: set the worker's latch from a transaction callback, never
 *		before commit and never with NOTIFY (which serialises commits on a
 *		cluster-wide lock).
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"

#include "own_tables.h"
#include "shmem.h"
#include "wakeup.h"
#include "worker.h"

static bool wake_at_commit = false;
static bool credentials_changed = false;
static bool control_changed = false;	/* worker_control: pause(), resume() */

/* Remember to wake the worker if this transaction commits. */
void
zt_wake_worker_at_commit(void)
{
	wake_at_commit = true;
}

/* Transaction callback: wake at commit, forget at abort. */
static void
wakeup_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (credentials_changed && zt_shared != NULL)
				pg_atomic_fetch_add_u32(&zt_shared->credentials_generation, 1);
			if (control_changed && zt_shared != NULL)
				pg_atomic_fetch_add_u32(&zt_shared->control_generation, 1);
			if (wake_at_commit)
				zt_wake_worker();
			wake_at_commit = false;
			credentials_changed = false;
			control_changed = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_at_commit = false;
			credentials_changed = false;
			control_changed = false;
			break;
		default:
			break;
	}
}

/* Register the commit callback (once per process). */
void
zt_wakeup_register(void)
{
	RegisterXactCallback(wakeup_xact_callback, NULL);
}

PG_FUNCTION_INFO_V1(zt_wake_worker_at_commit_trigger);

/*
 * Statement trigger on outbox (INSERT), oa_credentials (INSERT OR UPDATE),
 * worker_control and operator_log.  The worker's own writes do not wake
 * itself.  The table is recognised by OID: a table of another schema with
 * the same name (a TEMP oa_credentials) would otherwise tell the worker
 * that the credentials changed and end its pause after a rate limit.
 */
Datum
zt_wake_worker_at_commit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	ZtOwnTable	table;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("zalo_tthc.wake_worker_at_commit() must be called as a trigger")));
	table = zt_require_own_table(trigdata->tg_relation, "zalo_tthc.wake_worker_at_commit()",
								 ZT_TABLE_BIT(ZT_OUTBOX) | ZT_TABLE_BIT(ZT_OA_CREDENTIALS) |
								 ZT_TABLE_BIT(ZT_OPERATOR_LOG) | ZT_TABLE_BIT(ZT_WORKER_CONTROL));
	if (table == ZT_OA_CREDENTIALS)
		credentials_changed = true;
	else if (table == ZT_WORKER_CONTROL)
		control_changed = true;
	if (!zt_am_delivery_worker)
		wake_at_commit = true;
	return PointerGetDatum(NULL);
}
