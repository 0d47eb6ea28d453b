/*
 * worker.h
 *		The delivery worker (worker.c).
 */
#ifndef ZT_WORKER_H
#define ZT_WORKER_H

#include "postgres.h"

extern bool zt_am_delivery_worker;
extern void zt_register_worker(void);
extern PGDLLEXPORT void zt_worker_main(Datum arg);

#endif							/* ZT_WORKER_H */
