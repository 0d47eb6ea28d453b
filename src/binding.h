/*
 * binding.h
 *		Which database the OA credentials belong to (binding.c).
 */
#ifndef ZT_BINDING_H
#define ZT_BINDING_H

#include "postgres.h"

extern char *zt_database_identity(void);

#endif							/* ZT_BINDING_H */
