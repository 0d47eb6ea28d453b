/*
 * zalo_tthc.h
 *		Declarations shared by the parts of the zalo_tthc extension.
 */
#ifndef ZALO_TTHC_H
#define ZALO_TTHC_H

#include "postgres.h"

#include "port/atomics.h"

/* settings.c */
extern char *zt_database_name;
extern char *zt_api_base_url;
extern char *zt_oauth_base_url;
extern char *zt_zns_base_url;
extern bool zt_bulk_import;
extern void zt_define_settings(void);

/* shmem.c */
#define ZT_NO_WORKER PG_UINT32_MAX

/* Plain values only: every backend maps this at its own address. */
typedef struct ZtSharedState
{
	pg_atomic_uint32 worker_procno; /* pgprocno of the delivery worker */
	pg_atomic_uint64 commit_wakeups;	/* commits that woke the worker */
} ZtSharedState;

extern ZtSharedState *zt_shared;
extern void zt_shmem_install_hooks(void);
extern void zt_wake_worker(void);

/* stage_cache.c */
#define ZT_MAX_STAGES 64

typedef struct ZtStageRule
{
	Oid			stage;			/* enum value OID */
	int			index;			/* position in the cache */
	int16		status_code;	/* 0: entering keeps the current status */
	bool		notifies;
	bool		is_initial;
	bool		is_final;
	bool		requires_note;
	bool		requires_later_due;
	NameData	timestamp_column;	/* empty: none */
	uint64		allowed_targets;	/* bit i: may move to stage index i */
} ZtStageRule;

extern void zt_stage_cache_register(void);
extern const ZtStageRule *zt_stage_rule(Oid stage);
extern bool zt_transition_allowed(const ZtStageRule *from, const ZtStageRule *to);
extern const char *zt_stage_name(Oid stage);
extern char *zt_describe_allowed_targets(const ZtStageRule *from);

/* dossier_trigger.c */
extern void zt_dossier_trigger_register(void);

/* sql_validate.c: ereport wrappers around validate.c */
extern bool zt_require_dossier_code(const char *column, const char *value,
									size_t len, char *out, size_t *outlen);
extern void zt_require_id_number(const char *column, const char *value,
								 size_t len, char *out, size_t *outlen);
extern void zt_require_phone(const char *column, const char *value,
							 size_t len, char *out, size_t *outlen);

#endif							/* ZALO_TTHC_H */
