/*
 * wakeup.c
 *		Waking the delivery worker when a transaction that queued work
 *		commits: set the worker's latch from a transaction callback, never
 *		before commit and never with NOTIFY (which serialises commits on a
 *		cluster-wide lock).
 */
#include "zalo_tthc.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/rel.h"

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
 * itself.
 */
Datum
zt_wake_worker_at_commit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("zalo_tthc.wake_worker_at_commit() must be called as a trigger")));
	if (strcmp(RelationGetRelationName(trigdata->tg_relation), "oa_credentials") == 0)
		credentials_changed = true;
	else if (strcmp(RelationGetRelationName(trigdata->tg_relation), "worker_control") == 0)
		control_changed = true;
	if (!zt_am_delivery_worker)
		wake_at_commit = true;
	return PointerGetDatum(NULL);
}
