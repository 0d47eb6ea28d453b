/*
 * settings.c
 *		Every zalo_tthc.* setting, defined in one place.
 */
#include "zalo_tthc.h"

#include "utils/guc.h"

char	   *zt_database_name = NULL;
char	   *zt_api_base_url = NULL;
char	   *zt_oauth_base_url = NULL;
char	   *zt_zns_base_url = NULL;
bool		zt_bulk_import = false;

/* Define the settings and reserve the zalo_tthc. prefix. */
void
zt_define_settings(void)
{
	DefineCustomStringVariable("zalo_tthc.database_name",
							   "Database whose notification queue the delivery worker serves.",
							   NULL,
							   &zt_database_name,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.api_base_url",
							   "Base URL of the Zalo OA Open API.",
							   NULL,
							   &zt_api_base_url,
							   "https://openapi.zalo.me",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.oauth_base_url",
							   "Base URL of the Zalo OAuth token endpoint.",
							   NULL,
							   &zt_oauth_base_url,
							   "https://oauth.zaloapp.com",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("zalo_tthc.zns_base_url",
							   "Base URL of the Zalo Notification Service (ZNS) API.",
							   NULL,
							   &zt_zns_base_url,
							   "https://business.openapi.zalo.me",
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("zalo_tthc.bulk_import",
							 "Record stage changes without notifying citizens, for imports of historical dossiers.",
							 "While on, new dossiers may start at any stage and every event is recorded with notify = 'skipped_bulk_import'.",
							 &zt_bulk_import,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("zalo_tthc");
}
