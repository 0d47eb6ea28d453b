/*
 * own_tables.h
 *		The tables the extension's C triggers may fire on (own_tables.c).
 */
#ifndef ZT_OWN_TABLES_H
#define ZT_OWN_TABLES_H

#include "postgres.h"

#include "utils/relcache.h"

typedef enum ZtOwnTable
{
	ZT_DOSSIER,
	ZT_OUTBOX,
	ZT_OA_CREDENTIALS,
	ZT_OPERATOR_LOG,
	ZT_WORKER_CONTROL,
	ZT_STAGE_INFO,
	ZT_STAGE_TRANSITION,
	ZT_TEMPLATE,
	ZT_OWN_TABLE_COUNT
} ZtOwnTable;

#define ZT_TABLE_BIT(t) ((uint32) 1 << (t))

extern ZtOwnTable zt_require_own_table(Relation rel, const char *function, uint32 allowed);

#endif							/* ZT_OWN_TABLES_H */
