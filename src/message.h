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

#include <stdbool.h>
#include <stddef.h>

/* One value of a notification: its name ({{name}}) and text, NULL if null. */
typedef struct ZtValue
{
	const char *name;
	const char *text;
} ZtValue;

/* What a stage message is made of (template row + notification values). */
typedef struct ZtMessageParts
{
	const char *user_id;		/* Zalo user_id; NULL: by phone */
	const char *phone;			/* 84 and 9 digits, or its SHA-256 in hex */
	const char *dossier_code;	/* the identifying "Mã hồ sơ" row */
	const char *header;
	const char *body;
	const char *table_rows_json;	/* [{"key","value"}...] with placeholders */
	const char *buttons_json;	/* [{"title","type","payload"}...] */
	const char *status_style;	/* green, blue, yellow, red, grey */
	const char *template_id;	/* ZBS template */
	const char *template_params_json;	/* {"param":"text with placeholders"} */
	const char *param_limits_json;	/* Zalo's [{"name","max_length"}...] or NULL */
	const char *tracking_id;	/* by phone only */
	const char *vars_json;		/* {"ma_ho_so": "...", ...} */
	const ZtValue *values;		/* instead of vars_json when not NULL */
	int			n_values;
} ZtMessageParts;

extern char *zt_render(const char *tmpl, const char *vars_json);
extern char *zt_build_transaction_message(const ZtMessageParts *parts, char *err, size_t errlen);
extern char *zt_build_template_message(const ZtMessageParts *parts, char *err, size_t errlen);
extern bool zt_phone_hash(const char *phone, char out[65]);
extern char *zt_build_file_message(const char *user_id, const char *file_token);
extern char *zt_build_text_message(const char *user_id, const char *text);
extern char *zt_build_user_id_body(const char *user_id);
extern char *zt_reply_as_consultation(const char *reply_body, const char *user_id);

#endif							/* ZT_MESSAGE_H */
