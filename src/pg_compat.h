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

#include "access/tableam.h"
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

/*
 * The heap update of a locked row and its index entries, as
 * ExecSimpleRelationUpdate makes them; 16 tells which indexes need one.
 * Returns the indexes whose entries must be checked again.
 */
#if PG_VERSION_NUM >= 160000
static inline List *
zt_update_row_and_indexes(ResultRelInfo *rri, EState *estate, ItemPointer tid, TupleTableSlot *slot)
{
	TU_UpdateIndexes update_indexes;

	simple_table_tuple_update(rri->ri_RelationDesc, tid, slot, estate->es_snapshot, &update_indexes);
	if (rri->ri_NumIndices > 0 && update_indexes != TU_None)
		return ExecInsertIndexTuples(rri, slot, estate, true, false, NULL, NIL,
									 update_indexes == TU_Summarizing);
	return NIL;
}
#define zt_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL, false)
#else
static inline List *
zt_update_row_and_indexes(ResultRelInfo *rri, EState *estate, ItemPointer tid, TupleTableSlot *slot)
{
	bool		update_indexes;

	simple_table_tuple_update(rri->ri_RelationDesc, tid, slot, estate->es_snapshot, &update_indexes);
	if (rri->ri_NumIndices > 0 && update_indexes)
		return ExecInsertIndexTuples(rri, slot, estate, true, false, NULL, NIL);
	return NIL;
}
#define zt_insert_index_tuples(rri, slot, estate) \
	ExecInsertIndexTuples((rri), (slot), (estate), false, false, NULL, NIL)
#endif

#endif							/* ZT_PG_COMPAT_H */
