/*
 * zalo_tthc.c
 *		Module entry point: settings, shared memory, caches and callbacks.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "log_context.h"
#include "settings.h"
#include "shmem.h"
#include "stage_cache.h"
#include "wakeup.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Load-time set-up for every process that loads the library. */
void
_PG_init(void)
{
	zt_define_settings();
	zt_stage_cache_register();
	zt_wakeup_register();

	if (process_shared_preload_libraries_in_progress)
	{
		zt_shmem_install_hooks();
		zt_log_context_install_hook();
		zt_register_worker();
	}
}
