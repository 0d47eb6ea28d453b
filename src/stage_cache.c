/*
 * stage_cache.c
 *		Per-session cache of the stage rules (zalo_tthc.stage_info and
 *		zalo_tthc.stage_transition), so the dossier trigger checks a stage
 *		change without running a query.
 *
 * The rules are data a DBA edits.  A statement trigger on both tables
 * sends a relcache invalidation for them; every session's callback then
 * marks its copy stale and the next use reloads it.  Reading the two
 * tables takes in invalidations itself (locking a table does): a change
 * that commits between the two reads is noticed, and the rules are read
 * again (with a new snapshot), instead of being kept half old.
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
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "own_tables.h"
#include "stage_cache.h"

static ZtStageRule stage_rules[ZT_MAX_STAGES];
static int	stage_rule_count = 0;
static bool stage_rules_valid = false;
static uint64 stage_rule_invalidations = 0;
static Oid	stage_info_relid = InvalidOid;
static Oid	stage_transition_relid = InvalidOid;

/* Relcache callback: forget the rules when either table changes. */
static void
stage_cache_invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == stage_info_relid ||
		relid == stage_transition_relid)
	{
		stage_rules_valid = false;
		stage_rule_invalidations++;
	}
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
	if (n > ZT_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("zalo_tthc.stage_info has %llu rows, more than the %d stages supported",
						(unsigned long long) n, ZT_MAX_STAGES)));

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
load_stage_rules(void)
{
	while (!stage_rules_valid)
	{
		uint64		seen = stage_rule_invalidations;

		read_stage_rules();
		stage_rules_valid = (seen == stage_rule_invalidations);
	}
}

/*
 * The rule for a stage; raises an error when the stage has no row in
 * stage_info (an enum value added without its rules).
 */
const ZtStageRule *
zt_stage_rule(Oid stage)
{
	int			i;

	if (!stage_rules_valid)
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
