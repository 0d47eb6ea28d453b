/*
 * outbox.c
 *		With claim.c and outcome.c (the delivery worker's claims and
 *		outcomes), the only code that writes zalo_tthc.dossier_event and
 *		outbox rows or changes a notification's status (see outbox.h for
 *		the statuses): a stage change's event and notification rows,
 *		written by the dossier trigger; and the delivery worker's reclaims
 *		of notifications whose sender is gone.
 *
 * Recording a stage change runs inside the AFTER trigger of every stage change, so it writes
 * the two rows directly through the executor's single-row insert (the one
 * logical replication uses: constraints, index entries, row triggers)
 * instead of planning and running SQL each time.  The linked follower is
 * found with an index probe; whether a stage is sent by phone is read
 * once and kept until the template table changes.
 *
 * What the executor would rebuild for every row is built once per backend
 * instead: the column defaults, the CHECK constraints and the index
 * descriptions (with partial-index predicates), all as ready expression
 * states.  They are checked against the relation cache each time the
 * tables are locked, so a new index is never missed.
 *
 * Columns this file does not set take their defaults (identity, times),
 * so a column a later version adds with a default needs no change here.
 * Everything looked up by name is cached per backend and forgotten when
 * the relcache says one of the tables changed.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "outbox.h"
#include "pg_compat.h"
#include "queue_access.h"
#include "stage_cache.h"
#include "wakeup.h"
#include "worker.h"
#include "worker_txn.h"

#define MAX_TARGET_COLUMNS 12

/* One table this file inserts into: which columns it sets, and the rest. */
typedef struct TargetTable
{
	const char *name;
	const char *const *columns; /* NULL-terminated, set by this file */
	Oid			relid;			/* InvalidOid: not resolved yet */
	AttrNumber	attnum[MAX_TARGET_COLUMNS];
	int			ndefaults;		/* other columns with a default */
	AttrNumber *default_attnum;
	ExprState **default_expr;	/* evaluated per row, no parent plan */
	ZtPreparedChecks checks;
	int			nindexes;		/* indexes, in RelationGetIndexList order */
	Oid		   *index_oid;
	IndexInfo **index_info;		/* predicate and expressions prepared */
} TargetTable;

/* dossier_event columns set here, in this order */
enum
{
	EV_DOSSIER_ID, EV_SEQ, EV_STAGE_BEFORE, EV_STAGE_AFTER, EV_STATUS_BEFORE,
	EV_STATUS_AFTER, EV_ACTOR, EV_NOTE, EV_DUE_BEFORE, EV_DUE_AFTER, EV_NOTIFY
};
static const char *const event_columns[] = {
	"dossier_id", "seq", "stage_before", "stage_after", "status_before",
	"status_after", "actor", "note", "due_before", "due_after", "notify", NULL
};

/* outbox columns set here, in this order */
enum
{
	OB_EVENT_ID, OB_DOSSIER_ID, OB_STAGE, OB_CHANNEL, OB_RECIPIENT_ID,
	OB_IDEMPOTENCY_KEY, OB_STATUS, OB_LAST_ERROR
};
static const char *const outbox_columns[] = {
	"event_id", "dossier_id", "stage", "channel", "recipient_id",
	"idempotency_key", "status", "last_error", NULL
};

/* Everything resolved by name, per backend. */
typedef struct EnqueueCatalog
{
	bool		valid;
	MemoryContext cxt;
	TargetTable event;
	TargetTable outbox;
	AttrNumber	event_id_att;	/* filled by its identity default */
	Oid			event_key_index;	/* unique (dossier_id, seq) */
	Oid			recipient_relid;
	Oid			recipient_phone_index;
	Oid			recipient_id_number_index;
	AttrNumber	recipient_id_att;
	AttrNumber	recipient_phone_att;
	AttrNumber	recipient_id_number_att;
	AttrNumber	recipient_followed_att;
	AttrNumber	recipient_followed_at_att;
	Oid			template_relid;
	Oid			template_index;
	AttrNumber	template_stage_att;
	AttrNumber	template_id_att;
	AttrNumber	template_by_phone_att;
	int			nstages_known;	/* stages whose template was read */
	Oid			stage_known[ZT_MAX_STAGES];
	bool		stage_by_phone[ZT_MAX_STAGES];
	Oid			notify_type;	/* zalo_tthc.notify_decision */
	Oid			channel_oa;
	Oid			channel_zns;
	Oid			status_pending;
	Oid			status_undeliverable;
} EnqueueCatalog;

static EnqueueCatalog catalog = {
	.event = {.name = "dossier_event",.columns = event_columns},
	.outbox = {.name = "outbox",.columns = outbox_columns},
};
static bool callback_registered = false;
static uint64 catalog_invalidations = 0;	/* counted while not valid */

/* True when relid is one of the prepared indexes of a target table. */
static bool
is_target_index(const TargetTable *t, Oid relid)
{
	for (int i = 0; i < t->nindexes; i++)
		if (t->index_oid[i] == relid)
			return true;
	return false;
}

/*
 * Relcache callback: forget what was resolved when one of the tables
 * changes.  While the catalog is not valid (being read) every invalidation
 * counts, since what was resolved so far is not yet known to the checks
 * below.
 */
static void
enqueue_catalog_invalidate(Datum arg, Oid relid)
{
	if (!catalog.valid)
	{
		catalog_invalidations++;
		return;
	}
	if (relid == InvalidOid || relid == catalog.event.relid ||
		relid == catalog.outbox.relid || relid == catalog.recipient_relid ||
		relid == catalog.template_relid ||
		is_target_index(&catalog.event, relid) || is_target_index(&catalog.outbox, relid))
		catalog.valid = false;
}

/*
 * Resolve one target table: the columns set here, and the default of every
 * other column that has one, planned once and kept.
 */
static void
resolve_target(TargetTable *t, Oid nsp)
{
	Relation	rel;
	int			nset;

	t->relid = zt_extension_relation(nsp, t->name);
	for (int c = 0; t->columns[c] != NULL; c++)
		t->attnum[c] = zt_column_number(t->relid, t->name, t->columns[c]);

	rel = table_open(t->relid, AccessShareLock);
	for (nset = 0; t->columns[nset] != NULL; nset++)
		;
	t->ndefaults = zt_prepare_defaults(rel, t->attnum, nset, &t->default_attnum, &t->default_expr);

	zt_prepare_checks(rel, &t->checks);

	/* indexes, as ExecOpenIndices and ExecInsertIndexTuples would prepare them */
	{
		List	   *indexes = RelationGetIndexList(rel);
		ListCell   *lc;

		t->nindexes = 0;
		t->index_oid = palloc(Max(list_length(indexes), 1) * sizeof(Oid));
		t->index_info = palloc(Max(list_length(indexes), 1) * sizeof(IndexInfo *));
		foreach(lc, indexes)
		{
			Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
			IndexInfo  *ii = BuildIndexInfo(index);

			if (ii->ii_Predicate != NIL)
				ii->ii_PredicateState =
					ExecInitQual((List *) expression_planner((Expr *) ii->ii_Predicate), NULL);
			if (ii->ii_Expressions != NIL)
			{
				List	   *states = NIL;
				ListCell   *e;

				foreach(e, ii->ii_Expressions)
					states = lappend(states, ExecInitExpr(expression_planner((Expr *) lfirst(e)), NULL));
				ii->ii_ExpressionsState = states;
			}
			t->index_oid[t->nindexes] = lfirst_oid(lc);
			t->index_info[t->nindexes] = ii;
			t->nindexes++;
			index_close(index, AccessShareLock);
		}
	}
	table_close(rel, AccessShareLock);
}

/* Resolve every name this file uses into catalog. */
static void
read_catalog(void)
{
	Oid			nsp;
	MemoryContext old;

	if (catalog.cxt == NULL)
		catalog.cxt = AllocSetContextCreate(CacheMemoryContext, "zalo_tthc enqueue",
											ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(catalog.cxt);

	nsp = get_namespace_oid("zalo_tthc", false);
	old = MemoryContextSwitchTo(catalog.cxt);

	resolve_target(&catalog.event, nsp);
	resolve_target(&catalog.outbox, nsp);
	catalog.event_id_att = zt_column_number(catalog.event.relid, "dossier_event", "id");
	catalog.event_key_index = zt_extension_relation(nsp, ZT_EVENT_KEY_INDEX);

	catalog.recipient_relid = zt_extension_relation(nsp, "recipient");
	catalog.recipient_phone_index = zt_extension_relation(nsp, ZT_RECIPIENT_PHONE_INDEX);
	catalog.recipient_id_number_index = zt_extension_relation(nsp, ZT_RECIPIENT_ID_NUMBER_INDEX);
	catalog.recipient_id_att = zt_column_number(catalog.recipient_relid, "recipient", "id");
	catalog.recipient_phone_att = zt_column_number(catalog.recipient_relid, "recipient", "phone");
	catalog.recipient_id_number_att = zt_column_number(catalog.recipient_relid, "recipient", "id_number");
	catalog.recipient_followed_att = zt_column_number(catalog.recipient_relid, "recipient", "followed");
	catalog.recipient_followed_at_att = zt_column_number(catalog.recipient_relid, "recipient", "followed_at");

	catalog.template_relid = zt_extension_relation(nsp, "template");
	catalog.template_index = zt_extension_relation(nsp, ZT_TEMPLATE_KEY_INDEX);
	catalog.template_stage_att = zt_column_number(catalog.template_relid, "template", "stage");
	/* a 0.2.0 schema (before ALTER EXTENSION UPDATE) names it zns_template_id and has no by_phone */
	catalog.template_by_phone_att = get_attnum(catalog.template_relid, "by_phone");
	catalog.template_id_att = zt_column_number(catalog.template_relid, "template",
											catalog.template_by_phone_att == InvalidAttrNumber ?
											"zns_template_id" : "zbs_template_id");

	catalog.notify_type = get_atttype(catalog.event.relid, catalog.event.attnum[EV_NOTIFY]);
	{
		Oid			channel_type = get_atttype(catalog.outbox.relid, catalog.outbox.attnum[OB_CHANNEL]);
		Oid			status_type = get_atttype(catalog.outbox.relid, catalog.outbox.attnum[OB_STATUS]);

		catalog.channel_oa = zt_enum_label(channel_type, "zalo_oa");
		catalog.channel_zns = zt_enum_label(channel_type, "zns");
		catalog.status_pending = zt_enum_label(status_type, "pending");
		catalog.status_undeliverable = zt_enum_label(status_type, "undeliverable");
	}

	MemoryContextSwitchTo(old);
	catalog.nstages_known = 0;
}

/*
 * Resolve every name this file uses, once per backend and table change.
 * Opening the tables takes in invalidations; if one arrived while the
 * catalog was being read, what was read may be older than it, and it is
 * read again.
 */
static void
load_catalog(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(enqueue_catalog_invalidate, (Datum) 0);
		callback_registered = true;
	}
	while (!catalog.valid)
	{
		uint64		seen = catalog_invalidations;

		read_catalog();
		catalog.valid = (seen == catalog_invalidations);
	}
}

/*
 * True when the event (dossier_id, seq) exists already, committed or not,
 * this transaction's own included: a trigger fired twice for one change.
 */
static bool
event_exists(Relation event_rel, int64 dossier_id, int32 seq)
{
	Relation	index = index_open(catalog.event_key_index, AccessShareLock);
	SnapshotData dirty;
	ScanKeyData keys[2];
	SysScanDesc scan;
	bool		found;

	InitDirtySnapshot(dirty);
	/* systable scans take the table's column numbers */
	ScanKeyInit(&keys[0], catalog.event.attnum[EV_DOSSIER_ID], BTEqualStrategyNumber,
				F_INT8EQ, Int64GetDatum(dossier_id));
	ScanKeyInit(&keys[1], catalog.event.attnum[EV_SEQ], BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum(seq));
	scan = systable_beginscan_ordered(event_rel, index, &dirty, 2, keys);
	found = HeapTupleIsValid(systable_getnext_ordered(scan, ForwardScanDirection));
	systable_endscan_ordered(scan);
	index_close(index, AccessShareLock);
	return found;
}

/*
 * The follower to notify: among followed recipients linked by the phone,
 * the one who followed last; else the same among those linked by the ID
 * number.  Returns 0 when nobody is linked.
 */
static int64
linked_recipient(Datum phone, bool phone_null, Datum id_number, bool id_null)
{
	Relation	rel = table_open(catalog.recipient_relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	int64		best = 0;

	for (int pass = 0; pass < 2 && best == 0; pass++)
	{
		Datum		key = pass == 0 ? phone : id_number;
		Oid			indexid = pass == 0 ? catalog.recipient_phone_index : catalog.recipient_id_number_index;
		Relation	index;
		ScanKeyData skey;
		SysScanDesc scan;
		HeapTuple	tup;
		TimestampTz best_followed_at = 0;
		bool		best_has_time = false;

		if (pass == 0 ? phone_null : id_null)
			continue;
		index = index_open(indexid, AccessShareLock);
		ScanKeyInit(&skey, pass == 0 ? catalog.recipient_phone_att : catalog.recipient_id_number_att,
					BTEqualStrategyNumber, F_TEXTEQ, key);
		/* compare as the index is ordered */
		skey.sk_collation = index->rd_indcollation[0];
		scan = systable_beginscan_ordered(rel, index, GetActiveSnapshot(), 1, &skey);
		while (HeapTupleIsValid(tup = systable_getnext_ordered(scan, ForwardScanDirection)))
		{
			bool		isnull;
			Datum		followed = heap_getattr(tup, catalog.recipient_followed_att, desc, &isnull);
			Datum		at;
			bool		at_null;

			if (isnull || !DatumGetBool(followed))
				continue;
			at = heap_getattr(tup, catalog.recipient_followed_at_att, desc, &at_null);
			/* latest followed_at first, unknown times last */
			if (best == 0 || (!at_null && (!best_has_time || DatumGetTimestampTz(at) > best_followed_at)))
			{
				best = DatumGetInt64(heap_getattr(tup, catalog.recipient_id_att, desc, &isnull));
				best_has_time = !at_null;
				best_followed_at = at_null ? 0 : DatumGetTimestampTz(at);
			}
		}
		systable_endscan_ordered(scan);
		index_close(index, AccessShareLock);
	}
	table_close(rel, AccessShareLock);
	return best;
}

/*
 * True when the stage is sent by phone to a citizen no follower message
 * reaches: it has a template and by_phone is on.  Read once per stage
 * and kept: a statement trigger on template sends a relcache invalidation
 * when a DBA edits it.  The row is read with a snapshot taken after the
 * table is locked, not the statement's: an edit that committed after the
 * statement began, whose invalidation may already have been taken in,
 * would otherwise be kept unseen.
 */
static bool
stage_sent_by_phone(Oid stage)
{
	Relation	rel;
	Relation	index;
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snapshot;
	bool		result = false;

	for (int i = 0; i < catalog.nstages_known; i++)
		if (catalog.stage_known[i] == stage)
			return catalog.stage_by_phone[i];

	rel = table_open(catalog.template_relid, AccessShareLock);
	index = index_open(catalog.template_index, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());

	ScanKeyInit(&skey, catalog.template_stage_att, BTEqualStrategyNumber, F_ENUM_EQ,
				ObjectIdGetDatum(stage));
	scan = systable_beginscan_ordered(rel, index, snapshot, 1, &skey);
	tup = systable_getnext_ordered(scan, ForwardScanDirection);
	if (HeapTupleIsValid(tup))
	{
		bool		no_template;
		bool		by_phone_null;
		Datum		by_phone;

		(void) heap_getattr(tup, catalog.template_id_att, RelationGetDescr(rel), &no_template);
		if (catalog.template_by_phone_att == InvalidAttrNumber)
			result = !no_template;
		else
		{
			by_phone = heap_getattr(tup, catalog.template_by_phone_att, RelationGetDescr(rel), &by_phone_null);
			result = !no_template && !by_phone_null && DatumGetBool(by_phone);
		}
	}
	systable_endscan_ordered(scan);
	UnregisterSnapshot(snapshot);
	index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);

	if (catalog.nstages_known < ZT_MAX_STAGES)
	{
		catalog.stage_known[catalog.nstages_known] = stage;
		catalog.stage_by_phone[catalog.nstages_known] = result;
		catalog.nstages_known++;
	}
	return result;
}

/* An insert into one target table, set up in the executor state. */
typedef struct TargetInsert
{
	TargetTable *table;
	Relation	rel;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
} TargetInsert;

/*
 * Open the indexes of a target table that get an entry for the row in the
 * slot, from what was prepared once: a partial index whose predicate the
 * row fails (a sent message's index for a new notification) is not opened
 * at all.  If the relation cache lists other indexes than those prepared
 * (one was created or dropped since), let the executor open them all.
 */
static void
open_indexes(ResultRelInfo *rri, const TargetTable *t, TupleTableSlot *slot, EState *estate)
{
	List	   *current = RelationGetIndexList(rri->ri_RelationDesc);
	bool		same = list_length(current) == t->nindexes;
	ListCell   *lc;
	ExprContext *econtext;
	int			i = 0;

	foreach(lc, current)
	{
		if (!same)
			break;
		same = lfirst_oid(lc) == t->index_oid[i++];
	}
	list_free(current);
	if (!same)
	{
		ExecOpenIndices(rri, false);
		return;
	}
	if (t->nindexes == 0)
		return;

	econtext = GetPerTupleExprContext(estate);
	econtext->ecxt_scantuple = slot;
	rri->ri_NumIndices = 0;
	rri->ri_IndexRelationDescs = palloc(t->nindexes * sizeof(Relation));
	rri->ri_IndexRelationInfo = palloc(t->nindexes * sizeof(IndexInfo *));
	for (i = 0; i < t->nindexes; i++)
	{
		IndexInfo  *prepared = t->index_info[i];
		Relation	index;
		IndexInfo  *ii;

		if (prepared->ii_PredicateState != NULL && !ExecQual(prepared->ii_PredicateState, econtext))
			continue;
		index = index_open(t->index_oid[i], RowExclusiveLock);
		ii = palloc(sizeof(IndexInfo));
		memcpy(ii, prepared, sizeof(IndexInfo));
		/* CREATE INDEX CONCURRENTLY turns this on while we keep the rest */
		ii->ii_ReadyForInserts = index->rd_index->indisready;
		ii->ii_AmCache = NULL;
		ii->ii_Context = CurrentMemoryContext;
		rri->ri_IndexRelationDescs[rri->ri_NumIndices] = index;
		rri->ri_IndexRelationInfo[rri->ri_NumIndices] = ii;
		rri->ri_NumIndices++;
	}
}

/*
 * Prepare the CHECK constraints of a table, in CurrentMemoryContext (kept
 * per backend by the caller).
 */
void
zt_prepare_checks(Relation rel, ZtPreparedChecks *checks)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	checks->ncheck = constr ? constr->num_check : 0;
	checks->name = palloc(Max(checks->ncheck, 1) * sizeof(char *));
	checks->expr = palloc(Max(checks->ncheck, 1) * sizeof(ExprState *));
	for (int i = 0; i < checks->ncheck; i++)
	{
		checks->name[i] = pstrdup(constr->check[i].ccname);
		checks->expr[i] = ExecInitExpr(expression_planner(stringToNode(constr->check[i].ccbin)), NULL);
	}
}

/*
 * The prepared CHECK constraints for a ResultRelInfo of rel, or NULL (the
 * executor prepares them) if the relation cache has others.
 */
ExprState **
zt_prepared_checks(Relation rel, const ZtPreparedChecks *checks)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	int			ncheck = constr ? constr->num_check : 0;

	if (ncheck == 0 || ncheck != checks->ncheck)
		return NULL;
	for (int i = 0; i < ncheck; i++)
		if (strcmp(constr->check[i].ccname, checks->name[i]) != 0)
			return NULL;
	return checks->expr;
}

/* Start inserting one row into a locked target table; its values start NULL. */
static void
begin_insert(TargetInsert *ins, TargetTable *table, Relation rel, EState *estate, Index rti)
{
	ins->table = table;
	ins->rel = rel;
	ins->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(ins->rri, ins->rel, rti, NULL, 0);
	ins->rri->ri_ConstraintExprs = zt_prepared_checks(rel, &table->checks);
	ins->slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(ins->rel), &TTSOpsVirtual);
	ExecClearTuple(ins->slot);
	memset(ins->slot->tts_isnull, true, ins->slot->tts_tupleDescriptor->natts * sizeof(bool));
}

/* Set one column of the row being inserted. */
static void
set_value(TargetInsert *ins, int column, Datum value, bool isnull)
{
	int			i = ins->table->attnum[column] - 1;

	ins->slot->tts_values[i] = value;
	ins->slot->tts_isnull[i] = isnull;
}

/* Fill the other columns' defaults and insert the row with its index entries. */
static void
finish_insert(TargetInsert *ins, EState *estate)
{
	ExprContext *econtext = GetPerTupleExprContext(estate);

	for (int d = 0; d < ins->table->ndefaults; d++)
	{
		int			i = ins->table->default_attnum[d] - 1;

		ins->slot->tts_values[i] = ExecEvalExprSwitchContext(ins->table->default_expr[d], econtext,
															 &ins->slot->tts_isnull[i]);
	}
	ExecStoreVirtualTuple(ins->slot);
	open_indexes(ins->rri, ins->table, ins->slot, estate);
	ExecSimpleRelationInsert(ins->rri, estate, ins->slot);
}

/* Close what begin_insert opened (the table stays open). */
static void
end_insert(TargetInsert *ins)
{
	ExecCloseIndices(ins->rri);
}

/* Close the tables zt_record_stage_change locked (the locks stay). */
static void
close_tables(Relation event_rel, Relation outbox_rel)
{
	if (outbox_rel != NULL)
		table_close(outbox_rel, NoLock);
	table_close(event_rel, NoLock);
}

/*
 * Record a stage change: its dossier_event row, and when `enqueue` is set
 * its outbox row, with the channel decided now, in the transaction of the
 * change: the linked follower by user id if there is one, else by phone when
 * the stage is sent by phone, else a final 'undeliverable' row with its
 * reason, so that nothing disappears silently.  Nothing is written when
 * the event exists already.
 */
void
zt_record_stage_change(const ZtStageChange *c)
{
	EState	   *estate;
	RangeTblEntry *rtes[2];
	Relation	event_rel;
	Relation	outbox_rel;
	TargetInsert ev;
	TargetInsert ob;
	int64		event_id;

	/*
	 * Lock the tables before trusting what was resolved: locking takes in
	 * the invalidations of changes committed meanwhile, and while the locks
	 * are held no ALTER TABLE or CREATE INDEX can commit.
	 */
	load_catalog();
	event_rel = table_open(catalog.event.relid, RowExclusiveLock);
	outbox_rel = c->enqueue ? table_open(catalog.outbox.relid, RowExclusiveLock) : NULL;
	if (!catalog.valid)
	{
		load_catalog();
		if (catalog.event.relid != RelationGetRelid(event_rel) ||
			(outbox_rel != NULL && catalog.outbox.relid != RelationGetRelid(outbox_rel)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("zalo_tthc.dossier_event or zalo_tthc.outbox was replaced during a stage change"),
					 errhint("Retry the transaction.")));
	}

	estate = CreateExecutorState();
	for (int i = 0; i < 2; i++)
	{
		rtes[i] = makeNode(RangeTblEntry);
		rtes[i]->rtekind = RTE_RELATION;
		rtes[i]->relid = i == 0 ? catalog.event.relid : catalog.outbox.relid;
		rtes[i]->relkind = RELKIND_RELATION;
		rtes[i]->rellockmode = RowExclusiveLock;
	}
	zt_exec_init_range_table(estate, list_make2(rtes[0], rtes[1]));
	estate->es_output_cid = GetCurrentCommandId(true);
	AfterTriggerBeginQuery();

	/*
	 * stage_seq is taken from the locked row, so one change has one
	 * (dossier, seq); only a second trigger calling this function sees the
	 * same change again, and then it adds nothing.  Any other repeat is
	 * refused by the unique key of dossier_event.
	 */
	begin_insert(&ev, &catalog.event, event_rel, estate, 1);
	if (c->may_repeat && event_exists(ev.rel, c->dossier_id, c->seq))
	{
		end_insert(&ev);
		AfterTriggerEndQuery(estate);
		ExecResetTupleTable(estate->es_tupleTable, false);
		FreeExecutorState(estate);
		close_tables(event_rel, outbox_rel);
		return;
	}

	set_value(&ev, EV_DOSSIER_ID, Int64GetDatum(c->dossier_id), false);
	set_value(&ev, EV_SEQ, Int32GetDatum(c->seq), false);
	set_value(&ev, EV_STAGE_BEFORE, ObjectIdGetDatum(c->stage_before), !OidIsValid(c->stage_before));
	set_value(&ev, EV_STAGE_AFTER, ObjectIdGetDatum(c->stage_after), false);
	set_value(&ev, EV_STATUS_BEFORE, Int16GetDatum(c->status_before), c->status_before_null);
	set_value(&ev, EV_STATUS_AFTER, Int16GetDatum(c->status_after), false);
	set_value(&ev, EV_ACTOR, c->actor, c->actor_null);
	set_value(&ev, EV_NOTE, c->note, c->note_null);
	set_value(&ev, EV_DUE_BEFORE, c->due_before, c->due_before_null);
	set_value(&ev, EV_DUE_AFTER, c->due_after, c->due_after_null);
	set_value(&ev, EV_NOTIFY, ObjectIdGetDatum(zt_enum_label(catalog.notify_type, c->notify)), false);
	/* the id is the identity's next value: a default, evaluated here */
	finish_insert(&ev, estate);
	event_id = DatumGetInt64(ev.slot->tts_values[catalog.event_id_att - 1]);
	end_insert(&ev);

	if (c->enqueue)
	{
		int64		recipient = linked_recipient(c->phone, c->phone_null, c->id_number, c->id_number_null);
		bool		zns = recipient == 0 && stage_sent_by_phone(c->stage_after);
		bool		by_zns = zns && !c->phone_null;
		const char *reason = NULL;

		if (recipient == 0 && !zns)
			reason = psprintf("no Zalo follower is linked to the applicant and stage %s is not sent by phone",
							  zt_stage_name(c->stage_after));
		else if (recipient == 0 && !by_zns)
			reason = "no Zalo follower is linked to the applicant and the dossier has no mobile phone";

		begin_insert(&ob, &catalog.outbox, outbox_rel, estate, 2);
		set_value(&ob, OB_EVENT_ID, Int64GetDatum(event_id), false);
		set_value(&ob, OB_DOSSIER_ID, Int64GetDatum(c->dossier_id), false);
		set_value(&ob, OB_STAGE, ObjectIdGetDatum(c->stage_after), false);
		set_value(&ob, OB_CHANNEL, ObjectIdGetDatum(by_zns ? catalog.channel_zns : catalog.channel_oa), false);
		set_value(&ob, OB_RECIPIENT_ID, Int64GetDatum(recipient), recipient == 0);
		set_value(&ob, OB_IDEMPOTENCY_KEY,
				  CStringGetTextDatum(psprintf(INT64_FORMAT "-%d-%s", c->dossier_id, c->seq,
											   by_zns ? "zns" : "oa")),
				  false);
		set_value(&ob, OB_STATUS,
				  ObjectIdGetDatum(reason == NULL ? catalog.status_pending : catalog.status_undeliverable),
				  false);
		set_value(&ob, OB_LAST_ERROR, reason ? CStringGetTextDatum(reason) : (Datum) 0, reason == NULL);
		finish_insert(&ob, estate);
		end_insert(&ob);
		if (reason == NULL && !zt_am_delivery_worker)
			zt_wake_worker_at_commit();
	}

	AfterTriggerEndQuery(estate);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	close_tables(event_rel, outbox_rel);
}


/* ---------------------------------------------------------------------
 * The delivery worker's reclaims (its claim is in claim.c, its outcomes in
 * outcome.c).  Each function is one short transaction (worker_txn.c); none
 * is open while a request is on the wire.
 * ---------------------------------------------------------------------
 */

/*
 * At worker start: every row still 'sending' was claimed by a worker that
 * is gone, and may or may not have reached Zalo.  Put them back in the
 * queue and log each as an attempt of unknown outcome.  Returns how many.
 */
int
zt_reclaim_abandoned(void)
{
	int			n;

	zt_worker_begin("zalo_tthc: reclaiming abandoned claims");
	if (SPI_execute("WITH r AS ("
					"  UPDATE zalo_tthc.outbox SET status = 'failed', next_attempt_at = now(),"
					"         lease_until = NULL,"
					"         last_error = 'outcome unknown: the worker stopped while sending'"
					"  WHERE status = 'sending' RETURNING id, attempts) "
					"INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at,"
					"       outcome, sent_unknown, error_text) "
					"SELECT id, attempts, 'unknown', now(), 'unknown', true,"
					"       'the worker stopped while this attempt was on the wire' FROM r",
					false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not reclaim abandoned notifications");
	n = (int) SPI_processed;
	zt_worker_end();
	return n;
}

/*
 * Queue again the notifications still 'sending' after their lease, but for
 * those in held (on the wire or with an outcome not yet written); each is
 * logged as an attempt of unknown outcome.  Returns how many.
 */
int
zt_reclaim_expired_leases(const int64 *held, int n_held)
{
	Oid			types[1] = {INT8ARRAYOID};
	Datum		args[1] = {zt_int8_array(held, NULL, n_held)};
	int			n;

	zt_worker_begin("zalo_tthc: reclaiming expired leases");
	if (SPI_execute_with_args("WITH r AS ("
							  "  UPDATE zalo_tthc.outbox SET status = 'failed', next_attempt_at = now(),"
							  "         lease_until = NULL,"
							  "         last_error = 'outcome unknown: the lease ran out while it was being sent'"
							  "  WHERE status = 'sending' AND lease_until < now() AND id <> ALL ($1)"
							  "  RETURNING id, attempts) "
							  "INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at,"
							  "       outcome, sent_unknown, error_text) "
							  "SELECT id, attempts, 'unknown', now(), 'unknown', true,"
							  "       'the lease of this attempt ran out before its outcome was written' FROM r",
							  1, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not reclaim notifications whose lease ran out");
	n = (int) SPI_processed;
	zt_worker_end();
	return n;
}
