/*
 * stage_cache.h
 *		The stage model, cached per backend, and the delivery worker's copy
 *		of the stage templates (stage_cache.c).
 */
#ifndef ZT_STAGE_CACHE_H
#define ZT_STAGE_CACHE_H

#include "postgres.h"

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
	bool		takes_receipt;	/* received: the receipt slip is taken */
	uint64		allowed_targets;	/* bit i: may move to stage index i */
} ZtStageRule;

/*
 * A stage's row of zalo_tthc.template, as the delivery worker keeps it;
 * NULL for a null column.
 */
typedef struct ZtStageTemplate
{
	Oid			stage;
	char	   *header;
	char	   *body;
	char	   *table_rows;		/* JSON text */
	char	   *buttons;		/* JSON text */
	char	   *status_style;
	char	   *template_id;	/* zbs_template_id */
	char	   *template_params;	/* zbs_params, JSON text */
} ZtStageTemplate;

extern void zt_stage_cache_register(void);
extern const ZtStageRule *zt_stage_rule(Oid stage);
extern bool zt_transition_allowed(const ZtStageRule *from, const ZtStageRule *to);
extern const char *zt_stage_name(Oid stage);
extern char *zt_describe_allowed_targets(const ZtStageRule *from);
extern void zt_stage_templates_load(void);
extern const ZtStageTemplate *zt_stage_template(Oid stage);

#endif							/* ZT_STAGE_CACHE_H */
