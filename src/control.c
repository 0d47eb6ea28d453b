/*
 * control.c
 *		The operator's pause of the delivery worker.  zalo_tthc.pause() and
 *		resume() write zalo_tthc.worker_control; a statement trigger bumps a
 *		generation in shared memory when that transaction commits, and the
 *		worker reads the table again only when the generation moved.
 */
#include "zalo_tthc.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"

#include "queue.h"

static bool control_changed = false;
static bool callback_registered = false;

/* Transaction callback: publish a committed change, forget an aborted one. */
static void
control_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (control_changed && zt_shared != NULL)
			{
				pg_atomic_fetch_add_u32(&zt_shared->control_generation, 1);
				zt_wake_worker();
			}
			control_changed = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			control_changed = false;
			break;
		default:
			break;
	}
}

PG_FUNCTION_INFO_V1(zt_worker_control_changed);

/* Statement trigger on worker_control: tell the worker at commit. */
Datum
zt_worker_control_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("zalo_tthc.worker_control_changed() must be called as a trigger")));
	if (!callback_registered)
	{
		RegisterXactCallback(control_xact_callback, NULL);
		callback_registered = true;
	}
	control_changed = true;
	return PointerGetDatum(NULL);
}

/*
 * In the delivery worker: true while an operator has paused sending.  Reads
 * worker_control (in a short transaction of its own) at the first call and
 * after each committed change; otherwise one atomic read.
 */
bool
zt_paused_by_operator(void)
{
	static bool loaded = false;
	static uint32 seen_generation = 0;
	static bool paused = false;
	uint32		generation = pg_atomic_read_u32(&zt_shared->control_generation);

	if (loaded && generation == seen_generation)
		return paused;

	zt_worker_begin("zalo_tthc: reading worker_control");
	paused = false;
	if (zt_operations_installed())
	{
		if (SPI_execute("SELECT paused FROM zalo_tthc.worker_control", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read zalo_tthc.worker_control");
		if (SPI_processed == 1)
		{
			bool		isnull;

			paused = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		}
	}
	zt_worker_end();
	if (loaded || paused)
		elog(LOG, "zalo_tthc worker: %s by an operator", paused ? "sending paused" : "sending resumed");
	loaded = true;
	seen_generation = generation;
	return paused;
}
