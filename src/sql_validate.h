/*
 * sql_validate.h
 *		Dossier code, CCCD/CMND and phone checks with SQL errors (sql_validate.c).
 */
#ifndef ZT_SQL_VALIDATE_H
#define ZT_SQL_VALIDATE_H

#include "postgres.h"

extern bool zt_require_dossier_code(const char *column, const char *value,
									size_t len, char *out, size_t *outlen);
extern void zt_require_id_number(const char *column, const char *value,
								 size_t len, char *out, size_t *outlen);
extern void zt_require_phone(const char *column, const char *value,
							 size_t len, char *out, size_t *outlen);

#endif							/* ZT_SQL_VALIDATE_H */
