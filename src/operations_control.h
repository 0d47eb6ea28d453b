/*
 * operations_control.h
 *		The operator's pause, as the delivery worker sees it (operations_control.c).
 */
#ifndef ZT_OPERATIONS_CONTROL_H
#define ZT_OPERATIONS_CONTROL_H

#include "postgres.h"

extern bool zt_paused_by_operator(void);

#endif							/* ZT_OPERATIONS_CONTROL_H */
