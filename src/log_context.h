/*
 * log_context.h
 *		The delivery worker's messages without its statements (log_context.c).
 */
#ifndef ZT_LOG_CONTEXT_H
#define ZT_LOG_CONTEXT_H

#include "postgres.h"

extern void zt_log_context_install_hook(void);

#endif							/* ZT_LOG_CONTEXT_H */
