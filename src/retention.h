/*
 * retention.h
 *		The delivery worker's retention batches (retention.c).
 */
#ifndef ZT_RETENTION_H
#define ZT_RETENTION_H

#include "postgres.h"

#include "datatype/timestamp.h"

extern void zt_retention_run_if_due(void);
extern TimestampTz zt_retention_next_at(void);

#endif							/* ZT_RETENTION_H */
