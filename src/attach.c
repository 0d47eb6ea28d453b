/*
 * attach.c
 *		The trigger that attach() and attach_steps() put on an application's
 *		own tables, and the backfill of an attached dossier table.
 *
 * A changed row of an attached dossier table is mapped (columns, status
 * value to stage) and written into zalo_tthc.dossier keyed by its code;
 * the dossier's own triggers record the stage change and queue the
 * notification, so attached and built-in dossiers share one path.  A row
 * inserted into an attached table of steps is a stage change of the
 * attached dossier with its code.
 *
 * The application is the authority and its write must never fail for
 * zalo_tthc's rules: a status with no mapping, a landline or a malformed
 * CCCD, an empty name are recorded in attachment_problem and the rest goes
 * on (a phone or ID number that does not validate is not copied).  While
 * the dossier row is written, zt_attached_write tells the dossier triggers
 * to record, not refuse, what only the application can decide (a
 * transition the model does not list, a missing note).  Only a failure to
 * write zalo_tthc's own rows fails the application's transaction.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "attach.h"
#include "outbox.h"
#include "pg_compat.h"
#include "queue_access.h"
#include "settings.h"
#include "validate.h"

bool		zt_attached_write = false;

/* The zalo_tthc fields an attached table may map. */
typedef enum AttachedField
{
	AF_CODE,
	AF_STAGE,					/* the status column; for steps the step column */
	AF_APPLICANT_NAME,
	AF_APPLICANT_ID_NUMBER,
	AF_APPLICANT_PHONE,
	AF_PROCEDURE_NAME,
	AF_FIELD_NAME,
	AF_AGENCY_NAME,
	AF_RECEIVING_UNIT,
	AF_SUBMITTED_AT,
	AF_DUE_AT,
	AF_STAGE_NOTE,
	AF_STAGE_ACTOR,
	AF_COUNT
} AttachedField;

static const char *const field_names[AF_COUNT] = {
	"code", "stage", "applicant_name", "applicant_id_number", "applicant_phone",
	"procedure_name", "field_name", "agency_name", "receiving_unit",
	"submitted_at", "due_at", "stage_note", "stage_actor"
};

/* One attached table, as attachment describes it. */
typedef struct Attachment
{
	Oid			relid;
	bool		steps;
	char	   *source;			/* its name, for problems */
	AttrNumber	att[AF_COUNT];	/* 0: not mapped */
	int			nvalues;
	char	  **values;			/* status or step values, as text */
	char	  **stages;			/* and their stages */
} Attachment;

/* Attachments read in this backend; forgotten at any relcache change of the table. */
static Attachment *attachments = NULL;
static int	n_attachments = 0;
static bool callback_registered = false;

/* The problems of the row being copied. */
typedef struct Problem
{
	const char *field;
	char	   *text;
} Problem;

static List *problems = NIL;

/*
 * zalo_tthc.dossier as the copy of an attached row updates it, resolved
 * once per backend and forgotten at any relcache change of the table or
 * its code index (see update_copy).
 */
typedef struct CopyTarget
{
	bool		valid;
	MemoryContext cxt;
	Oid			relid;
	Oid			code_index;		/* unique, on code alone */
	Oid			stage_type;
	Oid			key_hash_fn;	/* zalo_tthc.lookup_key_hash(text) */
	AttrNumber	att[AF_COUNT];	/* the dossier column of each field: same names */
	AttrNumber	source_att;
	AttrNumber	id_key_att;
	AttrNumber	id_last4_att;
	Bitmapset  *updated_cols;	/* the columns set, for UPDATE OF triggers */
	ZtPreparedChecks checks;
} CopyTarget;

static CopyTarget copy_target;
static uint64 copy_target_invalidations = 0;	/* counted while not valid */

static void
attachments_invalidate(Datum arg, Oid relid)
{
	for (int i = 0; i < n_attachments; i++)
		if (relid == InvalidOid || attachments[i].relid == relid)
			attachments[i].relid = InvalidOid;
	if (!copy_target.valid)
		copy_target_invalidations++;
	else if (relid == InvalidOid || relid == copy_target.relid || relid == copy_target.code_index)
		copy_target.valid = false;
}

static void
register_invalidation_callback(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(attachments_invalidate, (Datum) 0);
		callback_registered = true;
	}
}

/* Read the attachment of a table (SPI connected); NULL if it has none. */
static Attachment *
attachment_of(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	Attachment *a = NULL;
	MemoryContext old;

	for (int i = 0; i < n_attachments; i++)
		if (attachments[i].relid == relid)
			return &attachments[i];
	register_invalidation_callback();

	if (SPI_execute_with_args("SELECT a.kind = 'steps', c.key, c.value FROM zalo_tthc.attachment a, "
							  "jsonb_each_text(a.columns) c WHERE a.source = $1",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.attachment");
	if (SPI_processed == 0)
		return NULL;

	for (int i = 0; i < n_attachments && a == NULL; i++)
		if (attachments[i].relid == InvalidOid)
			a = &attachments[i];
	if (a == NULL)
	{
		attachments = attachments == NULL ?
			MemoryContextAllocZero(TopMemoryContext, sizeof(Attachment)) :
			repalloc(attachments, sizeof(Attachment) * (n_attachments + 1));
		a = &attachments[n_attachments++];
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	memset(a, 0, sizeof(*a));
	a->source = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
										   RelationGetRelationName(rel));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		char	   *key = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
		char	   *column = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 3);

		a->steps = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		if (strcmp(key, "step") == 0)
			key = "stage";
		for (int f = 0; f < AF_COUNT; f++)
			if (strcmp(key, field_names[f]) == 0)
				a->att[f] = SPI_fnumber(RelationGetDescr(rel), column);
	}
	MemoryContextSwitchTo(old);

	if (SPI_execute_with_args("SELECT s.key, s.value FROM zalo_tthc.attachment a, jsonb_each_text(a.stages) s "
							  "WHERE a.source = $1", 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.attachment");
	old = MemoryContextSwitchTo(TopMemoryContext);
	a->nvalues = (int) SPI_processed;
	a->values = palloc(sizeof(char *) * Max(a->nvalues, 1));
	a->stages = palloc(sizeof(char *) * Max(a->nvalues, 1));
	for (int r = 0; r < a->nvalues; r++)
	{
		a->values[r] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		a->stages[r] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
	}
	MemoryContextSwitchTo(old);
	a->relid = relid;
	return a;
}

static void add_problem(const char *field, const char *fmt, va_list args_in) pg_attribute_printf(2, 0);

/* Add a problem of the row being copied. */
static void
add_problem(const char *field, const char *fmt, va_list args_in)
{
	Problem    *p;
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_copy(args, args_in);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	p = palloc(sizeof(Problem));
	p->field = field;
	p->text = buf.data;
	problems = lappend(problems, p);
}

static void note_problem(const char *field, const char *fmt,...) pg_attribute_printf(2, 3);

/* A problem this file found in the row being copied. */
static void
note_problem(const char *field, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	add_problem(field, fmt, args);
	va_end(args);
}

/*
 * A problem the dossier triggers found while an attached row is written
 * (a no-op for any other write: those fail instead).
 */
void
zt_attach_note_problem(const char *field, const char *fmt,...)
{
	va_list		args;

	if (!zt_attached_write)
		return;
	va_start(args, fmt);
	add_problem(field, fmt, args);
	va_end(args);
}

/* Write the noted problems of a row into attachment_problem. */
static void
write_problems(const Attachment *a, const char *code)
{
	static SPIPlanPtr plan = NULL;
	ListCell   *lc;

	if (problems == NIL)
		return;
	if (plan == NULL)
	{
		Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};

		plan = SPI_prepare("INSERT INTO zalo_tthc.attachment_problem (source, dossier_code, field, problem) "
						   "VALUES ($1, $2, $3, $4)", 4, types);
		if (plan == NULL)
			elog(ERROR, "could not prepare the problem insert: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	foreach(lc, problems)
	{
		Problem    *p = lfirst(lc);
		Datum		args[4];
		char		nulls[4] = {' ', code ? ' ' : 'n', ' ', ' '};

		args[0] = CStringGetTextDatum(a->source);
		args[1] = code ? CStringGetTextDatum(code) : (Datum) 0;
		args[2] = CStringGetTextDatum(p->field);
		args[3] = CStringGetTextDatum(p->text);
		if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record a problem of an attached table");
	}
	problems = NIL;
}

/* A mapped column as text; NULL when unmapped or NULL. */
static char *
field_text(const Attachment *a, AttachedField f, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		d;
	Oid			typoutput;
	bool		varlena;

	if (a->att[f] <= 0)
		return NULL;
	d = heap_getattr(tup, a->att[f], desc, &isnull);
	if (isnull)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(desc, a->att[f] - 1)->atttypid, &typoutput, &varlena);
	return OidOutputFunctionCall(typoutput, d);
}

/* A mapped date or timestamp column as timestamptz; attach() checked its type. */
static bool
field_time(const Attachment *a, AttachedField f, HeapTuple tup, TupleDesc desc, Datum *out)
{
	bool		isnull;
	Datum		d;
	Oid			typid;

	if (a->att[f] <= 0)
		return false;
	d = heap_getattr(tup, a->att[f], desc, &isnull);
	if (isnull)
		return false;
	typid = TupleDescAttr(desc, a->att[f] - 1)->atttypid;
	if (typid == DATEOID)
		*out = DirectFunctionCall1(date_timestamptz, d);
	else if (typid == TIMESTAMPOID)
		*out = DirectFunctionCall1(timestamp_timestamptz, d);
	else
		*out = d;
	return true;
}

/* The mapped fields a change touched, one bit per AttachedField. */
typedef uint32 ChangedFields;

#define ALL_FIELDS_CHANGED ((ChangedFields) ((1U << AF_COUNT) - 1))
#define FIELD_CHANGED(changed, f) (((changed) & (1U << (f))) != 0)

/* The mapped fields whose column has another value in newtup than in oldtup. */
static ChangedFields
changed_fields(const Attachment *a, HeapTuple oldtup, HeapTuple newtup, TupleDesc desc)
{
	ChangedFields changed = 0;

	for (int f = 0; f < AF_COUNT; f++)
	{
		Form_pg_attribute att;
		bool		oldnull;
		bool		newnull;
		Datum		o;
		Datum		n;

		if (a->att[f] <= 0)
			continue;
		att = TupleDescAttr(desc, a->att[f] - 1);
		o = heap_getattr(oldtup, a->att[f], desc, &oldnull);
		n = heap_getattr(newtup, a->att[f], desc, &newnull);
		if (oldnull != newnull || (!oldnull && !datumIsEqual(o, n, att->attbyval, att->attlen)))
			changed |= 1U << f;
	}
	return changed;
}

/* The stage of a status or step value, NULL if it has none. */
static const char *
mapped_stage(const Attachment *a, const char *value)
{
	for (int i = 0; value && i < a->nvalues; i++)
		if (strcmp(a->values[i], value) == 0)
			return a->stages[i];
	return NULL;
}

/* The last three characters of a value, for a problem that must not show it whole. */
static const char *
tail3(const char *s)
{
	size_t		len = strlen(s);

	return len > 3 ? s + len - 3 : "";
}

/* The dossier code of a row, normalised; NULL (with a problem) if unusable. */
static char *
row_code(const Attachment *a, HeapTuple tup, TupleDesc desc, char **raw, bool *standard)
{
	char	   *code = field_text(a, AF_CODE, tup, desc);
	char	   *out;
	size_t		outlen;
	ZtCodeResult r;

	*raw = code;
	if (code == NULL)
	{
		note_problem("code", "no dossier code: the row is not recorded");
		return NULL;
	}
	out = palloc(strlen(code) + 1);
	r = zt_check_dossier_code(code, strlen(code), out, &outlen);
	if (r != ZT_CODE_STANDARD && r != ZT_CODE_NONSTANDARD)
	{
		note_problem("code", "the dossier code cannot be used (%s): the row is not recorded",
							   r == ZT_CODE_EMPTY ? "empty" : r == ZT_CODE_TOO_LONG ? "too long" :
							   r == ZT_CODE_TOO_SHORT ? "too short" :
							   r == ZT_CODE_BAD_DATE ? "an impossible date" : "a character a code cannot hold");
		return NULL;
	}
	out[outlen] = '\0';
	*standard = r == ZT_CODE_STANDARD;
	return out;
}

/* Resolve copy_target: columns, the code index, the CHECK constraints prepared as ExecRelCheck would. */
static void
read_copy_target(void)
{
	Oid			nsp = get_namespace_oid("zalo_tthc", false);
	Oid			argtype = TEXTOID;
	Relation	rel;
	List	   *indexes;
	ListCell   *lc;
	MemoryContext old;
	CopyTarget *t = &copy_target;

	if (t->cxt == NULL)
		t->cxt = AllocSetContextCreate(CacheMemoryContext, "zalo_tthc attached copy", ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(t->cxt);
	old = MemoryContextSwitchTo(t->cxt);

	t->relid = get_relname_relid("dossier", nsp);
	if (!OidIsValid(t->relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"zalo_tthc.dossier\" does not exist")));
	for (int f = 0; f < AF_COUNT; f++)
		t->att[f] = zt_column_number(t->relid, "dossier", field_names[f]);
	t->source_att = zt_column_number(t->relid, "dossier", "source");
	t->id_key_att = zt_column_number(t->relid, "dossier", "applicant_id_key");
	t->id_last4_att = zt_column_number(t->relid, "dossier", "applicant_id_last4");
	t->stage_type = get_atttype(t->relid, t->att[AF_STAGE]);
	t->key_hash_fn = LookupFuncName(list_make2(makeString("zalo_tthc"), makeString("lookup_key_hash")),
									1, &argtype, false);
	t->updated_cols = NULL;
	for (int f = AF_STAGE; f < AF_COUNT; f++)
		t->updated_cols = bms_add_member(t->updated_cols, t->att[f] - FirstLowInvalidHeapAttributeNumber);
	t->updated_cols = bms_add_member(t->updated_cols, t->id_key_att - FirstLowInvalidHeapAttributeNumber);
	t->updated_cols = bms_add_member(t->updated_cols, t->id_last4_att - FirstLowInvalidHeapAttributeNumber);

	rel = table_open(t->relid, AccessShareLock);
	t->code_index = InvalidOid;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ix = index->rd_index;

		if (ix->indisunique && ix->indisvalid && ix->indnatts == 1 &&
			ix->indkey.values[0] == t->att[AF_CODE] &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL) &&
			heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL))
			t->code_index = lfirst_oid(lc);
		index_close(index, AccessShareLock);
	}
	if (!OidIsValid(t->code_index))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("zalo_tthc.dossier has no unique index on code"),
				 errhint("Reinstall the extension: ALTER EXTENSION zalo_tthc UPDATE, or drop and create it.")));
	zt_prepare_checks(rel, &t->checks);
	table_close(rel, AccessShareLock);
	MemoryContextSwitchTo(old);
}

/*
 * Resolve copy_target once per backend and table change; an invalidation
 * that arrives while it is read makes it read again.
 */
static void
load_copy_target(void)
{
	register_invalidation_callback();
	while (!copy_target.valid)
	{
		uint64		seen = copy_target_invalidations;

		read_copy_target();
		copy_target.valid = (seen == copy_target_invalidations);
	}
}

/* What update_copy found. */
typedef enum CopyResult
{
	COPY_UPDATED,
	COPY_NOT_FOUND,
	COPY_OTHER_SOURCE			/* the code's dossier is not this table's */
} CopyResult;

/* A text argument of copy_dossier_row, or NULL. */
#define COPY_ARG_NULL(i) (nulls[(i)] == 'n')

/*
 * The copy's new values (see copy_dossier_row for args): the mapped fields,
 * the stage only when the status changed, the dates only when given, the
 * keyed hash of the ID number only for another number.
 */
static void
set_copy_values(TupleTableSlot *slot, const Datum *args, const char *nulls)
{
	const CopyTarget *t = &copy_target;
	Datum	   *v = slot->tts_values;
	bool	   *n = slot->tts_isnull;

	if (DatumGetBool(args[16]))
	{
		char	   *label = TextDatumGetCString(args[1]);
		Oid			stage = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
											ObjectIdGetDatum(t->stage_type), CStringGetDatum(label));

		if (!OidIsValid(stage))
			elog(ERROR, "zalo_tthc.stage has no value \"%s\"", label);
		v[t->att[AF_STAGE] - 1] = ObjectIdGetDatum(stage);
		n[t->att[AF_STAGE] - 1] = false;
	}
	for (int f = AF_APPLICANT_NAME, i = 2; f <= AF_RECEIVING_UNIT; f++, i++)
	{
		bool		dash = COPY_ARG_NULL(i) && (f == AF_APPLICANT_NAME || f == AF_PROCEDURE_NAME);

		v[t->att[f] - 1] = dash ? CStringGetTextDatum("-") : args[i];
		n[t->att[f] - 1] = COPY_ARG_NULL(i) && !dash;
	}
	if (!COPY_ARG_NULL(9))
	{
		v[t->att[AF_SUBMITTED_AT] - 1] = args[9];
		n[t->att[AF_SUBMITTED_AT] - 1] = false;
	}
	if (!COPY_ARG_NULL(10))
	{
		v[t->att[AF_DUE_AT] - 1] = args[10];
		n[t->att[AF_DUE_AT] - 1] = false;
	}
	v[t->att[AF_STAGE_NOTE] - 1] = args[11];
	n[t->att[AF_STAGE_NOTE] - 1] = COPY_ARG_NULL(11);
	v[t->att[AF_STAGE_ACTOR] - 1] = args[13];
	n[t->att[AF_STAGE_ACTOR] - 1] = false;

	if (COPY_ARG_NULL(14))
	{
		n[t->id_key_att - 1] = true;
		n[t->id_last4_att - 1] = true;
	}
	else
	{
		char	   *id = TextDatumGetCString(args[14]);
		char	   *last4 = id + strlen(id) - 4;	/* 9 or 12 digits */
		bool		same_number = !DatumGetBool(args[15]) && !n[t->id_last4_att - 1] &&
			strcmp(TextDatumGetCString(v[t->id_last4_att - 1]), last4) == 0;

		/* the hash again only for another number: the save changed it, or the copy has another */
		if (!same_number)
		{
			v[t->id_key_att - 1] = OidFunctionCall1(t->key_hash_fn, args[14]);
			n[t->id_key_att - 1] = false;
		}
		v[t->id_last4_att - 1] = CStringGetTextDatum(last4);
		n[t->id_last4_att - 1] = false;
	}
}

/*
 * Update the copy of an attached row in place, through the executor's
 * single-row update (the one logical replication uses, as outbox.c does
 * for its inserts): the dossier's row triggers, CHECK constraints and
 * indexes apply as to an UPDATE statement, without planning and starting
 * one for every save of the application.  The row is found by the code
 * index and locked first (waiting for, then following, a concurrent
 * update), so the update itself cannot meet one.
 */
static CopyResult
update_copy(const Attachment *a, const Datum *args, const char *nulls)
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *search;
	TupleTableSlot *found;
	CopyResult	result = COPY_NOT_FOUND;
	int			natts;

	load_copy_target();
	rel = table_open(copy_target.relid, RowExclusiveLock);
	if (!copy_target.valid)
	{
		load_copy_target();
		if (copy_target.relid != RelationGetRelid(rel))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("zalo_tthc.dossier was replaced during a change of an attached table"),
					 errhint("Retry the transaction.")));
	}
	natts = RelationGetDescr(rel)->natts;

	/* what this trigger wrote before (as SPI would) is seen */
	CommandCounterIncrement();
	estate = CreateExecutorState();
	estate->es_snapshot = GetActiveSnapshot();
	/* also where the AFTER triggers look for it (closed with its indexes below) */
	rri = zt_updating_result_relation(estate, rel, copy_target.updated_cols);
	rri->ri_ConstraintExprs = zt_prepared_checks(rel, &copy_target.checks);
	AfterTriggerBeginQuery();

	search = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
	ExecClearTuple(search);
	memset(search->tts_isnull, true, natts * sizeof(bool));
	search->tts_values[copy_target.att[AF_CODE] - 1] = args[0];
	search->tts_isnull[copy_target.att[AF_CODE] - 1] = false;
	ExecStoreVirtualTuple(search);
	found = table_slot_create(rel, &estate->es_tupleTable);
	if (RelationFindReplTupleByIndex(rel, copy_target.code_index, LockTupleExclusive, search, found))
	{
		bool		isnull;
		Datum		source;

		slot_getallattrs(found);
		source = slot_getattr(found, copy_target.source_att, &isnull);
		if (isnull || DatumGetObjectId(source) != a->relid)
			result = COPY_OTHER_SOURCE;
		else
		{
			TupleTableSlot *slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
			EPQState	epq;

			ExecClearTuple(slot);
			memcpy(slot->tts_values, found->tts_values, natts * sizeof(Datum));
			memcpy(slot->tts_isnull, found->tts_isnull, natts * sizeof(bool));
			set_copy_values(slot, args, nulls);
			ExecStoreVirtualTuple(slot);
			zt_eval_plan_qual_init(&epq, estate);
			ExecSimpleRelationUpdate(rri, estate, &epq, found, slot);
			EvalPlanQualEnd(&epq);
			result = COPY_UPDATED;
		}
	}

	AfterTriggerEndQuery(estate);
	ExecCloseResultRelations(estate);
	ExecCloseRangeTableRelations(estate);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	return result;
}

/*
 * Write the dossier row of an attached dossier table's row (SPI connected).
 * changed: the fields an UPDATE changed, all of them for a new row or a
 * backfill.  A value the UPDATE did not change is not reported again (it was when it was
 * written), the keyed hash of an unchanged ID number is not computed again,
 * and an unchanged status leaves the dossier's stage as it is, which may be
 * a later one a table of steps set (assigned, then appraising, while the
 * status stays "being processed").
 */
static void
copy_dossier_row(const Attachment *a, ChangedFields changed, HeapTuple tup, TupleDesc desc, const char *actor,
				 const char **code_out)
{
	static SPIPlanPtr insert_plan = NULL;
	volatile bool inserted = false;
	volatile bool other_source = false;
	bool		code_standard;

	/*
	 * The copy's values, numbered as the INSERT below numbers them ($1 is
	 * args[0]): 0 code, 1 stage, 2-8 applicant_name, applicant_id_number
	 * (always NULL: not copied), applicant_phone, procedure_name,
	 * field_name, agency_name, receiving_unit, 9 submitted_at, 10 due_at,
	 * 11 stage_note, 12 source, 13 actor, 14 the ID number (for its keyed
	 * hash and last 4 digits), 15 the ID number changed, 16 the status
	 * changed.
	 */
	Datum		args[17];
	char		nulls[17];
	char	   *raw_code;
	char	   *code = row_code(a, tup, desc, &raw_code, &code_standard);
	char	   *status = field_text(a, AF_STAGE, tup, desc);
	const char *stage = mapped_stage(a, status);
	char	   *text;
	Datum		t;

	*code_out = code ? code : raw_code;
	if (code == NULL)
		return;
	if (stage == NULL)
	{
		if (FIELD_CHANGED(changed, AF_STAGE))
			note_problem("stage", "status value %s has no mapping: the change is not recorded",
						 status ? quote_literal_cstr(status) : "NULL");
		return;
	}
	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(code);
	args[1] = CStringGetTextDatum(stage);

	for (int f = AF_APPLICANT_NAME, i = 2; f <= AF_RECEIVING_UNIT; f++, i++)
	{
		bool		report = FIELD_CHANGED(changed, f);

		text = field_text(a, f, tup, desc);
		if (text != NULL && f == AF_APPLICANT_ID_NUMBER)
		{
			char	   *out = palloc(strlen(text) + 1);
			size_t		outlen;
			ZtIdResult r = zt_check_id_number(text, strlen(text), out, &outlen);

			if (r == ZT_ID_CCCD || r == ZT_ID_CMND)
			{
				out[outlen] = '\0';
				text = out;
			}
			else
			{
				if (r != ZT_ID_EMPTY && report)
					note_problem("applicant_id_number",
										   "not a 9-digit CMND or a 12-digit CCCD (%s, %d characters): not copied",
										   r == ZT_ID_NOT_DIGITS ? "not only digits" : "wrong length",
										   (int) strlen(text));
				text = NULL;
			}
		}
		else if (text != NULL && f == AF_APPLICANT_PHONE)
		{
			char		out[ZT_PHONE_LEN + 1];
			size_t		outlen;
			ZtPhoneResult r = zt_check_phone(text, strlen(text), out, &outlen);

			if (r == ZT_PHONE_MOBILE)
			{
				out[outlen] = '\0';
				text = pstrdup(out);
			}
			else
			{
				if (r != ZT_PHONE_EMPTY && report)
					note_problem("applicant_phone",
										   "%s (ending %s): not copied, so no message by phone",
										   r == ZT_PHONE_LANDLINE ? "a landline" :
										   r == ZT_PHONE_OLD_11_DIGIT ? "an 11-digit number retired in 2018" :
										   "not a Vietnamese mobile number", tail3(text));
				text = NULL;
			}
		}
		else if (text == NULL && (f == AF_APPLICANT_NAME || f == AF_PROCEDURE_NAME) && a->att[f] > 0 && report)
			note_problem(field_names[f], "empty: recorded as \"-\"");
		/* the number itself is not copied: lookups take its keyed hash ($15) */
		if (f == AF_APPLICANT_ID_NUMBER)
		{
			args[14] = text ? CStringGetTextDatum(text) : (Datum) 0;
			nulls[14] = text ? ' ' : 'n';
			text = NULL;
		}
		args[i] = text ? CStringGetTextDatum(text) : (Datum) 0;
		nulls[i] = text ? ' ' : 'n';
	}
	nulls[9] = field_time(a, AF_SUBMITTED_AT, tup, desc, &t) ? ' ' : 'n';
	args[9] = t;
	nulls[10] = field_time(a, AF_DUE_AT, tup, desc, &t) ? ' ' : 'n';
	args[10] = t;
	text = field_text(a, AF_STAGE_NOTE, tup, desc);
	args[11] = text ? CStringGetTextDatum(text) : (Datum) 0;
	nulls[11] = text ? ' ' : 'n';
	args[12] = ObjectIdGetDatum(a->relid);
	args[13] = CStringGetTextDatum(actor);
	args[15] = BoolGetDatum(FIELD_CHANGED(changed, AF_APPLICANT_ID_NUMBER));
	args[16] = BoolGetDatum(FIELD_CHANGED(changed, AF_STAGE));

	/*
	 * An update first, and an INSERT only for a new dossier: an INSERT ...
	 * ON CONFLICT would run the dossier's BEFORE INSERT trigger on every
	 * change of an existing dossier too.
	 */
	if (insert_plan == NULL)
	{
		Oid			types[17] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
			TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, OIDOID, TEXTOID, TEXTOID, BOOLOID, BOOLOID};

		insert_plan = SPI_prepare("INSERT INTO zalo_tthc.dossier (code, stage, applicant_name, applicant_id_number,"
								  "  applicant_phone, procedure_name, field_name, agency_name, receiving_unit,"
								  "  submitted_at, due_at, stage_note, stage_actor, source, applicant_id_key,"
								  "  applicant_id_last4) "
								  "VALUES ($1, $2::zalo_tthc.stage, coalesce($3, '-'), $4, $5, coalesce($6, '-'), $7,"
								  "  $8, $9, coalesce($10, now()), $11, $12, $14, $13::regclass,"
								  "  zalo_tthc.lookup_key_hash($15), right($15, 4)) "
								  "ON CONFLICT (code) DO NOTHING", 17, types);
		if (insert_plan == NULL)
			elog(ERROR, "could not prepare the copy of an attached row: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(insert_plan);
	}
	zt_attached_write = true;
	PG_TRY();
	{
		CopyResult	r = update_copy(a, args, nulls);

		if (r == COPY_NOT_FOUND)
		{
			if (SPI_execute_plan(insert_plan, args, nulls, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not copy a row of an attached table");
			inserted = SPI_processed > 0;
			/* ON CONFLICT DO NOTHING: another table's dossier took the code meanwhile */
			other_source = !inserted;
		}
		else
			other_source = (r == COPY_OTHER_SOURCE);
	}
	PG_FINALLY();
	{
		zt_attached_write = false;
	}
	PG_END_TRY();
	if (inserted && !code_standard)
		note_problem("code", "not in the national form (TT 01/2018): recorded as it is");
	if (other_source)
	{
		/* what the triggers noted of a row that was not written */
		problems = NIL;
		note_problem("code", "a dossier with this code exists in zalo_tthc.dossier and does not come from this table: not recorded");
	}
}

/* A step row: the stage change of the attached dossier with its code. */
static void
apply_step_row(const Attachment *a, HeapTuple tup, TupleDesc desc, const char *actor, const char **code_out)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	char	   *raw_code;
	bool		code_standard;
	char	   *code = row_code(a, tup, desc, &raw_code, &code_standard);
	char	   *step = field_text(a, AF_STAGE, tup, desc);
	const char *stage = mapped_stage(a, step);
	char	   *text;

	*code_out = code ? code : raw_code;
	if (code == NULL)
		return;
	if (stage == NULL)
	{
		note_problem("step", "step value %s has no mapping: no stage change",
							   step ? quote_literal_cstr(step) : "NULL");
		return;
	}
	args[0] = CStringGetTextDatum(code);
	args[1] = CStringGetTextDatum(stage);
	text = field_text(a, AF_STAGE_NOTE, tup, desc);
	args[2] = text ? CStringGetTextDatum(text) : (Datum) 0;
	nulls[2] = text ? ' ' : 'n';
	text = field_text(a, AF_STAGE_ACTOR, tup, desc);
	args[3] = CStringGetTextDatum(text ? text : actor);
	if (plan == NULL)
	{
		Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};

		plan = SPI_prepare("UPDATE zalo_tthc.dossier d SET stage = $2::zalo_tthc.stage, stage_note = $3,"
						   "  stage_actor = $4 "
						   "WHERE d.code = $1 AND d.source IS DISTINCT FROM NULL", 4, types);
		if (plan == NULL)
			elog(ERROR, "could not prepare a step of an attached table: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	zt_attached_write = true;
	PG_TRY();
	{
		if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not apply a step of an attached table");
	}
	PG_FINALLY();
	{
		zt_attached_write = false;
	}
	PG_END_TRY();
	if (SPI_processed == 0)
		note_problem("code", "no attached dossier has this code: the step changes nothing");
}

/* The owner of schema zalo_tthc, who owns its tables. */
static Oid
zalo_tthc_owner(void)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(get_namespace_oid("zalo_tthc", false)));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "schema zalo_tthc not found");
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

PG_FUNCTION_INFO_V1(zt_attached_row_changed);

/* AFTER INSERT OR UPDATE row trigger on an attached application table. */
Datum
zt_attached_row_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	newtup;
	Attachment *a;
	const char *code = NULL;
	MemoryContext cxt;
	MemoryContext old;
	Oid			save_userid;
	int			save_sec;
	char	   *actor;
	ChangedFields changed = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("zalo_tthc.attached_row_changed() must be called as an AFTER INSERT or UPDATE row trigger")));
	desc = RelationGetDescr(trigdata->tg_relation);
	newtup = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ? trigdata->tg_trigtuple : trigdata->tg_newtuple;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "zalo_tthc attached row", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	/*
	 * The application's writer has no rights on zalo_tthc's tables: the
	 * copy is written as the owner of schema zalo_tthc (an error on the
	 * way aborts the transaction, which restores the user), and the
	 * writer is the change's actor.
	 */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	actor = GetUserNameFromId(save_userid, false);
	SetUserIdAndSecContext(zalo_tthc_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	a = attachment_of(trigdata->tg_relation);
	/* a trigger left on a table nobody attached does nothing */
	if (a != NULL)
		changed = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
			changed_fields(a, trigdata->tg_trigtuple, newtup, desc) : ALL_FIELDS_CHANGED;
	/* nor does an update of columns that are not mapped */
	if (a != NULL && changed != 0)
	{
		problems = NIL;
		if (a->steps)
			apply_step_row(a, newtup, desc, actor, &code);
		else
			copy_dossier_row(a, changed, newtup, desc, actor, &code);
		write_problems(a, code);
	}
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(zt_attach_backfill);

/*
 * zalo_tthc.attach_backfill(source): record every row of an attached
 * dossier table as a bulk import (events, no notification), 1,000 rows a
 * fetch, a NOTICE every 10,000.
 */
Datum
zt_attach_backfill(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel = try_relation_open(relid, AccessShareLock);
	bool		was_bulk = zt_bulk_import;
	int64		done = 0;
	int64		total;
	Portal		portal;
	Attachment *a;
	MemoryContext row_cxt;
	bool		isnull;
	const char *actor = GetUserNameFromId(GetUserId(), false);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	a = attachment_of(rel);
	if (a == NULL || a->steps)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s is not an attached dossier table", RelationGetRelationName(rel))));
	if (SPI_execute(psprintf("SELECT count(*) FROM %s", quote_qualified_identifier(
								  get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel))),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not count the rows of %s", RelationGetRelationName(rel));
	total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	portal = SPI_cursor_open_with_args(NULL, psprintf("SELECT * FROM %s", quote_qualified_identifier(
														   get_namespace_name(RelationGetNamespace(rel)),
														   RelationGetRelationName(rel))),
									   0, NULL, NULL, NULL, true, 0);
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "zalo_tthc backfill row", ALLOCSET_SMALL_SIZES);
	zt_bulk_import = true;
	PG_TRY();
	{
		for (;;)
		{
			SPITupleTable *batch;
			uint64		n;

			SPI_cursor_fetch(portal, true, 1000);
			n = SPI_processed;
			if (n == 0)
				break;
			batch = SPI_tuptable;
			SPI_tuptable = NULL;
			for (uint64 r = 0; r < n; r++)
			{
				MemoryContext old = MemoryContextSwitchTo(row_cxt);
				const char *code = NULL;

				problems = NIL;
				copy_dossier_row(a, ALL_FIELDS_CHANGED, batch->vals[r], batch->tupdesc, actor, &code);
				write_problems(a, code);
				MemoryContextSwitchTo(old);
				MemoryContextReset(row_cxt);
				if (++done % 10000 == 0)
					ereport(NOTICE,
							(errmsg("zalo_tthc: backfill of %s: " INT64_FORMAT " of " INT64_FORMAT " rows recorded",
									RelationGetRelationName(rel), done, total)));
			}
			SPI_freetuptable(batch);
		}
	}
	PG_FINALLY();
	{
		zt_bulk_import = was_bulk;
	}
	PG_END_TRY();
	SPI_cursor_close(portal);
	SPI_finish();
	relation_close(rel, AccessShareLock);
	ereport(NOTICE,
			(errmsg("zalo_tthc: backfill of %s done: " INT64_FORMAT " rows recorded without notifying",
					RelationGetRelationName(rel), done)));
	PG_RETURN_INT64(done);
}
