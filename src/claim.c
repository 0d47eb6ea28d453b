/*
 * claim.c
 *		The delivery worker's claim: the due notifications in queue order,
 *		each the first open one of its dossier (or of its citizen's chat),
 *		locked (skipping those another transaction holds), marked sending
 *		with a lease, and returned with everything their messages need.
 *
 * The claim runs for every batch the worker sends, so it is written with
 * the executor's single-row calls (the ones logical replication uses, as
 * the enqueue path in outbox.c and attach.c do) instead of a statement:
 * an ordered walk of outbox_claim_idx that stops after the batch, a probe
 * of an index for each other row it reads, and the update of each claimed
 * row with its constraints, index entries and row triggers.  There is no
 * plan, so no statistics can turn a probe into a walk of the outbox, and
 * nothing is planned, started and torn down per node and per batch.
 * Statement triggers on the outbox do not fire for a claim, as they do not
 * for logical replication; the extension's own (apply_pending_receipts)
 * acts only on notifications becoming sent.
 *
 * What SQL would do is kept: the rows are read with the claim's snapshot,
 * locked as FOR UPDATE SKIP LOCKED locks them (a row changed meanwhile is
 * locked in its latest version and checked again), and the per-dossier
 * order is checked against what the snapshot sees (see
 * first_open_of_its_dossier).  Names are resolved at every claim, after
 * the tables are locked, so a changed table is never read with stale
 * column numbers.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "outbox.h"
#include "outbox_values.h"
#include "pg_compat.h"
#include "queue_access.h"
#include "stage_cache.h"
#include "worker_txn.h"

/* outbox columns the claim reads or sets */
enum
{
	OC_ID, OC_EVENT_ID, OC_DOSSIER_ID, OC_STAGE, OC_CHANNEL, OC_KIND, OC_RECIPIENT_ID,
	OC_IDEMPOTENCY_KEY, OC_STATUS, OC_ATTEMPTS, OC_NEXT_ATTEMPT_AT, OC_LEASE_UNTIL, OC_PAYLOAD,
	OC_COUNT
};
static const char *const outbox_column_names[OC_COUNT] = {
	"id", "event_id", "dossier_id", "stage", "channel", "kind", "recipient_id",
	"idempotency_key", "status", "attempts", "next_attempt_at", "lease_until", "payload"
};

/* A stage's label, or an enum value's name, read once per claim. */
typedef struct NameMemo
{
	Oid			oid;
	char	   *name;			/* NULL: none */
} NameMemo;

/* Everything one claim opened and resolved. */
typedef struct Claim
{
	EState	   *estate;
	Snapshot	snapshot;
	TimestampTz now;
	Relation	outbox;
	ResultRelInfo *rri;
	EPQState	epq;			/* for BEFORE UPDATE row triggers */
	Relation	claim_index;	/* outbox_claim_idx: due rows in queue order */
	Relation	sending_index;	/* outbox_sending_idx: rows being sent */
	ZtProbedTable outbox_by_event;	/* outbox_event_id_channel_kind_key */
	ZtProbedTable chat_open;		/* outbox_chat_open_idx */
	ZtProbedTable events_of_dossier;	/* dossier_event_dossier_id_seq_key */
	ZtProbedTable event;			/* dossier_event_pkey */
	ZtProbedTable dossier;		/* dossier_pkey */
	ZtProbedTable recipient;		/* recipient_pkey */
	ZtProbedTable document;		/* dossier_document_dossier_id_kind_key */
	ZtProbedTable stage_info;		/* stage_info_pkey */
	AttrNumber	oc[OC_COUNT];
	AttrNumber	value_att[ZT_VF_STAGE_LABEL];	/* dossier, then event fields */
	AttrNumber	dossier_phone_att;
	AttrNumber	event_id_att;
	AttrNumber	event_stage_att;
	AttrNumber	recipient_user_att;
	AttrNumber	recipient_followed_att;
	AttrNumber	document_kind_att;
	AttrNumber	document_name_att;
	AttrNumber	document_content_att;
	AttrNumber	stage_label_att;
	Oid			status_pending;
	Oid			status_failed;
	Oid			status_sending;
	NameMemo	labels[ZT_MAX_STAGES];
	int			nlabels;
	NameMemo	enum_names[8];
	int			nenum_names;
} Claim;

/*
 * Lock the relations, resolve the names and begin the scans of a claim,
 * with the transaction's snapshot; writing: to update outbox rows too.
 */
static void
begin_claim(Claim *c, bool writing)
{
	Oid			nsp = get_namespace_oid("zalo_tthc", false);
	Oid			status_type;
	Oid			event_rel;
	Oid			dossier_rel;
	Bitmapset  *updated = NULL;

	memset(c, 0, sizeof(*c));
	c->snapshot = GetActiveSnapshot();
	c->now = GetCurrentTransactionStartTimestamp();
	c->estate = CreateExecutorState();

	/* the outbox first: its lock takes in the invalidations of changes committed since */
	c->outbox = table_open(zt_extension_relation(nsp, "outbox"), writing ? RowExclusiveLock : AccessShareLock);
	for (int i = 0; i < OC_COUNT; i++)
		c->oc[i] = zt_column_number(RelationGetRelid(c->outbox), "outbox", outbox_column_names[i]);
	c->estate->es_snapshot = c->snapshot;
	if (writing)
	{
		/* the updated columns, for UPDATE OF triggers */
		updated = bms_add_member(updated, c->oc[OC_STATUS] - FirstLowInvalidHeapAttributeNumber);
		updated = bms_add_member(updated, c->oc[OC_ATTEMPTS] - FirstLowInvalidHeapAttributeNumber);
		updated = bms_add_member(updated, c->oc[OC_LEASE_UNTIL] - FirstLowInvalidHeapAttributeNumber);
		c->rri = zt_updating_result_relation(c->estate, c->outbox, updated);
		zt_eval_plan_qual_init(&c->epq, c->estate);
		AfterTriggerBeginQuery();
	}

	c->claim_index = index_open(zt_extension_relation(nsp, "outbox_claim_idx"), AccessShareLock);
	c->sending_index = index_open(zt_extension_relation(nsp, "outbox_sending_idx"), AccessShareLock);
	zt_open_probed(&c->outbox_by_event, c->estate, c->snapshot, nsp, "outbox", "outbox_event_id_channel_kind_key");
	zt_open_probed(&c->chat_open, c->estate, c->snapshot, nsp, "outbox", "outbox_chat_open_idx");
	zt_open_probed(&c->events_of_dossier, c->estate, c->snapshot, nsp, "dossier_event", ZT_EVENT_KEY_INDEX);
	zt_open_probed(&c->event, c->estate, c->snapshot, nsp, "dossier_event", "dossier_event_pkey");
	zt_open_probed(&c->dossier, c->estate, c->snapshot, nsp, "dossier", "dossier_pkey");
	zt_open_probed(&c->recipient, c->estate, c->snapshot, nsp, "recipient", "recipient_pkey");
	zt_open_probed(&c->document, c->estate, c->snapshot, nsp, "dossier_document", "dossier_document_dossier_id_kind_key");
	zt_open_probed(&c->stage_info, c->estate, c->snapshot, nsp, "stage_info", "stage_info_pkey");

	event_rel = RelationGetRelid(c->event.rel);
	dossier_rel = RelationGetRelid(c->dossier.rel);
	for (int f = 0; f < ZT_VF_STAGE_LABEL; f++)
		c->value_att[f] = f < ZT_VF_FIRST_EVENT_FIELD ?
			zt_column_number(dossier_rel, "dossier", zt_value_field_names[f]) :
			zt_column_number(event_rel, "dossier_event", zt_value_field_names[f]);
	c->dossier_phone_att = zt_column_number(dossier_rel, "dossier", "applicant_phone");
	c->event_id_att = zt_column_number(event_rel, "dossier_event", "id");
	c->event_stage_att = zt_column_number(event_rel, "dossier_event", "stage_after");
	c->recipient_user_att = zt_column_number(RelationGetRelid(c->recipient.rel), "recipient", "zalo_user_id");
	c->recipient_followed_att = zt_column_number(RelationGetRelid(c->recipient.rel), "recipient", "followed");
	c->document_kind_att = zt_column_number(RelationGetRelid(c->document.rel), "dossier_document", "kind");
	c->document_name_att = zt_column_number(RelationGetRelid(c->document.rel), "dossier_document", "file_name");
	c->document_content_att = zt_column_number(RelationGetRelid(c->document.rel), "dossier_document", "content");
	c->stage_label_att = zt_column_number(RelationGetRelid(c->stage_info.rel), "stage_info", "label_vi");

	status_type = get_atttype(RelationGetRelid(c->outbox), c->oc[OC_STATUS]);
	c->status_pending = zt_enum_label(status_type, "pending");
	c->status_failed = zt_enum_label(status_type, "failed");
	c->status_sending = zt_enum_label(status_type, "sending");
}

/* Close what begin_claim opened; the locks stay until the commit. */
static void
end_claim(Claim *c)
{
	zt_close_probed(&c->stage_info);
	zt_close_probed(&c->document);
	zt_close_probed(&c->recipient);
	zt_close_probed(&c->dossier);
	zt_close_probed(&c->event);
	zt_close_probed(&c->events_of_dossier);
	zt_close_probed(&c->chat_open);
	zt_close_probed(&c->outbox_by_event);
	index_close(c->sending_index, NoLock);
	index_close(c->claim_index, NoLock);
	if (c->rri != NULL)
	{
		AfterTriggerEndQuery(c->estate);
		EvalPlanQualEnd(&c->epq);
		ExecCloseResultRelations(c->estate);
		ExecCloseRangeTableRelations(c->estate);
	}
	ExecResetTupleTable(c->estate->es_tupleTable, false);
	FreeExecutorState(c->estate);
	table_close(c->outbox, NoLock);
}

/* True for a status of a notification not finished yet (pending, sending, failed). */
static bool
is_open(const Claim *c, Oid status)
{
	return status == c->status_pending || status == c->status_sending || status == c->status_failed;
}

/*
 * Whether the outbox row in slot is the first open notification of its
 * dossier: no notification of an earlier event of the dossier is open.
 * The earlier events come from dossier_event's key (dossier_id, seq), a
 * handful per dossier, and their notifications from the outbox key
 * (event_id, channel, kind): the outbox has no index by dossier, which
 * every stage change would pay for.  Event ids grow with each change of a
 * dossier (the row lock orders them).  A chat message (no event) waits
 * for the citizen's earlier open chat messages instead
 * (outbox_chat_open_idx).  Rows are seen as the claim's snapshot sees
 * them, so a notification this claim takes still holds back the later
 * ones of its dossier.
 */
static bool
first_open_of_its_dossier(Claim *c, TupleTableSlot *row)
{
	bool		isnull;
	Datum		event_id = slot_getattr(row, c->oc[OC_EVENT_ID], &isnull);

	if (isnull)
	{
		bool		no_recipient;
		Datum		recipient = slot_getattr(row, c->oc[OC_RECIPIENT_ID], &no_recipient);
		int64		id = DatumGetInt64(slot_getattr(row, c->oc[OC_ID], &isnull));

		if (no_recipient)
			return true;
		zt_probe(&c->chat_open, recipient, F_INT8EQ);
		while (zt_probe_next(&c->chat_open))
		{
			Datum		status = slot_getattr(c->chat_open.slot, c->oc[OC_STATUS], &isnull);
			bool		no_event;

			(void) slot_getattr(c->chat_open.slot, c->oc[OC_EVENT_ID], &no_event);
			if (!no_event || !is_open(c, DatumGetObjectId(status)))
				continue;
			/* the first open one, in id order */
			return DatumGetInt64(slot_getattr(c->chat_open.slot, c->oc[OC_ID], &isnull)) >= id;
		}
		return true;
	}

	zt_probe(&c->events_of_dossier, slot_getattr(row, c->oc[OC_DOSSIER_ID], &isnull), F_INT8EQ);
	while (zt_probe_next(&c->events_of_dossier))
	{
		Datum		earlier = slot_getattr(c->events_of_dossier.slot, c->event_id_att, &isnull);

		if (DatumGetInt64(earlier) >= DatumGetInt64(event_id))
			continue;
		zt_probe(&c->outbox_by_event, earlier, F_INT8EQ);
		while (zt_probe_next(&c->outbox_by_event))
			if (is_open(c, DatumGetObjectId(slot_getattr(c->outbox_by_event.slot, c->oc[OC_STATUS], &isnull))))
				return false;
	}
	return true;
}

/* Whether an outbox row may be claimed now: pending or failed, and due. */
static bool
due_now(Claim *c, TupleTableSlot *row)
{
	bool		isnull;
	Oid			status = DatumGetObjectId(slot_getattr(row, c->oc[OC_STATUS], &isnull));
	Datum		next = slot_getattr(row, c->oc[OC_NEXT_ATTEMPT_AT], &isnull);

	return (status == c->status_pending || status == c->status_failed) &&
		!isnull && DatumGetTimestampTz(next) <= c->now;
}

/*
 * Lock a due row as FOR UPDATE SKIP LOCKED would: false when another
 * transaction holds it or it is gone.  A row changed since the snapshot is
 * locked in its latest version, which must still be due.
 */
static bool
lock_due_row(Claim *c, TupleTableSlot *found, TupleTableSlot *locked)
{
	TM_FailureData tmfd;
	TM_Result	result;

	result = table_tuple_lock(c->outbox, &found->tts_tid, c->snapshot, locked,
							  c->estate->es_output_cid, LockTupleExclusive, LockWaitSkip,
							  TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	switch (result)
	{
		case TM_Ok:
			return !tmfd.traversed || due_now(c, locked);
		case TM_WouldBlock:
		case TM_Deleted:
		case TM_Updated:
		case TM_SelfModified:
		case TM_BeingModified:
			return false;
		default:
			elog(ERROR, "unexpected result %d locking a notification", (int) result);
	}
	return false;
}

/*
 * Mark a locked row sending, its attempt counted and its lease set; false
 * when a BEFORE trigger skipped it (then it is not claimed).
 */
static bool
mark_sending(Claim *c, TupleTableSlot *locked, TupleTableSlot *updated, int lease_ms)
{
	int			natts = RelationGetDescr(c->outbox)->natts;
	bool		isnull;
	int32		attempts;

	slot_getallattrs(locked);
	ExecClearTuple(updated);
	memcpy(updated->tts_values, locked->tts_values, natts * sizeof(Datum));
	memcpy(updated->tts_isnull, locked->tts_isnull, natts * sizeof(bool));
	attempts = DatumGetInt32(slot_getattr(locked, c->oc[OC_ATTEMPTS], &isnull));
	updated->tts_values[c->oc[OC_STATUS] - 1] = ObjectIdGetDatum(c->status_sending);
	updated->tts_values[c->oc[OC_ATTEMPTS] - 1] = Int32GetDatum(attempts + 1);
	updated->tts_isnull[c->oc[OC_ATTEMPTS] - 1] = false;
	updated->tts_values[c->oc[OC_LEASE_UNTIL] - 1] =
		TimestampTzGetDatum(TimestampTzPlusMilliseconds(c->now, lease_ms));
	updated->tts_isnull[c->oc[OC_LEASE_UNTIL] - 1] = false;
	ExecStoreVirtualTuple(updated);
	return zt_update_locked_row(c->rri, c->estate, &c->epq, &locked->tts_tid, updated, NULL);
}

/* A text Datum copied into cxt as a C string. */
static char *
text_copy(Datum d, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	char	   *s = TextDatumGetCString(d);

	MemoryContextSwitchTo(old);
	return s;
}

/* A text column of a slot copied into cxt; NULL for NULL. */
static char *
text_column(TupleTableSlot *slot, AttrNumber att, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return isnull ? NULL : text_copy(d, cxt);
}

/* The name of an enum value (channel, kind), read once per claim. */
static const char *
enum_name(Claim *c, Oid value)
{
	const char *name;

	for (int i = 0; i < c->nenum_names; i++)
		if (c->enum_names[i].oid == value)
			return c->enum_names[i].name;
	name = zt_enum_label_name(value);
	if (c->nenum_names < (int) lengthof(c->enum_names))
		c->enum_names[c->nenum_names++] = (NameMemo)
		{
			value, (char *) name
		};
	return name;
}

/* The label of a stage in zalo_tthc.stage_info, NULL if it has none; once per claim. */
static const char *
stage_label(Claim *c, Oid stage)
{
	char	   *label = NULL;

	for (int i = 0; i < c->nlabels; i++)
		if (c->labels[i].oid == stage)
			return c->labels[i].name;
	if (zt_probe_one(&c->stage_info, ObjectIdGetDatum(stage), F_ENUM_EQ))
		label = text_column(c->stage_info.slot, c->stage_label_att, CurrentMemoryContext);
	if (c->nlabels < ZT_MAX_STAGES)
		c->labels[c->nlabels++] = (NameMemo)
		{
			stage, label
		};
	return label;
}

/*
 * The values of a stage notification's template, copied into cxt; NULL
 * when its dossier or event is gone or its stage has no label, as for a
 * chat message.
 */
static ZtValue *
stage_values(Claim *c, bool have_dossier, Datum event_id, MemoryContext cxt)
{
	Datum		values[ZT_VF_COUNT];
	bool		isnull[ZT_VF_COUNT];
	char	   *texts[ZT_TEMPLATE_VALUE_COUNT];
	const char *label;
	bool		null_stage;
	ZtValue    *out;

	if (!zt_probe_one(&c->event, event_id, F_INT8EQ))
		return NULL;
	label = stage_label(c, DatumGetObjectId(slot_getattr(c->event.slot, c->event_stage_att, &null_stage)));
	if (label == NULL)
		return NULL;
	for (int f = 0; f < ZT_VF_STAGE_LABEL; f++)
	{
		if (f < ZT_VF_FIRST_EVENT_FIELD)
		{
			isnull[f] = true;
			if (have_dossier)
				values[f] = slot_getattr(c->dossier.slot, c->value_att[f], &isnull[f]);
		}
		else
			values[f] = slot_getattr(c->event.slot, c->value_att[f], &isnull[f]);
	}
	values[ZT_VF_STAGE_LABEL] = CStringGetTextDatum(label);
	isnull[ZT_VF_STAGE_LABEL] = false;
	/* made in the transaction's memory, which the commit frees */
	zt_template_value_texts(values, isnull, texts);
	out = MemoryContextAlloc(cxt, sizeof(ZtValue) * ZT_TEMPLATE_VALUE_COUNT);
	for (int i = 0; i < ZT_TEMPLATE_VALUE_COUNT; i++)
	{
		out[i].name = zt_template_value_names[i];
		out[i].text = texts[i] ? MemoryContextStrdup(cxt, texts[i]) : NULL;
	}
	return out;
}

/* A copy of s in cxt, NULL for NULL. */
static char *
copy_or_null(const char *s, MemoryContext cxt)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

/*
 * Fill a claimed row from its updated outbox row and the rows it names:
 * the dossier, the stage event, the linked follower and the receipt file.
 */
static void
read_claimed_row(Claim *c, TupleTableSlot *row, ZtClaimedRow *out, MemoryContext cxt)
{
	bool		isnull;
	bool		have_dossier = false;
	Datum		d;

	slot_getallattrs(row);
	out->outbox_id = DatumGetInt64(slot_getattr(row, c->oc[OC_ID], &isnull));
	out->attempt = DatumGetInt32(slot_getattr(row, c->oc[OC_ATTEMPTS], &isnull));
	out->kind = MemoryContextStrdup(cxt, enum_name(c, DatumGetObjectId(slot_getattr(row, c->oc[OC_KIND], &isnull))));
	out->channel = MemoryContextStrdup(cxt, enum_name(c, DatumGetObjectId(slot_getattr(row, c->oc[OC_CHANNEL], &isnull))));
	out->idempotency_key = text_column(row, c->oc[OC_IDEMPOTENCY_KEY], cxt);

	d = slot_getattr(row, c->oc[OC_PAYLOAD], &isnull);
	if (!isnull)
	{
		Jsonb	   *payload = DatumGetJsonbP(d);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		/* as payload::text writes it */
		out->payload = JsonbToCString(NULL, &payload->root, VARSIZE(payload));
		MemoryContextSwitchTo(old);
	}

	d = slot_getattr(row, c->oc[OC_RECIPIENT_ID], &isnull);
	if (!isnull && zt_probe_one(&c->recipient, d, F_INT8EQ))
	{
		out->user_id = text_column(c->recipient.slot, c->recipient_user_att, cxt);
		d = slot_getattr(c->recipient.slot, c->recipient_followed_att, &isnull);
		out->followed = !isnull && DatumGetBool(d);
	}

	d = slot_getattr(row, c->oc[OC_DOSSIER_ID], &isnull);
	if (!isnull && zt_probe_one(&c->dossier, d, F_INT8EQ))
	{
		char	   *phone = text_column(c->dossier.slot, c->dossier_phone_att, CurrentMemoryContext);

		have_dossier = true;
		/* stored as +84 and nine digits; Zalo wants 84 and the nine digits */
		if (phone != NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			out->phone = psprintf("84%s", strlen(phone) > 3 ? phone + 3 : "");
			MemoryContextSwitchTo(old);
		}
		out->code = text_column(c->dossier.slot, c->value_att[ZT_VF_CODE], cxt);
		if (strcmp(out->kind, "receipt_file") == 0)
		{
			zt_probe(&c->document, d, F_INT8EQ);
			while (zt_probe_next(&c->document))
			{
				char	   *kind = text_column(c->document.slot, c->document_kind_att, CurrentMemoryContext);
				bytea	   *content;

				if (kind == NULL || strcmp(kind, "receipt") != 0)
					continue;
				out->file_name = text_column(c->document.slot, c->document_name_att, cxt);
				content = DatumGetByteaPP(slot_getattr(c->document.slot, c->document_content_att, &isnull));
				out->file_len = VARSIZE_ANY_EXHDR(content);
				out->file_data = MemoryContextAlloc(cxt, Max(out->file_len, 1));
				memcpy(out->file_data, VARDATA_ANY(content), out->file_len);
				break;
			}
		}
	}

	d = slot_getattr(row, c->oc[OC_STAGE], &isnull);
	if (!isnull)
	{
		const ZtStageTemplate *t = zt_stage_template(DatumGetObjectId(d));

		if (t != NULL)
		{
			out->header = copy_or_null(t->header, cxt);
			out->body = copy_or_null(t->body, cxt);
			out->table_rows = copy_or_null(t->table_rows, cxt);
			out->buttons = copy_or_null(t->buttons, cxt);
			out->status_style = copy_or_null(t->status_style, cxt);
			out->template_id = copy_or_null(t->template_id, cxt);
			out->template_params = copy_or_null(t->template_params, cxt);
		}
	}

	d = slot_getattr(row, c->oc[OC_EVENT_ID], &isnull);
	if (!isnull)
		out->values = stage_values(c, have_dossier, d, cxt);
	out->n_values = out->values ? ZT_TEMPLATE_VALUE_COUNT : 0;
}

/* qsort order of claimed rows: by outbox id */
static int
by_outbox_id(const void *a, const void *b)
{
	int64		x = ((const ZtClaimedRow *) a)->outbox_id;
	int64		y = ((const ZtClaimedRow *) b)->outbox_id;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Claim up to limit due notifications, in the order of outbox_claim_idx
 * (next_attempt_at, id), each with a lease of lease_ms; the rows are
 * copied into the caller's memory context, in id order.  Returns how many.
 */
int
zt_claim_batch(int limit, int lease_ms, ZtClaimedRow **rows)
{
	MemoryContext cxt = CurrentMemoryContext;
	Claim		c;
	IndexScanDesc due;
	ScanKeyData key;
	TupleTableSlot *found;
	TupleTableSlot *locked;
	TupleTableSlot *updated;
	int			n = 0;

	*rows = MemoryContextAllocZero(cxt, sizeof(ZtClaimedRow) * Max(limit, 1));
	zt_worker_begin("zalo_tthc: claiming notifications");
	begin_claim(&c, true);
	found = table_slot_create(c.outbox, &c.estate->es_tupleTable);
	locked = table_slot_create(c.outbox, &c.estate->es_tupleTable);
	updated = ExecInitExtraTupleSlot(c.estate, RelationGetDescr(c.outbox), &TTSOpsVirtual);

	/* a template edit that committed before a change claimed here is in the copy */
	zt_stage_templates_load();

	due = index_beginscan(c.outbox, c.claim_index, c.snapshot, 1, 0);
	ScanKeyInit(&key, 1, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(c.now));
	index_rescan(due, &key, 1, NULL, 0);
	while (n < limit && index_getnext_slot(due, ForwardScanDirection, found))
	{
		CHECK_FOR_INTERRUPTS();
		if (!due_now(&c, found) || !first_open_of_its_dossier(&c, found))
			continue;
		if (!lock_due_row(&c, found, locked))
			continue;
		if (!mark_sending(&c, locked, updated, lease_ms))
			continue;
		read_claimed_row(&c, updated, &(*rows)[n], cxt);
		n++;
	}
	index_endscan(due);

	end_claim(&c);
	zt_worker_end();
	qsort(*rows, n, sizeof(ZtClaimedRow), by_outbox_id);
	return n;
}

/*
 * The earliest time a claimable notification is due; false if none.  A
 * notification waiting behind an earlier one of its dossier does not count:
 * the earlier one's retry time does.  *lease_end is the earliest end of a
 * lease of a notification being sent (0 if none).
 */
bool
zt_next_due(TimestampTz *when, TimestampTz *lease_end)
{
	Claim		c;
	IndexScanDesc queue;
	TupleTableSlot *row;
	bool		found = false;
	bool		isnull;
	Datum		d;

	zt_worker_begin("zalo_tthc: next due notification");
	begin_claim(&c, false);
	row = table_slot_create(c.outbox, &c.estate->es_tupleTable);
	queue = index_beginscan(c.outbox, c.claim_index, c.snapshot, 0, 0);
	index_rescan(queue, NULL, 0, NULL, 0);
	while (!found && index_getnext_slot(queue, ForwardScanDirection, row))
	{
		Oid			status = DatumGetObjectId(slot_getattr(row, c.oc[OC_STATUS], &isnull));

		CHECK_FOR_INTERRUPTS();
		if (status != c.status_pending && status != c.status_failed)
			continue;
		d = slot_getattr(row, c.oc[OC_NEXT_ATTEMPT_AT], &isnull);
		if (isnull || !first_open_of_its_dossier(&c, row))
			continue;
		*when = DatumGetTimestampTz(d);
		found = true;
	}
	index_endscan(queue);

	/* the notifications being sent: a few batches at most */
	*lease_end = 0;
	queue = index_beginscan(c.outbox, c.sending_index, c.snapshot, 0, 0);
	index_rescan(queue, NULL, 0, NULL, 0);
	while (index_getnext_slot(queue, ForwardScanDirection, row))
	{
		CHECK_FOR_INTERRUPTS();
		if (DatumGetObjectId(slot_getattr(row, c.oc[OC_STATUS], &isnull)) != c.status_sending)
			continue;
		d = slot_getattr(row, c.oc[OC_LEASE_UNTIL], &isnull);
		if (!isnull && (*lease_end == 0 || DatumGetTimestampTz(d) < *lease_end))
			*lease_end = DatumGetTimestampTz(d);
	}
	index_endscan(queue);
	end_claim(&c);
	zt_worker_end();
	return found;
}
