/*
 * own_tables.c
 *		The extension's own tables, known by OID, and the check that one of
 *		its C trigger functions fires on the table it was written for.
 *
 * A trigger function can be attached to any table by whoever may execute
 * it, and the superuser always may.  So the C triggers trust neither a
 * relation's name (a TEMP table named oa_credentials) nor its columns (a
 * copy of the dossier table): they compare its OID with the OIDs of the
 * tables of schema zalo_tthc.
 *
 * The OIDs are resolved by name once per backend and forgotten when the
 * relation cache says that one of those tables changed, or that anything
 * may have (a dropped table sends its own invalidation, so an OID is never
 * trusted after its table is gone).  A table that did not exist when they
 * were resolved (one that ALTER EXTENSION UPDATE creates) is looked up once
 * more before a relation is refused.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "lib/stringinfo.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "own_tables.h"

static const char *const own_table_names[ZT_OWN_TABLE_COUNT] = {
	[ZT_DOSSIER] = "dossier",
	[ZT_OUTBOX] = "outbox",
	[ZT_OA_CREDENTIALS] = "oa_credentials",
	[ZT_OPERATOR_LOG] = "operator_log",
	[ZT_WORKER_CONTROL] = "worker_control",
	[ZT_STAGE_INFO] = "stage_info",
	[ZT_STAGE_TRANSITION] = "stage_transition",
	[ZT_TEMPLATE] = "template",
};

static Oid	own_table_oids[ZT_OWN_TABLE_COUNT];
static bool own_tables_valid = false;
static bool callback_registered = false;

/* Relcache callback: forget the OIDs when one of the tables changes. */
static void
own_tables_invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid)
	{
		own_tables_valid = false;
		return;
	}
	for (int t = 0; t < ZT_OWN_TABLE_COUNT; t++)
		if (own_table_oids[t] == relid)
			own_tables_valid = false;
}

/*
 * Resolve the OIDs of the extension's tables.  The cache is marked valid
 * before the names are looked up: catalog reads may take in invalidations,
 * and one that arrives meanwhile marks it stale again, so it is read again.
 */
static void
load_own_tables(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(own_tables_invalidate, (Datum) 0);
		callback_registered = true;
	}
	while (!own_tables_valid)
	{
		Oid			nsp;

		own_tables_valid = true;
		nsp = get_namespace_oid("zalo_tthc", true);
		for (int t = 0; t < ZT_OWN_TABLE_COUNT; t++)
			own_table_oids[t] = OidIsValid(nsp) ? get_relname_relid(own_table_names[t], nsp) : InvalidOid;
	}
}

/* The allowed tables as "zalo_tthc.a, zalo_tthc.b or zalo_tthc.c". */
static char *
describe_tables(uint32 allowed)
{
	StringInfoData buf;
	int			n = 0;
	int			count = 0;

	for (int t = 0; t < ZT_OWN_TABLE_COUNT; t++)
		if (allowed & ZT_TABLE_BIT(t))
			count++;
	initStringInfo(&buf);
	for (int t = 0; t < ZT_OWN_TABLE_COUNT; t++)
	{
		if (!(allowed & ZT_TABLE_BIT(t)))
			continue;
		n++;
		appendStringInfo(&buf, "%szalo_tthc.%s",
						 n == 1 ? "" : (n == count ? " or " : ", "), own_table_names[t]);
	}
	return buf.data;
}

/*
 * Which of the allowed tables of the extension a trigger fires on; raises
 * an error when its relation is none of them.  `function` names the trigger
 * function in the message.
 *
 * Tables of the application attached to the extension would be recognised
 * here too, from the registry that records them.
 */
ZtOwnTable
zt_require_own_table(Relation rel, const char *function, uint32 allowed)
{
	Oid			relid = RelationGetRelid(rel);

	for (int attempt = 0; attempt < 2; attempt++)
	{
		load_own_tables();
		for (int t = 0; t < ZT_OWN_TABLE_COUNT; t++)
			if ((allowed & ZT_TABLE_BIT(t)) && own_table_oids[t] == relid)
				return (ZtOwnTable) t;
		/* perhaps a table created since the OIDs were resolved */
		own_tables_valid = false;
	}
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("%s cannot fire on table \"%s.%s\"", function,
					get_namespace_name(RelationGetNamespace(rel)), RelationGetRelationName(rel)),
			 errdetail("The function fires only on %s.", describe_tables(allowed)),
			 errhint("Drop the trigger; the extension creates the triggers it needs.")));
	pg_unreachable();
}
