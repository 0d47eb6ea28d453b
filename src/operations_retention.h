/*
 * operations_retention.h
 *		The delivery worker's retention batches (operations_retention.c).
 */
#ifndef ZT_OPERATIONS_RETENTION_H
#define ZT_OPERATIONS_RETENTION_H

#include "postgres.h"

#include "datatype/timestamp.h"

extern void zt_retention_run_if_due(void);
extern TimestampTz zt_retention_next_at(void);

#endif							/* ZT_OPERATIONS_RETENTION_H */
