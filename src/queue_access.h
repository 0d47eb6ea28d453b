/*
 * queue_access.h
 *		The extension's own tables by name, index probes of them, and the
 *		setup and update of a locked row, for the single-row reads and writes of the
 *		enqueue path, the claim and the outcomes (queue_access.c).
 */
#ifndef ZT_QUEUE_ACCESS_H
#define ZT_QUEUE_ACCESS_H

#include "postgres.h"

#include "access/genam.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

/* A table read by the probes of one index: one scan, rescanned per key. */
typedef struct ZtProbedTable
{
	Relation	rel;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;		/* the row a probe found */
} ZtProbedTable;

extern Oid	zt_extension_relation(Oid nsp, const char *name);
extern AttrNumber zt_column_number(Oid relid, const char *table, const char *column);
extern Oid	zt_enum_label(Oid typid, const char *label);
extern const char *zt_enum_label_name(Oid value);

extern void zt_open_probed(ZtProbedTable *t, EState *estate, Snapshot snapshot, Oid nsp,
						   const char *table, const char *index);
extern void zt_close_probed(ZtProbedTable *t);
extern void zt_probe(ZtProbedTable *t, Datum key, RegProcedure eq);
extern bool zt_probe_next(ZtProbedTable *t);
extern bool zt_probe_one(ZtProbedTable *t, Datum key, RegProcedure eq);
extern int	zt_prepare_defaults(Relation rel, const AttrNumber *set, int nset, AttrNumber **atts,
								struct ExprState ***exprs);
extern ResultRelInfo *zt_updating_result_relation(EState *estate, Relation rel, Bitmapset *updated_cols);
extern bool zt_update_locked_row(ResultRelInfo *rri, EState *estate, EPQState *epq, ItemPointer tid,
								 TupleTableSlot *slot, struct TransitionCaptureState *tcs);

#endif							/* ZT_QUEUE_ACCESS_H */
