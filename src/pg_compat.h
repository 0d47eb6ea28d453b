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

/*
 * The range table of a single-row update of one relation, whose updated
 * columns (for UPDATE OF triggers) 16 keeps in a permission info.
 */
#if PG_VERSION_NUM >= 160000
static inline void
zt_exec_init_range_table_updating(EState *estate, RangeTblEntry *rte, Bitmapset *updated_cols)
{
	RTEPermissionInfo *perminfo = makeNode(RTEPermissionInfo);

	perminfo->relid = rte->relid;
	perminfo->requiredPerms = ACL_UPDATE;
	perminfo->updatedCols = updated_cols;
	rte->perminfoindex = 1;
	ExecInitRangeTable(estate, list_make1(rte), list_make1(perminfo));
}
#else
static inline void
zt_exec_init_range_table_updating(EState *estate, RangeTblEntry *rte, Bitmapset *updated_cols)
{
	rte->updatedCols = updated_cols;
	ExecInitRangeTable(estate, list_make1(rte));
}
#endif

/* 17 passes the result relations to EvalPlanQualInit */
#if PG_VERSION_NUM >= 170000
#define zt_eval_plan_qual_init(epq, estate) EvalPlanQualInit((epq), (estate), NULL, NIL, -1, NIL)
#else
#define zt_eval_plan_qual_init(epq, estate) EvalPlanQualInit((epq), (estate), NULL, NIL, -1)
#endif

/* 17 gives a wait event set a resource owner instead of a memory context */
#if PG_VERSION_NUM >= 170000
#define zt_create_wait_event_set(nevents) CreateWaitEventSet(NULL, (nevents))
#else
#define zt_create_wait_event_set(nevents) CreateWaitEventSet(TopMemoryContext, (nevents))
#endif

#endif							/* ZT_PG_COMPAT_H */
