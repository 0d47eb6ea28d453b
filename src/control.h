/*
 * control.h
 *		The operator's pause, as the delivery worker sees it (control.c).
 */
#ifndef ZT_CONTROL_H
#define ZT_CONTROL_H

#include "postgres.h"

extern bool zt_paused_by_operator(void);

#endif							/* ZT_CONTROL_H */
