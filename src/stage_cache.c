/*
 * stage_cache.c
 *		Per-session cache of the stage rules (zalo_tthc.stage_info and
 *		zalo_tthc.stage_transition), so the dossier trigger checks a stage
 *		change without running a query; and the delivery worker's copy of
 *		the stage templates (zalo_tthc.template), so its claim does not read
 *		the same rows and write their JSON out as text for every
 *		notification.
 *
 * The rules and templates are data a DBA edits.  A statement trigger on
 * each table sends a relcache invalidation for it (also while a restore
 * runs as a replica); every session's callback then marks its copy stale
 * and the next use reloads it.  Reading the tables takes in invalidations
 * itself (locking a table does): a change that commits while they are
 * read is noticed, and they are read again (with a new snapshot), instead
 * of being kept half old.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "own_tables.h"
#include "stage_cache.h"
#include "worker_txn.h"

/* Whether a copy is current, and how many invalidations of its tables came. */
typedef struct CopyState
{
	bool		valid;
	uint64		invalidations;
} CopyState;

static ZtStageRule stage_rules[ZT_MAX_STAGES];
static int	stage_rule_count = 0;
static CopyState rules_copy;
static Oid	stage_info_relid = InvalidOid;
static Oid	stage_transition_relid = InvalidOid;

static ZtStageTemplate stage_templates[ZT_MAX_STAGES];
static int	stage_template_count = 0;
static CopyState templates_copy;
static Oid	template_relid = InvalidOid;
static MemoryContext stage_template_cxt = NULL;

static void
mark_stale(CopyState *copy)
{
	copy->valid = false;
	copy->invalidations++;
}

/* Relcache callback: forget the rules or the templates when their tables change. */
static void
stage_cache_invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == stage_info_relid ||
		relid == stage_transition_relid)
		mark_stale(&rules_copy);
	if (relid == InvalidOid || relid == template_relid)
		mark_stale(&templates_copy);
}

/* Register the invalidation callback (once per process). */
void
zt_stage_cache_register(void)
{
	CacheRegisterRelcacheCallback(stage_cache_invalidate, (Datum) 0);
}

/* Position of an enum value in the loaded rules, or -1. */
static int
stage_index(Oid stage)
{
	for (int i = 0; i < stage_rule_count; i++)
		if (stage_rules[i].stage == stage)
			return i;
	return -1;
}

/* Raise an error when a table of one row per stage has more than ZT_MAX_STAGES. */
static void
check_stage_rows(const char *table, uint64 rows)
{
	if (rows > ZT_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("zalo_tthc.%s has %llu rows, more than the %d stages supported",
						table, (unsigned long long) rows, ZT_MAX_STAGES)));
}

/* Read both tables into stage_rules. */
static void
read_stage_rules(void)
{
	Oid			nsp;
	uint64		n;

	stage_rule_count = 0;

	nsp = get_namespace_oid("zalo_tthc", false);
	stage_info_relid = get_relname_relid("stage_info", nsp);
	stage_transition_relid = get_relname_relid("stage_transition", nsp);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Read with a snapshot of now, not the one of the statement that fires
	 * the trigger: a rule change that committed after that statement began
	 * may already have had its invalidation taken in, and rules read as of
	 * before it would then be kept until the next change.
	 */
	PushActiveSnapshot(GetLatestSnapshot());

	if (SPI_execute("SELECT stage, coalesce(status_code, 0)::int2, notifies, is_initial, "
					"is_final, requires_note, requires_later_due, "
					"coalesce(timestamp_column, '')::name, stage = 'received' "
					"FROM zalo_tthc.stage_info ORDER BY stage",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.stage_info");

	n = SPI_processed;
	check_stage_rows("stage_info", n);

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ZtStageRule *rule = &stage_rules[i];
		bool		isnull;

		memset(rule, 0, sizeof(*rule));
		rule->index = (int) i;
		rule->stage = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		rule->status_code = DatumGetInt16(SPI_getbinval(tup, desc, 2, &isnull));
		rule->notifies = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
		rule->is_initial = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		rule->is_final = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		rule->requires_note = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		rule->requires_later_due = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
		namestrcpy(&rule->timestamp_column,
				   NameStr(*DatumGetName(SPI_getbinval(tup, desc, 8, &isnull))));
		rule->takes_receipt = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
	}
	stage_rule_count = (int) n;

	if (SPI_execute("SELECT from_stage, to_stage FROM zalo_tthc.stage_transition",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.stage_transition");

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		int			from = stage_index(DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull)));
		int			to = stage_index(DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)));

		/* a stage without a stage_info row cannot be entered anyway */
		if (from >= 0 && to >= 0)
			stage_rules[from].allowed_targets |= UINT64CONST(1) << to;
	}

	PopActiveSnapshot();
	SPI_finish();
}

/*
 * Load the rules until no invalidation of either table arrived while they
 * were being read.  The relids are resolved first thing, so the callback
 * recognises an invalidation of the tables being read.
 */
static void
load_until_settled(CopyState *copy, void (*read) (void))
{
	while (!copy->valid)
	{
		uint64		seen = copy->invalidations;

		read();
		copy->valid = (seen == copy->invalidations);
	}
}

static void
load_stage_rules(void)
{
	load_until_settled(&rules_copy, read_stage_rules);
}

/*
 * The rule for a stage; raises an error when the stage has no row in
 * stage_info (an enum value added without its rules).
 */
const ZtStageRule *
zt_stage_rule(Oid stage)
{
	int			i;

	if (!rules_copy.valid)
		load_stage_rules();
	i = stage_index(stage);
	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stage \"%s\" has no row in zalo_tthc.stage_info", zt_stage_name(stage)),
				 errhint("Add the stage's label, status code and flags to zalo_tthc.stage_info.")));
	return &stage_rules[i];
}

/* True when stage_transition allows moving from one stage to the other. */
bool
zt_transition_allowed(const ZtStageRule *from, const ZtStageRule *to)
{
	return (from->allowed_targets & (UINT64CONST(1) << to->index)) != 0;
}

/* A sentence naming the stages a dossier may move to from a stage. */
char *
zt_describe_allowed_targets(const ZtStageRule *from)
{
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "From stage \"%s\" a dossier may move to: ", zt_stage_name(from->stage));
	for (int i = 0; i < stage_rule_count; i++)
	{
		if (!zt_transition_allowed(from, &stage_rules[i]))
			continue;
		appendStringInfo(&buf, "%s%s", first ? "" : ", ", zt_stage_name(stage_rules[i].stage));
		first = false;
	}
	appendStringInfoString(&buf, first ? "no other stage." : ".");
	return buf.data;
}

/* The label of an enum value of zalo_tthc.stage. */
const char *
zt_stage_name(Oid stage)
{
	HeapTuple	tup = SearchSysCache1(ENUMOID, ObjectIdGetDatum(stage));
	char	   *name;

	if (!HeapTupleIsValid(tup))
		return "?";
	name = pstrdup(NameStr(((Form_pg_enum) GETSTRUCT(tup))->enumlabel));
	ReleaseSysCache(tup);
	return name;
}

PG_FUNCTION_INFO_V1(zt_stage_rules_changed);

/*
 * Statement trigger on stage_info, stage_transition and template: broadcast
 * an invalidation so every session reloads the rules (and outbox.c what
 * it knows of the templates).  It fires on those tables only.
 */
Datum
zt_stage_rules_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("zalo_tthc.stage_rules_changed() must be called as a trigger")));
	(void) zt_require_own_table(trigdata->tg_relation, "zalo_tthc.stage_rules_changed()",
								ZT_TABLE_BIT(ZT_STAGE_INFO) | ZT_TABLE_BIT(ZT_STAGE_TRANSITION) |
								ZT_TABLE_BIT(ZT_TEMPLATE));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/* Read zalo_tthc.template into stage_templates. */
static void
read_stage_templates(void)
{
	if (stage_template_cxt == NULL)
		stage_template_cxt = AllocSetContextCreate(TopMemoryContext, "zalo_tthc stage templates",
												   ALLOCSET_SMALL_SIZES);
	template_relid = get_relname_relid("template", get_namespace_oid("zalo_tthc", false));
	MemoryContextReset(stage_template_cxt);
	stage_template_count = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetLatestSnapshot());
	if (SPI_execute("SELECT stage, header, body, table_rows::text, buttons::text, status_style,"
					" zbs_template_id, zbs_params::text FROM zalo_tthc.template", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.template");
	check_stage_rows("template", SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ZtStageTemplate *t = &stage_templates[i];
		bool		isnull;

		t->stage = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		t->header = zt_spi_copy_text(tup, desc, 2, stage_template_cxt);
		t->body = zt_spi_copy_text(tup, desc, 3, stage_template_cxt);
		t->table_rows = zt_spi_copy_text(tup, desc, 4, stage_template_cxt);
		t->buttons = zt_spi_copy_text(tup, desc, 5, stage_template_cxt);
		t->status_style = zt_spi_copy_text(tup, desc, 6, stage_template_cxt);
		t->template_id = zt_spi_copy_text(tup, desc, 7, stage_template_cxt);
		t->template_params = zt_spi_copy_text(tup, desc, 8, stage_template_cxt);
	}
	stage_template_count = (int) SPI_processed;
	PopActiveSnapshot();
	SPI_finish();
}

/*
 * The worker's claim, after its statement: take in the invalidations that
 * arrived and read the templates again if one was edited.  An edit that
 * committed before a stage change the claim took sent its invalidation
 * before the claim's snapshot was taken, so the copy has it.  In a
 * transaction; SPI_tuptable is left as it was.
 */
void
zt_stage_templates_load(void)
{
	AcceptInvalidationMessages();
	load_until_settled(&templates_copy, read_stage_templates);
}

/* The template of a stage as last loaded, NULL if it has none. */
const ZtStageTemplate *
zt_stage_template(Oid stage)
{
	for (int i = 0; i < stage_template_count; i++)
		if (stage_templates[i].stage == stage)
			return &stage_templates[i];
	return NULL;
}
