/*
 * credentials.h
 *		The OA credentials: which database they belong to, and as the
 *		delivery worker keeps them (credentials.c).
 */
#ifndef ZT_CREDENTIALS_H
#define ZT_CREDENTIALS_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* The OA credentials, copied into the caller's memory context. */
typedef struct ZtCredentials
{
	bool		present;
	char	   *app_id;
	char	   *app_secret;
	char	   *access_token;
	char	   *refresh_token;
	TimestampTz expires_at;
	bool		reauthorization_required;
	char	   *bound_to;		/* database_identity() where stored; NULL */
} ZtCredentials;

extern char *zt_database_identity(void);
extern void zt_load_credentials(ZtCredentials *creds);
extern bool zt_store_refreshed_tokens(const char *old_refresh_token, const char *access_token,
									  const char *refresh_token, long expires_in);
extern void zt_flag_reauthorization(const char *refused_refresh_token);
extern void zt_bind_unbound_credentials(const char *identity);

#endif							/* ZT_CREDENTIALS_H */
