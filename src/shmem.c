/*
 * shmem.c
 *		The extension's shared memory: where the delivery worker can be
 *		found, so that a committing transaction can wake it.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include "shmem.h"

ZtSharedState *zt_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Ask the postmaster for our shared memory. */
static void
zt_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(ZtSharedState)));
}

/* Create or attach the shared state. */
static void
zt_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	zt_shared = ShmemInitStruct("zalo_tthc", sizeof(ZtSharedState), &found);
	if (!found)
	{
		memset(zt_shared, 0, sizeof(ZtSharedState));
		pg_atomic_init_u32(&zt_shared->worker_procno, ZT_NO_WORKER);
		pg_atomic_init_u32(&zt_shared->credentials_generation, 0);
		pg_atomic_init_u64(&zt_shared->commit_wakeups, 0);
		pg_atomic_init_u64(&zt_shared->loop_turns, 0);
		pg_atomic_init_u32(&zt_shared->control_generation, 0);
		pg_atomic_init_u32(&zt_shared->templates_generation, 0);
		for (int c = 0; c < ZT_CHANNELS; c++)
		{
			zt_shared->channels[c].quota_remaining = -1;
			zt_shared->channels[c].quota_daily = -1;
		}
		SpinLockInit(&zt_shared->mutex);
		zt_shared->state = ZT_WS_NOT_RUNNING;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Install the hooks; only meaningful from shared_preload_libraries. */
void
zt_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = zt_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = zt_shmem_startup;
}

/*
 * Set the delivery worker's latch, if a worker is running.  Called after
 * commit, so it must not fail.
 */
void
zt_wake_worker(void)
{
	uint32		procno;

	if (zt_shared == NULL)
		return;
	procno = pg_atomic_read_u32(&zt_shared->worker_procno);
	if (procno == ZT_NO_WORKER || procno >= ProcGlobal->allProcCount)
		return;
	/* a queue in another database is not the worker's (aligned read) */
	if (zt_shared->database_oid != MyDatabaseId)
		return;
	pg_atomic_fetch_add_u64(&zt_shared->commit_wakeups, 1);
	SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}
