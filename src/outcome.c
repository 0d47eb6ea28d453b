/*
 * outcome.c
 *		The delivery worker's outcomes: for each notification answered (or
 *		given back unsent), its outbox row and its attempt in the delivery
 *		log, and what follows from them: the fallback by phone, the receipt
 *		file after a received message, the delivery totals.
 *
 * A batch is written in one short transaction.  The outbox and log rows,
 * one of each per notification, are written with the executor's
 * single-row calls (as claim.c writes its claims): each outbox row is
 * found by its key and locked (waiting for, then following, a concurrent
 * update), and updated with its constraints, index entries and row
 * triggers; each log row is inserted with its defaults, constraints,
 * index entries and row triggers.  The statement triggers of both tables
 * fire once per batch, with their transition tables, as for one UPDATE
 * and one INSERT statement: apply_pending_receipts (webhook.sql) sees the
 * notifications that became sent.  What only some rows of a batch need
 * (the fallback rows, the receipt files, the totals by stage, channel and
 * status, counted here) is one statement after them.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "outbox.h"
#include "pg_compat.h"
#include "queue_access.h"
#include "worker_txn.h"

/* outbox columns an outcome reads or sets */
enum
{
	OO_ID, OO_EVENT_ID, OO_DOSSIER_ID, OO_STAGE, OO_CHANNEL, OO_KIND, OO_RECIPIENT_ID, OO_STATUS,
	OO_LAST_ERROR, OO_LAST_ERROR_CODE, OO_PROVIDER_MSG_ID, OO_SENT_AT, OO_NEXT_ATTEMPT_AT,
	OO_ATTEMPTS, OO_LEASE_UNTIL, OO_COUNT
};
static const char *const outbox_column_names[OO_COUNT] = {
	"id", "event_id", "dossier_id", "stage", "channel", "kind", "recipient_id", "status",
	"last_error", "last_error_code", "provider_msg_id", "sent_at", "next_attempt_at",
	"attempts", "lease_until"
};

/* the first outbox column an outcome sets (the others before it are read) */
#define OO_FIRST_SET OO_STATUS

/* delivery_attempt columns set here; any other takes its default */
enum
{
	LC_OUTBOX_ID, LC_ATTEMPT, LC_ENDPOINT, LC_STARTED_AT, LC_LATENCY_MS, LC_HTTP_STATUS,
	LC_ZALO_ERROR, LC_OUTCOME, LC_SENT_UNKNOWN, LC_ERROR_TEXT, LC_COUNT
};
static const char *const log_column_names[LC_COUNT] = {
	"outbox_id", "attempt", "endpoint", "started_at", "latency_ms", "http_status",
	"zalo_error", "outcome", "sent_unknown", "error_text"
};

/* A stage, channel and status, and how many outcomes of the batch ended so. */
typedef struct Total
{
	Oid			stage;
	Oid			channel;
	Oid			status;
	int64		notifications;
} Total;

/* A notification a follow-up row is written for. */
typedef struct FollowUp
{
	int64		event_id;
	int64		dossier_id;
	Oid			stage;
	int64		recipient_id;
	bool		no_recipient;
} FollowUp;

/* Everything one batch opened and resolved, and what it leaves to follow. */
typedef struct Recording
{
	EState	   *estate;
	Snapshot	snapshot;
	EPQState	epq;
	Relation	outbox;
	ResultRelInfo *outbox_rri;
	TransitionCaptureState *outbox_tcs;
	ZtProbedTable by_id;		/* outbox_pkey */
	ZtProbedTable documents;	/* dossier_document by dossier */
	TupleTableSlot *updated;
	TupleTableSlot *locked;
	Relation	log;
	ResultRelInfo *log_rri;
	TransitionCaptureState *log_tcs;
	TupleTableSlot *logged;
	int			nlog_defaults;
	AttrNumber *log_default_att;
	ExprState **log_default;
	AttrNumber	oc[OO_COUNT];
	AttrNumber	lc[LC_COUNT];
	AttrNumber	document_kind_att;
	Oid			status_type;
	Oid			status_sending;
	Oid			status_sent;
	Oid			stage_received;
	Oid			channel_oa;
	Oid			kind_stage;
	/* the statuses of the batch by name, looked up once */
	const char *status_names[8];
	Oid			status_oids[8];
	int			nstatuses;
	FollowUp   *fallbacks;
	int			nfallbacks;
	FollowUp   *receipts;
	int			nreceipts;
	Total	   *totals;
	int			ntotals;
} Recording;

/* The OID of a delivery status named by an outcome. */
static Oid
status_oid(Recording *r, const char *name)
{
	for (int i = 0; i < r->nstatuses; i++)
		if (strcmp(r->status_names[i], name) == 0)
			return r->status_oids[i];
	if (r->nstatuses == lengthof(r->status_oids))
		return zt_enum_label(r->status_type, name);
	r->status_names[r->nstatuses] = name;
	r->status_oids[r->nstatuses] = zt_enum_label(r->status_type, name);
	return r->status_oids[r->nstatuses++];
}

/*
 * Lock the tables, resolve the names and fire the BEFORE statement
 * triggers of a batch of n outcomes.
 */
static void
begin_recording(Recording *r, int n)
{
	Oid			nsp = get_namespace_oid("zalo_tthc", false);
	Oid			outbox_relid;
	Oid			document_relid;
	Bitmapset  *updated_cols = NULL;

	memset(r, 0, sizeof(*r));
	r->snapshot = GetActiveSnapshot();
	r->estate = CreateExecutorState();
	r->estate->es_snapshot = r->snapshot;

	/* the tables first: their locks take in the invalidations of changes committed since */
	r->outbox = table_open(zt_extension_relation(nsp, "outbox"), RowExclusiveLock);
	r->log = table_open(zt_extension_relation(nsp, "delivery_attempt"), RowExclusiveLock);
	outbox_relid = RelationGetRelid(r->outbox);
	for (int i = 0; i < OO_COUNT; i++)
	{
		r->oc[i] = zt_column_number(outbox_relid, "outbox", outbox_column_names[i]);
		if (i >= OO_FIRST_SET)
			updated_cols = bms_add_member(updated_cols, r->oc[i] - FirstLowInvalidHeapAttributeNumber);
	}
	for (int i = 0; i < LC_COUNT; i++)
		r->lc[i] = zt_column_number(RelationGetRelid(r->log), "delivery_attempt", log_column_names[i]);

	r->outbox_rri = zt_updating_result_relation(r->estate, r->outbox, updated_cols);
	/* the log is no range table entry: only inserted into, as by a trigger */
	r->log_rri = makeNode(ResultRelInfo);
	InitResultRelInfo(r->log_rri, r->log, 0, NULL, 0);
	ExecOpenIndices(r->log_rri, false);
	r->estate->es_opened_result_relations = lappend(r->estate->es_opened_result_relations, r->log_rri);
	zt_eval_plan_qual_init(&r->epq, r->estate);
	/* the identity above all */
	r->nlog_defaults = zt_prepare_defaults(r->log, r->lc, LC_COUNT, &r->log_default_att, &r->log_default);

	zt_open_probed(&r->by_id, r->estate, r->snapshot, nsp, "outbox", "outbox_pkey");
	zt_open_probed(&r->documents, r->estate, r->snapshot, nsp, "dossier_document",
				   "dossier_document_dossier_id_kind_key");
	document_relid = RelationGetRelid(r->documents.rel);
	r->document_kind_att = zt_column_number(document_relid, "dossier_document", "kind");
	r->locked = table_slot_create(r->outbox, &r->estate->es_tupleTable);
	r->updated = ExecInitExtraTupleSlot(r->estate, RelationGetDescr(r->outbox), &TTSOpsVirtual);
	r->logged = ExecInitExtraTupleSlot(r->estate, RelationGetDescr(r->log), &TTSOpsVirtual);

	r->status_type = get_atttype(outbox_relid, r->oc[OO_STATUS]);
	r->status_sending = zt_enum_label(r->status_type, "sending");
	r->status_sent = zt_enum_label(r->status_type, "sent");
	r->stage_received = zt_enum_label(get_atttype(outbox_relid, r->oc[OO_STAGE]), "received");
	r->channel_oa = zt_enum_label(get_atttype(outbox_relid, r->oc[OO_CHANNEL]), "zalo_oa");
	r->kind_stage = zt_enum_label(get_atttype(outbox_relid, r->oc[OO_KIND]), "stage");
	r->fallbacks = palloc(sizeof(FollowUp) * n);
	r->receipts = palloc(sizeof(FollowUp) * n);
	r->totals = palloc(sizeof(Total) * n);

	AfterTriggerBeginQuery();
	r->outbox_tcs = MakeTransitionCaptureState(r->outbox_rri->ri_TrigDesc, outbox_relid, CMD_UPDATE);
	r->log_tcs = MakeTransitionCaptureState(r->log_rri->ri_TrigDesc, RelationGetRelid(r->log), CMD_INSERT);
	ExecBSUpdateTriggers(r->estate, r->outbox_rri);
	ExecBSInsertTriggers(r->estate, r->log_rri);
}

/*
 * Fire the AFTER triggers of the batch (its statement triggers with their
 * transition tables, and the row triggers queued) and close what
 * begin_recording opened; the locks stay until the commit.
 */
static void
end_recording(Recording *r)
{
	ExecASUpdateTriggers(r->estate, r->outbox_rri, r->outbox_tcs);
	ExecASInsertTriggers(r->estate, r->log_rri, r->log_tcs);
	AfterTriggerEndQuery(r->estate);
	EvalPlanQualEnd(&r->epq);
	zt_close_probed(&r->documents);
	zt_close_probed(&r->by_id);
	ExecCloseResultRelations(r->estate);
	ExecCloseRangeTableRelations(r->estate);
	ExecResetTupleTable(r->estate->es_tupleTable, false);
	FreeExecutorState(r->estate);
	table_close(r->log, NoLock);
	table_close(r->outbox, NoLock);
}

/*
 * Find the notification by its key and lock it while it is sending (as
 * UPDATE ... WHERE id = $1 AND status = 'sending' would, following a
 * concurrent update to the row's latest version); false when it is gone
 * or no longer sending (an operator's cancel, a reclaim).
 */
static bool
lock_sending_row(Recording *r, int64 id)
{
	TM_FailureData tmfd;
	TM_Result	result;
	bool		isnull;

	if (!zt_probe_one(&r->by_id, Int64GetDatum(id), F_INT8EQ))
		return false;
	if (DatumGetObjectId(slot_getattr(r->by_id.slot, r->oc[OO_STATUS], &isnull)) != r->status_sending)
		return false;
	result = table_tuple_lock(r->outbox, &r->by_id.slot->tts_tid, r->snapshot, r->locked,
							  r->estate->es_output_cid, LockTupleNoKeyExclusive, LockWaitBlock,
							  TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	if (result != TM_Ok)
		return false;
	return DatumGetObjectId(slot_getattr(r->locked, r->oc[OO_STATUS], &isnull)) == r->status_sending;
}

/* Set a column of the updated row. */
static inline void
set_column(TupleTableSlot *slot, AttrNumber att, Datum value, bool isnull)
{
	slot->tts_values[att - 1] = value;
	slot->tts_isnull[att - 1] = isnull;
}

/*
 * Write an outcome on its locked outbox row, as the worker's UPDATE did:
 * its status, error, Zalo's message id, sent time, next attempt and lease;
 * a notification given back unsent keeps what its last attempt said, and
 * an attempt that was not its fault is not counted.  False when a BEFORE
 * trigger skipped the row.
 */
static bool
update_outbox_row(Recording *r, const ZtOutcome *o)
{
	TupleDesc	desc = RelationGetDescr(r->outbox);
	ItemPointer tid = &r->locked->tts_tid;
	Oid			status = status_oid(r, o->status);
	bool		isnull;
	int32		attempts;

	slot_getallattrs(r->locked);
	ExecClearTuple(r->updated);
	memcpy(r->updated->tts_values, r->locked->tts_values, desc->natts * sizeof(Datum));
	memcpy(r->updated->tts_isnull, r->locked->tts_isnull, desc->natts * sizeof(bool));
	set_column(r->updated, r->oc[OO_STATUS], ObjectIdGetDatum(status), false);
	if (!o->released)
	{
		set_column(r->updated, r->oc[OO_LAST_ERROR],
				   o->last_error ? CStringGetTextDatum(o->last_error) : (Datum) 0, o->last_error == NULL);
		set_column(r->updated, r->oc[OO_LAST_ERROR_CODE], Int32GetDatum(o->error_code), o->error_code == 0);
	}
	if (o->provider_msg_id != NULL)
		set_column(r->updated, r->oc[OO_PROVIDER_MSG_ID], CStringGetTextDatum(o->provider_msg_id), false);
	if (status == r->status_sent)
		set_column(r->updated, r->oc[OO_SENT_AT], TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
				   false);
	if (o->next_attempt_at != 0)
		set_column(r->updated, r->oc[OO_NEXT_ATTEMPT_AT], TimestampTzGetDatum(o->next_attempt_at), false);
	attempts = DatumGetInt32(slot_getattr(r->locked, r->oc[OO_ATTEMPTS], &isnull));
	set_column(r->updated, r->oc[OO_ATTEMPTS], Int32GetDatum(attempts - (o->refund_attempt ? 1 : 0)), false);
	set_column(r->updated, r->oc[OO_LEASE_UNTIL], (Datum) 0, true);
	ExecStoreVirtualTuple(r->updated);

	return zt_update_locked_row(r->outbox_rri, r->estate, &r->epq, tid, r->updated, r->outbox_tcs);
}

/* Whether a dossier has its receipt PDF in dossier_document. */
static bool
has_receipt_file(Recording *r, int64 dossier_id)
{
	zt_probe(&r->documents, Int64GetDatum(dossier_id), F_INT8EQ);
	while (zt_probe_next(&r->documents))
	{
		bool		isnull;
		Datum		kind = slot_getattr(r->documents.slot, r->document_kind_att, &isnull);

		if (!isnull && strcmp(TextDatumGetCString(kind), "receipt") == 0)
			return true;
	}
	return false;
}

/* Count an outcome in the batch's totals. */
static void
count_total(Recording *r, Oid stage, Oid channel, Oid status)
{
	for (int i = 0; i < r->ntotals; i++)
		if (r->totals[i].stage == stage && r->totals[i].channel == channel && r->totals[i].status == status)
		{
			r->totals[i].notifications++;
			return;
		}
	r->totals[r->ntotals++] = (Total)
	{
		stage, channel, status, 1
	};
}

/*
 * Note what an updated stage notification leads to: the fallback by phone
 * (the Zalo OA could not reach the citizen), the receipt file (the
 * received message was sent and the dossier has its receipt), its total.
 */
static void
note_follow_ups(Recording *r, const ZtOutcome *o)
{
	TupleTableSlot *row = r->updated;
	bool		no_event;
	bool		no_stage;
	bool		isnull;
	Datum		event_id = slot_getattr(row, r->oc[OO_EVENT_ID], &no_event);
	Datum		stage = slot_getattr(row, r->oc[OO_STAGE], &no_stage);
	Oid			channel = DatumGetObjectId(slot_getattr(row, r->oc[OO_CHANNEL], &isnull));
	Oid			kind = DatumGetObjectId(slot_getattr(row, r->oc[OO_KIND], &isnull));
	Oid			status = DatumGetObjectId(slot_getattr(row, r->oc[OO_STATUS], &isnull));
	FollowUp	f;

	if (no_stage)
		return;
	if (!o->released)
		count_total(r, DatumGetObjectId(stage), channel, status);
	if (no_event || kind != r->kind_stage || channel != r->channel_oa)
		return;
	f.event_id = DatumGetInt64(event_id);
	f.dossier_id = DatumGetInt64(slot_getattr(row, r->oc[OO_DOSSIER_ID], &isnull));
	f.stage = DatumGetObjectId(stage);
	f.recipient_id = DatumGetInt64(slot_getattr(row, r->oc[OO_RECIPIENT_ID], &f.no_recipient));
	if (o->fallback_to_zns)
		r->fallbacks[r->nfallbacks++] = f;
	if (status == r->status_sent && f.stage == r->stage_received && has_receipt_file(r, f.dossier_id))
		r->receipts[r->nreceipts++] = f;
}

/* Insert an outcome's row in the delivery log, with the other columns' defaults. */
static void
insert_log_row(Recording *r, const ZtOutcome *o)
{
	TupleTableSlot *slot = r->logged;
	ExprContext *econtext = GetPerTupleExprContext(r->estate);
	List	   *recheck = NIL;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, slot->tts_tupleDescriptor->natts * sizeof(bool));
	set_column(slot, r->lc[LC_OUTBOX_ID], Int64GetDatum(o->outbox_id), false);
	set_column(slot, r->lc[LC_ATTEMPT], Int32GetDatum(o->attempt), false);
	set_column(slot, r->lc[LC_ENDPOINT], CStringGetTextDatum(o->endpoint), false);
	set_column(slot, r->lc[LC_STARTED_AT], TimestampTzGetDatum(o->started_at), false);
	set_column(slot, r->lc[LC_LATENCY_MS], Float4GetDatum((float4) o->latency_ms), o->latency_ms < 0);
	set_column(slot, r->lc[LC_HTTP_STATUS], Int32GetDatum(o->http_status), o->http_status == 0);
	set_column(slot, r->lc[LC_ZALO_ERROR], Int32GetDatum(o->error_code), o->error_code == 0);
	set_column(slot, r->lc[LC_OUTCOME], CStringGetTextDatum(o->outcome), false);
	set_column(slot, r->lc[LC_SENT_UNKNOWN], BoolGetDatum(o->sent_unknown), false);
	set_column(slot, r->lc[LC_ERROR_TEXT],
			   o->last_error ? CStringGetTextDatum(o->last_error) : (Datum) 0, o->last_error == NULL);
	for (int d = 0; d < r->nlog_defaults; d++)
	{
		int			i = r->log_default_att[d] - 1;

		slot->tts_values[i] = ExecEvalExprSwitchContext(r->log_default[d], econtext, &slot->tts_isnull[i]);
	}
	ExecStoreVirtualTuple(slot);

	if (r->log_rri->ri_TrigDesc && r->log_rri->ri_TrigDesc->trig_insert_before_row &&
		!ExecBRInsertTriggers(r->estate, r->log_rri, slot))
		return;
	if (RelationGetDescr(r->log)->constr)
		ExecConstraints(r->log_rri, slot, r->estate);
	simple_table_tuple_insert(r->log, slot);
	if (r->log_rri->ri_NumIndices > 0)
		recheck = zt_insert_index_tuples(r->log_rri, slot, r->estate);
	ExecARInsertTriggers(r->estate, r->log_rri, slot, recheck, r->log_tcs);
	list_free(recheck);
}

static const char *const follow_ups_sql =
/* the same template by phone, when the template is sent by phone and the dossier has a mobile */
"WITH zns AS ("
"  INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, kind, idempotency_key,"
"                                status, last_error)"
"  SELECT u.event_id, u.dossier_id, u.stage, 'zns', 'stage', u.dossier_id || '-' || e.seq || '-zns',"
"         CASE WHEN t.by_phone AND d.applicant_phone IS NOT NULL"
"              THEN 'pending' ELSE 'undeliverable' END::zalo_tthc.delivery_status,"
"         CASE WHEN t.by_phone IS NOT TRUE"
"              THEN 'the Zalo OA could not reach the citizen and stage ' || u.stage || ' is not sent by phone'"
"              WHEN d.applicant_phone IS NULL"
"              THEN 'the Zalo OA could not reach the citizen and the dossier has no mobile phone' END"
"  FROM unnest($1::int8[], $2::int8[], $3::text[]::zalo_tthc.stage[]) AS u(event_id, dossier_id, stage)"
"  CROSS JOIN LATERAL (SELECT e.seq FROM zalo_tthc.dossier_event e WHERE e.id = u.event_id OFFSET 0) e"
"  CROSS JOIN LATERAL (SELECT d.applicant_phone FROM zalo_tthc.dossier d WHERE d.id = u.dossier_id OFFSET 0) d"
"  LEFT JOIN LATERAL (SELECT t.zbs_template_id IS NOT NULL AND t.by_phone AS by_phone"
"                     FROM zalo_tthc.template t WHERE t.stage = u.stage OFFSET 0) t"
"         ON true"
"  ON CONFLICT (event_id, channel, kind) DO NOTHING), "
/* the receipt PDF, after the received message */
"receipt AS ("
"  INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, kind, recipient_id,"
"                                idempotency_key)"
"  SELECT u.event_id, u.dossier_id, u.stage, 'zalo_oa', 'receipt_file', u.recipient_id,"
"         u.dossier_id || '-' || e.seq || '-file'"
"  FROM unnest($4::int8[], $5::int8[], $6::text[]::zalo_tthc.stage[], $7::int8[])"
"       AS u(event_id, dossier_id, stage, recipient_id)"
"  CROSS JOIN LATERAL (SELECT e.seq FROM zalo_tthc.dossier_event e WHERE e.id = u.event_id OFFSET 0) e"
"  ON CONFLICT (event_id, channel, kind) DO NOTHING) "
/* the totals of metrics(): every outcome recorded on a stage notification */
"INSERT INTO zalo_tthc.delivery_total AS t (stage, channel, status, notifications)"
"SELECT * FROM unnest($8::text[]::zalo_tthc.stage[], $9::text[]::zalo_tthc.channel[],"
"                    $10::text[]::zalo_tthc.delivery_status[], $11::int8[]) "
"ON CONFLICT (stage, channel, status) DO UPDATE"
"  SET notifications = t.notifications + excluded.notifications, updated_at = now()";

/*
 * Make the planner reach every row of the follow-up statement by an index
 * probe.  Statistics are often stale (a backlog grows within seconds while
 * Zalo is down, or after a bulk import) and the plan is generic and kept:
 * planned while dossier_event was small, a sequential scan of it or a
 * hash join that reads every dossier would look cheaper, and each batch
 * would cost O(table).  With these the generic plan is the right one
 * whatever the statistics.  Local to the worker's transaction.
 */
static void
guard_follow_ups_plan(void)
{
	static const char *const off[] = {
		"enable_sort", "enable_bitmapscan", "enable_seqscan", "enable_hashjoin", "enable_mergejoin",
		"enable_memoize"
	};

	for (int i = 0; i < (int) lengthof(off); i++)
		set_config_option(off[i], "off", PGC_USERSET, PGC_S_SESSION,
						  GUC_ACTION_LOCAL, true, 0, false);
}

/* Fill the arrays of follow-up rows: events, dossiers, stages (and recipients). */
static void
follow_up_arrays(const FollowUp *f, int n, Datum *args, bool with_recipient)
{
	int64	   *events = palloc(sizeof(int64) * Max(n, 1));
	int64	   *dossiers = palloc(sizeof(int64) * Max(n, 1));
	const char **stages = palloc(sizeof(char *) * Max(n, 1));
	int64	   *recipients = palloc(sizeof(int64) * Max(n, 1));
	bool	   *no_recipient = palloc(sizeof(bool) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		events[i] = f[i].event_id;
		dossiers[i] = f[i].dossier_id;
		stages[i] = zt_enum_label_name(f[i].stage);
		recipients[i] = f[i].recipient_id;
		no_recipient[i] = f[i].no_recipient;
	}
	args[0] = zt_int8_array(events, NULL, n);
	args[1] = zt_int8_array(dossiers, NULL, n);
	args[2] = zt_text_array(stages, n);
	if (with_recipient)
		args[3] = zt_int8_array(recipients, no_recipient, n);
}

/* Write the batch's fallback rows, receipt files and totals in one statement. */
static void
write_follow_ups(Recording *r)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[11];
	const char **stages = palloc(sizeof(char *) * Max(r->ntotals, 1));
	const char **channels = palloc(sizeof(char *) * Max(r->ntotals, 1));
	const char **statuses = palloc(sizeof(char *) * Max(r->ntotals, 1));
	int64	   *counts = palloc(sizeof(int64) * Max(r->ntotals, 1));

	if (r->nfallbacks == 0 && r->nreceipts == 0 && r->ntotals == 0)
		return;
	guard_follow_ups_plan();
	if (plan == NULL)
	{
		Oid			types[11] = {
			INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
			INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, INT8ARRAYOID,
			TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID
		};

		plan = SPI_prepare_cursor(follow_ups_sql, 11, types, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "could not prepare the follow-ups of the outcomes: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	follow_up_arrays(r->fallbacks, r->nfallbacks, &args[0], false);
	follow_up_arrays(r->receipts, r->nreceipts, &args[3], true);
	for (int i = 0; i < r->ntotals; i++)
	{
		stages[i] = zt_enum_label_name(r->totals[i].stage);
		channels[i] = zt_enum_label_name(r->totals[i].channel);
		statuses[i] = zt_enum_label_name(r->totals[i].status);
		counts[i] = r->totals[i].notifications;
	}
	args[7] = zt_text_array(stages, r->ntotals);
	args[8] = zt_text_array(channels, r->ntotals);
	args[9] = zt_text_array(statuses, r->ntotals);
	args[10] = zt_int8_array(counts, NULL, r->ntotals);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record the follow-ups of delivery outcomes");
}

/*
 * Record a batch of outcomes: the outbox rows, the delivery log, then the
 * ZNS fallbacks, the receipt files that follow received messages and the
 * delivery totals.
 */
void
zt_record_outcomes(ZtOutcome *outcomes, int n)
{
	Recording	r;

	if (n == 0)
		return;
	zt_worker_begin("zalo_tthc: recording outcomes");
	begin_recording(&r, n);
	for (int i = 0; i < n; i++)
	{
		const ZtOutcome *o = &outcomes[i];

		CHECK_FOR_INTERRUPTS();
		if (lock_sending_row(&r, o->outbox_id) && update_outbox_row(&r, o))
			note_follow_ups(&r, o);
		if (!o->released)
			insert_log_row(&r, o);
		ResetPerTupleExprContext(r.estate);
	}
	end_recording(&r);
	/* what the statement below reads is what was just written */
	CommandCounterIncrement();
	write_follow_ups(&r);
	zt_worker_end();
}
