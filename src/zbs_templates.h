/*
 * zbs_templates.h
 *		The ZBS templates the stages use, as Zalo reports them
 *		(zbs_templates.c).
 */
#ifndef ZT_ZBS_TEMPLATES_H
#define ZT_ZBS_TEMPLATES_H

#include "postgres.h"

typedef struct ZtTemplateState
{
	char		template_id[128];
	char		status[32];		/* ENABLE, ...; "" = not read yet */
	char	   *params;			/* Zalo's parameter list (JSON) or NULL */
	char		problem[256];	/* why it is held; "" if it is not */
	bool		held;			/* its stages' notices wait */
} ZtTemplateState;

extern void zt_templates_load(void);
extern const ZtTemplateState *zt_template_state(const char *template_id);
extern int	zt_template_count(void);
extern const ZtTemplateState *zt_template_at(int i);
extern void zt_template_record_detail(const char *template_id, const char *status, const char *name,
									  const char *params, const char *price_uid,
									  const char *price_phone);
extern void zt_template_record_problem(const char *template_id, const char *problem);

#endif							/* ZT_ZBS_TEMPLATES_H */
