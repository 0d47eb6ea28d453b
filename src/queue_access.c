/*
 * queue_access.c
 *		The extension's own tables found by name (relations, columns, enum
 *		labels, with errors that say what to do); the index probes the
 *		single-row reads of the claim and the outcomes are made of: one index
 *		scan per table, begun once and rescanned with each key, so that a
 *		probe costs a descent of the index and a heap fetch, not a scan's
 *		setup; and the update of a row they locked.
 */
#include "postgres.h"

#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_enum.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "pg_compat.h"
#include "queue_access.h"

/* OID of a relation of schema zalo_tthc, or an error naming it. */
Oid
zt_extension_relation(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("relation \"zalo_tthc.%s\" does not exist", name),
				 errhint("Reinstall the extension: ALTER EXTENSION zalo_tthc UPDATE, or drop and create it.")));
	return relid;
}

/* Column number of a column of zalo_tthc.<table>, or an error naming it. */
AttrNumber
zt_column_number(Oid relid, const char *table, const char *column)
{
	AttrNumber	attnum = get_attnum(relid, column);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"zalo_tthc.%s\" has no column \"%s\"", table, column)));
	return attnum;
}

/* OID of a label of an enum type, or an error naming it. */
Oid
zt_enum_label(Oid typid, const char *label)
{
	Oid			oid = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
									  ObjectIdGetDatum(typid), CStringGetDatum(label));

	if (!OidIsValid(oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("enum type %s has no value \"%s\"", format_type_be(typid), label)));
	return oid;
}

/* The label of an enum value, palloc'd. */
const char *
zt_enum_label_name(Oid value)
{
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(value));
	char	   *name;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for enum value %u", value);
	name = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
	ReleaseSysCache(tup);
	return name;
}

/*
 * Open zalo_tthc.<table> and its index <index> for probes on the index's
 * first column, with the snapshot (which must outlive the scan).
 */
void
zt_open_probed(ZtProbedTable *t, EState *estate, Snapshot snapshot, Oid nsp,
			   const char *table, const char *index)
{
	t->rel = table_open(zt_extension_relation(nsp, table), AccessShareLock);
	t->index = index_open(zt_extension_relation(nsp, index), AccessShareLock);
	t->scan = index_beginscan(t->rel, t->index, snapshot, 1, 0);
	t->slot = table_slot_create(t->rel, &estate->es_tupleTable);
}

/* End the scan and close what zt_open_probed opened (the locks stay). */
void
zt_close_probed(ZtProbedTable *t)
{
	index_endscan(t->scan);
	index_close(t->index, NoLock);
	table_close(t->rel, NoLock);
}

/* Position a probe on the rows whose first key column equals key. */
void
zt_probe(ZtProbedTable *t, Datum key, RegProcedure eq)
{
	ScanKeyData sk;

	ScanKeyInit(&sk, 1, BTEqualStrategyNumber, eq, key);
	index_rescan(t->scan, &sk, 1, NULL, 0);
}

/* The next row a probe sees (in its slot), or false. */
bool
zt_probe_next(ZtProbedTable *t)
{
	return index_getnext_slot(t->scan, ForwardScanDirection, t->slot);
}

/* The row of a key (in t->slot), or false. */
bool
zt_probe_one(ZtProbedTable *t, Datum key, RegProcedure eq)
{
	zt_probe(t, key, eq);
	return zt_probe_next(t);
}

/*
 * Update a row this transaction has locked (tid) to the values in slot,
 * as ExecSimpleRelationUpdate does: BEFORE and AFTER row triggers,
 * constraints, index entries; and with the transition tables of the
 * statement's triggers when tcs is set.  False when a BEFORE trigger
 * skipped the row.
 */
bool
zt_update_locked_row(ResultRelInfo *rri, EState *estate, EPQState *epq, ItemPointer tid,
					 TupleTableSlot *slot, TransitionCaptureState *tcs)
{
	Relation	rel = rri->ri_RelationDesc;
	List	   *recheck;

	CheckCmdReplicaIdentity(rel, CMD_UPDATE);
	if (rri->ri_TrigDesc && rri->ri_TrigDesc->trig_update_before_row &&
		!ExecBRUpdateTriggers(estate, epq, rri, tid, NULL, slot, NULL))
		return false;
	if (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
		ExecComputeStoredGenerated(rri, estate, slot, CMD_UPDATE);
	if (rel->rd_att->constr)
		ExecConstraints(rri, slot, estate);
	recheck = zt_update_row_and_indexes(rri, estate, tid, slot);
	ExecARUpdateTriggers(estate, rri, NULL, NULL, tid, NULL, slot, recheck, tcs, false);
	list_free(recheck);
	return true;
}

/*
 * The defaults of the columns of rel a caller does not set (set: their
 * numbers, nset of them), planned once and ready to evaluate for each row
 * without a parent plan; returns how many, with their column numbers in
 * *atts and their states in *exprs (palloc'd in the current context).
 */
int
zt_prepare_defaults(Relation rel, const AttrNumber *set, int nset, AttrNumber **atts, ExprState ***exprs)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			n = 0;

	*atts = palloc(sizeof(AttrNumber) * Max(desc->natts, 1));
	*exprs = palloc(sizeof(ExprState *) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		set_here = false;
		Node	   *expr;

		if (att->attisdropped || att->attgenerated)
			continue;
		for (int c = 0; c < nset; c++)
			set_here |= (set[c] == att->attnum);
		if (set_here || (expr = build_column_default(rel, att->attnum)) == NULL)
			continue;
		(*atts)[n] = att->attnum;
		(*exprs)[n] = ExecInitExpr(expression_planner((Expr *) expr), NULL);
		n++;
	}
	return n;
}

/*
 * The result relation of single-row updates of rel in estate: rel is the
 * range table's only entry (with the updated columns, for UPDATE OF
 * triggers), its indexes are open, and ExecCloseResultRelations closes it.
 */
ResultRelInfo *
zt_updating_result_relation(EState *estate, Relation rel, Bitmapset *updated_cols)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *rri = makeNode(ResultRelInfo);

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = RELKIND_RELATION;
	rte->rellockmode = RowExclusiveLock;
	zt_exec_init_range_table_updating(estate, rte, updated_cols);
	estate->es_output_cid = GetCurrentCommandId(true);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, rri);
	return rri;
}
