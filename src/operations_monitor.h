/*
 * operations_monitor.h
 *		Counting delivery outcomes for metrics() (operations_monitor.c).
 */
#ifndef ZT_OPERATIONS_MONITOR_H
#define ZT_OPERATIONS_MONITOR_H

#include "postgres.h"

struct ZtOutcome;
extern void zt_monitor_note_outcomes(const struct ZtOutcome *outcomes, int n);

#endif							/* ZT_OPERATIONS_MONITOR_H */
