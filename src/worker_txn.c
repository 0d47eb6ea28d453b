/*
 * worker_txn.c
 *		The delivery worker's short transactions: begun and committed around
 *		each job (a claim, a batch of outcomes, the credentials, retention),
 *		never open while a request is on the wire; and whether the extension
 *		is installed in the worker's database at this library's version.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "worker_txn.h"

/* The caller's memory context, current again after each transaction. */
static MemoryContext caller_cxt = NULL;

/*
 * Begin one of the worker's short transactions, with a snapshot and SPI;
 * the caller's memory context is current again after zt_worker_end().
 */
void
zt_worker_begin(const char *activity)
{
	caller_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commit a transaction begun by zt_worker_begin(). */
void
zt_worker_end(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	/* the commit leaves TopMemoryContext current, where nothing is freed */
	MemoryContextSwitchTo(caller_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* True when the extension is installed in the worker's database. */
bool
zt_extension_ready(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	const char *version;
	bool		ready;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	version = zt_installed_schema_version();
	ready = version != NULL && strcmp(version, ZT_SCHEMA_VERSION) == 0;
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	return ready;
}

/*
 * The installed version of the extension in this database, or NULL when it
 * is not installed (in a transaction; the result lives in its context).
 */
const char *
zt_installed_schema_version(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("zalo_tthc"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * A copy of a column as text in the caller's context, NULL for NULL.  A
 * text column is copied straight into it; SPI_getvalue would look up the
 * type's output function and copy the text twice.
 */
char *
zt_spi_copy_text(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	char	   *s;
	char	   *copy;

	if (SPI_gettypeid(desc, col) == TEXTOID)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(tup, desc, col, &isnull);
		MemoryContext old;

		if (isnull)
			return NULL;
		old = MemoryContextSwitchTo(cxt);
		copy = TextDatumGetCString(d);
		MemoryContextSwitchTo(old);
		return copy;
	}
	s = SPI_getvalue(tup, desc, col);
	if (s == NULL)
		return NULL;
	copy = MemoryContextStrdup(cxt, s);
	pfree(s);
	return copy;
}


/* A text[] of n strings (NULL entries allowed), for a statement's parameter. */
Datum
zt_text_array(const char *const *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = values[i] == NULL;
		elems[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(values[i]);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

/* An int8[] of n values (nulls: NULL, or true for a NULL entry), for a statement's parameter. */
Datum
zt_int8_array(const int64 *values, const bool *nulls, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_md_array(elems, (bool *) nulls, 1, dims, lbs, INT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
}
