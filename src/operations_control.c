/*
 * operations_control.c
 *		The operator's pause, as the delivery worker sees it, and the
 *		webhook's word that the ZBS templates changed.
 *		zalo_tthc.pause() and resume() write zalo_tthc.worker_control; its
 *		statement trigger (wakeup.c) bumps a generation in shared memory when
 *		that transaction commits, and the worker reads the table again only
 *		when the generation moved.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"

#include "operations_control.h"
#include "shmem.h"
#include "worker_txn.h"

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
	if (SPI_execute("SELECT paused FROM zalo_tthc.worker_control", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.worker_control");
	if (SPI_processed == 1)
	{
		bool		isnull;

		paused = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	zt_worker_end();
	if (paused)
		ereport(LOG,
				(errmsg("zalo_tthc worker: sending paused by an operator")));
	else if (loaded)
		ereport(LOG,
				(errmsg("zalo_tthc worker: sending resumed by an operator")));
	loaded = true;
	seen_generation = generation;
	return paused;
}

PG_FUNCTION_INFO_V1(zt_templates_changed);

/*
 * zalo_tthc.templates_changed(): have the delivery worker read the ZBS
 * templates from Zalo again, now (a change_template_status webhook).  A
 * server without the preloaded library has no worker to tell.
 */
Datum
zt_templates_changed(PG_FUNCTION_ARGS)
{
	if (zt_shared != NULL)
	{
		pg_atomic_fetch_add_u32(&zt_shared->templates_generation, 1);
		zt_wake_worker();
	}
	PG_RETURN_VOID();
}
