/*
 * worker_txn.h
 *		The delivery worker's short transactions (worker_txn.c).
 */
#ifndef ZT_WORKER_TXN_H
#define ZT_WORKER_TXN_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

extern void zt_worker_begin(const char *activity);
extern void zt_worker_end(void);
extern bool zt_extension_ready(void);
extern const char *zt_installed_schema_version(void);
extern char *zt_spi_copy_text(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt);
extern Datum zt_text_array(const char *const *values, int n);
extern Datum zt_int8_array(const int64 *values, const bool *nulls, int n);

#endif							/* ZT_WORKER_TXN_H */
