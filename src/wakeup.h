/*
 * wakeup.h
 *		Waking the delivery worker when a transaction commits (wakeup.c).
 */
#ifndef ZT_WAKEUP_H
#define ZT_WAKEUP_H

#include "postgres.h"

extern void zt_wakeup_register(void);
extern void zt_wake_worker_at_commit(void);

#endif							/* ZT_WAKEUP_H */
