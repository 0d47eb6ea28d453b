/*
 * binding.c
 *		Which database the OA credentials belong to.  set_oa_credentials()
 *		records database_identity(); the delivery worker sends only when
 *		its database has that identity, so that a restored dump or a clone
 *		of the production database never sends to citizens.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "binding.h"

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
