/*
 * credentials.c
 *		The OA credentials (zalo_tthc.oa_credentials, sql/credentials.sql).
 *
 * Which database they belong to: set_oa_credentials() records
 * database_identity(), and the delivery worker sends only when its
 * database has that identity, so that a restored dump or a clone of the
 * production database never sends to citizens.
 *
 * The delivery worker's reads and writes of them: load them, store a
 * refreshed token pair before it is used, bind them to this database, flag
 * a refused refresh token.  Each is one short transaction.  Tokens are
 * never logged.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "credentials.h"
#include "worker_txn.h"

/* Read the OA credentials into the caller's memory context. */
void
zt_load_credentials(ZtCredentials *creds)
{
	MemoryContext cxt = CurrentMemoryContext;

	memset(creds, 0, sizeof(*creds));
	zt_worker_begin("zalo_tthc: loading credentials");
	if (SPI_execute("SELECT app_id, app_secret, access_token, refresh_token, expires_at,"
					" reauthorization_required, bound_to FROM zalo_tthc.oa_credentials", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.oa_credentials");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		creds->present = true;
		creds->app_id = zt_spi_copy_text(tup, desc, 1, cxt);
		creds->app_secret = zt_spi_copy_text(tup, desc, 2, cxt);
		creds->access_token = zt_spi_copy_text(tup, desc, 3, cxt);
		creds->refresh_token = zt_spi_copy_text(tup, desc, 4, cxt);
		creds->expires_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		creds->reauthorization_required = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		creds->bound_to = zt_spi_copy_text(tup, desc, 7, cxt);
	}
	zt_worker_end();
}

/*
 * Store a refreshed token pair, committed before it is used.  The update
 * applies only if the refresh token is still the one we used, so an
 * operator's new credentials are never overwritten.
 */
bool
zt_store_refreshed_tokens(const char *old_refresh_token, const char *access_token,
						  const char *refresh_token, long expires_in)
{
	Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		args[4] = {
		CStringGetTextDatum(old_refresh_token), CStringGetTextDatum(access_token),
		CStringGetTextDatum(refresh_token), Int64GetDatum(expires_in)
	};
	bool		stored;

	zt_worker_begin("zalo_tthc: storing refreshed token");
	/* the old token is consumed: wait for the row lock rather than fail */
	set_config_option("lock_timeout", "0", PGC_SUSET, PGC_S_SESSION,
					  GUC_ACTION_LOCAL, true, 0, false);
	set_config_option("statement_timeout", "0", PGC_SUSET, PGC_S_SESSION,
					  GUC_ACTION_LOCAL, true, 0, false);
	if (SPI_execute_with_args("UPDATE zalo_tthc.oa_credentials SET access_token = $2,"
							  " refresh_token = $3, expires_at = now() + $4 * interval '1 second',"
							  " reauthorization_required = false, updated_at = now()"
							  " WHERE refresh_token = $1",
							  4, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not store the refreshed token");
	stored = SPI_processed == 1;
	zt_worker_end();
	return stored;
}

/*
 * Bind credentials stored before they recorded their database (an older
 * version's) to this one, the database whose worker first reads them.
 */
void
zt_bind_unbound_credentials(const char *identity)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(identity)};

	zt_worker_begin("zalo_tthc: binding the credentials to this database");
	if (SPI_execute_with_args("UPDATE zalo_tthc.oa_credentials SET bound_to = $1 WHERE bound_to IS NULL",
							  1, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not bind the credentials to this database");
	zt_worker_end();
}

/*
 * Mark the credentials whose refresh token Zalo refused as needing a new
 * authorisation by the operator; credentials stored since stay usable.
 */
void
zt_flag_reauthorization(const char *refused_refresh_token)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(refused_refresh_token)};

	zt_worker_begin("zalo_tthc: flagging re-authorisation");
	if (SPI_execute_with_args("UPDATE zalo_tthc.oa_credentials SET reauthorization_required = true,"
							  " updated_at = now() WHERE refresh_token = $1",
							  1, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not flag re-authorisation");
	zt_worker_end();
}

/*
 * This database's identity, "system_identifier/database_oid", palloc'd.
 * A streaming standby has its primary's system identifier and the same
 * database OIDs, so a promoted standby keeps sending; a dump restored
 * elsewhere or a copied database does not.
 */
char *
zt_database_identity(void)
{
	return psprintf(UINT64_FORMAT "/%u", GetSystemIdentifier(), MyDatabaseId);
}

PG_FUNCTION_INFO_V1(zt_database_identity_sql);

/* zalo_tthc.database_identity() */
Datum
zt_database_identity_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(zt_database_identity()));
}
