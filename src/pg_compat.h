/*
 * pg_compat.h
 *		The server calls whose signature differs between the PostgreSQL
 *		major versions this extension builds against (15 and later), each
 *		behind one macro.  Built and tested on 15; the other branches follow
 *		the later versions' headers.
 */
#ifndef ZT_PG_COMPAT_H
#define ZT_PG_COMPAT_H

#include "postgres.h"

#include "executor/executor.h"
#include "storage/latch.h"

#if PG_VERSION_NUM < 150000
#error "zalo_tthc needs PostgreSQL 15 or later"
#endif

/* 16 added the permission infos of the range table (none here: a trigger's inserts) */
#if PG_VERSION_NUM >= 160000
#define zt_exec_init_range_table(estate, rtable) ExecInitRangeTable((estate), (rtable), NIL)
#else
#define zt_exec_init_range_table(estate, rtable) ExecInitRangeTable((estate), (rtable))
#endif

/* 17 gives a wait event set a resource owner instead of a memory context */
#if PG_VERSION_NUM >= 170000
#define zt_create_wait_event_set(nevents) CreateWaitEventSet(NULL, (nevents))
#else
#define zt_create_wait_event_set(nevents) CreateWaitEventSet(TopMemoryContext, (nevents))
#endif

#endif							/* ZT_PG_COMPAT_H */
