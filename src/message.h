/*
 * message.h
 *		Building the JSON bodies of Zalo messages from a stage's template
 *		and the values of one notification.
 *
 * Plain C with json-c; every returned string is malloc'ed and freed by the
 * caller with free().
 */
#ifndef ZT_MESSAGE_H
#define ZT_MESSAGE_H

#include <stddef.h>

/* What a stage message is made of (template row + notification values). */
typedef struct ZtMessageParts
{
	const char *user_id;		/* Zalo user_id (OA) */
	const char *phone;			/* 84XXXXXXXXX (ZNS) */
	const char *dossier_code;	/* the identifying "Mã hồ sơ" row */
	const char *header;
	const char *body;
	const char *table_rows_json;	/* [{"key","value"}...] with placeholders */
	const char *buttons_json;	/* [{"title","type","payload"}...] */
	const char *status_style;	/* green, blue, yellow, red, grey */
	const char *zns_template_id;
	const char *zns_params_json;	/* {"param":"text with placeholders"} */
	const char *tracking_id;
	const char *vars_json;		/* {"ma_ho_so": "...", ...} */
} ZtMessageParts;

extern char *zt_render(const char *tmpl, const char *vars_json);
extern char *zt_build_transaction_message(const ZtMessageParts *parts, char *err, size_t errlen);
extern char *zt_build_zns_message(const ZtMessageParts *parts, char *err, size_t errlen);
extern char *zt_build_file_message(const char *user_id, const char *file_token);
extern char *zt_build_text_message(const char *user_id, const char *text);

#endif							/* ZT_MESSAGE_H */
