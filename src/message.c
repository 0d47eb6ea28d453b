/*
 * message.c
 *		Template rendering ({{name}} placeholders) and the JSON of ZBS
 *		template messages by user id and by phone (zalo-api.md §0), the
 *		older OA transaction message (§2.2), and file and text messages.
 *
 * Zalo's limits are applied here: table keys at most 25 characters and
 * values at most 100, at most 4 buttons, text at most 2000 characters, a
 * template parameter at most its max_length as Zalo reports it (30 while
 * unknown); longer values are cut at a character boundary and end with "…".
 */
#include "message.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_KEY_MAX 25
#define TABLE_VALUE_MAX 100
#define TEXT_MAX 2000
#define HEADER_MAX 100
#define TEMPLATE_PARAM_MAX 30
#define MAX_BUTTONS 4

/* A growable malloc'ed string. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

/* Append n bytes; false when out of memory. */
static bool
buf_append(Buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = (b->cap ? b->cap * 2 : 256);
		char	   *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (grown == NULL)
			return false;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

/*
 * The English names of the values (as ../shared/INTERFACE.md writes them,
 * {{code}}, {{stage_label}}) for the Vietnamese names the values carry.
 */
static const char *const value_aliases[][2] = {
	{"code", "ma_ho_so"},
	{"stage_label", "trang_thai"},
	{"applicant_name", "ho_ten"},
	{"procedure_name", "ten_thu_tuc"},
	{"field_name", "ten_linh_vuc"},
	{"agency_name", "co_quan"},
	{"receiving_unit", "don_vi_tiep_nhan"},
	{"submitted_at", "ngay_nop"},
	{"received_at", "ngay_tiep_nhan"},
	{"due_at", "ngay_hen_tra"},
	{"result_at", "ngay_co_ket_qua"},
	{"returned_at", "ngay_tra"},
	{"stage_note", "ghi_chu"},
	{"fee", "so_tien"},
	{"lookup_url", "link_tra_cuu"},
};

static const char *
value_alias(const char *name)
{
	for (size_t i = 0; i < sizeof(value_aliases) / sizeof(value_aliases[0]); i++)
		if (strcmp(value_aliases[i][0], name) == 0)
			return value_aliases[i][1];
	return "";
}

/*
 * The values a message is rendered with: the caller's (ZtMessageParts
 * .values), or those of a JSON object, whose strings they borrow.
 */
typedef struct Vars
{
	const ZtValue *items;
	int			n;
	ZtValue    *owned;
	json_object *json;
} Vars;

/* The values of parts; false if vars_json is not a JSON object. */
static bool
vars_of(const ZtMessageParts *parts, Vars *vars)
{
	memset(vars, 0, sizeof(*vars));
	if (parts->values != NULL)
	{
		vars->items = parts->values;
		vars->n = parts->n_values;
		return true;
	}
	vars->json = json_tokener_parse(parts->vars_json ? parts->vars_json : "{}");
	if (vars->json == NULL || !json_object_is_type(vars->json, json_type_object))
		return false;
	vars->owned = malloc(sizeof(ZtValue) * (json_object_object_length(vars->json) + 1));
	if (vars->owned == NULL)
		return false;
	{
		/* the macro declares its loop variables */
		json_object_object_foreach(vars->json, key, v)
		{
			vars->owned[vars->n].name = key;
			vars->owned[vars->n].text =
				(v == NULL || json_object_is_type(v, json_type_null)) ? NULL : json_object_get_string(v);
			vars->n++;
		}
	}
	vars->items = vars->owned;
	return true;
}

static void
vars_free(Vars *vars)
{
	free(vars->owned);
	json_object_put(vars->json);
}

/* The text of the value called name, or NULL. */
static const char *
var_text(const Vars *vars, const char *name)
{
	for (int i = 0; vars && i < vars->n; i++)
		if (strcmp(vars->items[i].name, name) == 0)
			return vars->items[i].text;
	return NULL;
}

/* Replace {{name}} by its value; unknown names and nulls become empty. */
static char *
render_with(const char *tmpl, const Vars *vars)
{
	Buf			out = {0};
	const char *p = tmpl ? tmpl : "";

	if (!buf_append(&out, "", 0))
		return NULL;
	while (*p)
	{
		const char *open = strstr(p, "{{");
		const char *close;

		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL)
		{
			buf_append(&out, p, strlen(p));
			break;
		}
		buf_append(&out, p, (size_t) (open - p));
		{
			size_t		nlen = (size_t) (close - open - 2);
			char		name[64];
			const char *s;

			if (nlen < sizeof(name))
			{
				memcpy(name, open + 2, nlen);
				name[nlen] = '\0';
				if ((s = var_text(vars, name)) != NULL || (s = var_text(vars, value_alias(name))) != NULL)
					buf_append(&out, s, strlen(s));
			}
		}
		p = close + 2;
	}
	return out.data;
}

/* Render a template against a JSON object of values. */
char *
zt_render(const char *tmpl, const char *vars_json)
{
	ZtMessageParts parts = {0};
	Vars		vars;
	char	   *out;

	parts.vars_json = vars_json;
	out = render_with(tmpl, vars_of(&parts, &vars) ? &vars : NULL);
	vars_free(&vars);
	return out;
}

/*
 * The parsed form of a template's JSON text (table rows, buttons, ZBS
 * parameters, Zalo's parameter limits), kept for the next notifications:
 * a stage's text is the same for all of them.  Borrowed: the caller must
 * not change or free it.  NULL if the text is not JSON.
 */
#define PARSED_KEPT 32

static struct
{
	char	   *text;
	json_object *parsed;
}			parsed_kept[PARSED_KEPT];
static int	parsed_next;

static json_object *
parsed_json(const char *text)
{
	json_object *parsed;
	char	   *copy;

	for (int i = 0; i < PARSED_KEPT; i++)
		if (parsed_kept[i].text != NULL && strcmp(parsed_kept[i].text, text) == 0)
			return parsed_kept[i].parsed;
	parsed = json_tokener_parse(text);
	if (parsed == NULL)
		return NULL;
	copy = strdup(text);
	if (copy == NULL)
	{
		json_object_put(parsed);
		return NULL;
	}
	/* the oldest kept text makes room */
	free(parsed_kept[parsed_next].text);
	json_object_put(parsed_kept[parsed_next].parsed);
	parsed_kept[parsed_next].text = copy;
	parsed_kept[parsed_next].parsed = parsed;
	parsed_next = (parsed_next + 1) % PARSED_KEPT;
	return parsed;
}

/*
 * Cut s in place to at most max UTF-8 characters, ending with "…"; s must
 * have 3 bytes of room after its terminator.
 */
static void
truncate_utf8(char *s, int max)
{
	int			chars = 0;
	size_t		i = 0;
	size_t		cut = 0;

	while (s[i])
	{
		if (((unsigned char) s[i] & 0xC0) != 0x80)
		{
			if (chars == max - 1)
				cut = i;
			if (chars == max)
			{
				/* "…" is 3 bytes; the first max-1 characters are kept */
				memcpy(s + cut, "\xE2\x80\xA6", 3);
				s[cut + 3] = '\0';
				return;
			}
			chars++;
		}
		i++;
	}
}

/* A new JSON string of at most max characters. */
static json_object *
limited_string(const char *s, int max)
{
	size_t		len = s ? strlen(s) : 0;
	char	   *copy = malloc(len + 4);	/* room for "…" after a 1-byte cut */
	json_object *o;

	if (copy == NULL)
		return NULL;
	memcpy(copy, s ? s : "", len + 1);
	truncate_utf8(copy, max);
	o = json_object_new_string(copy);
	free(copy);
	return o;
}

/* One {"type": ..., "content": ..., "align": ...} element. */
static json_object *
content_element(const char *type, json_object *content, const char *align)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "content", content);
	if (align)
		json_object_object_add(e, "align", json_object_new_string(align));
	return e;
}

/* The table element: "Mã hồ sơ" first, then the template's rows. */
static json_object *
build_table(const ZtMessageParts *parts, const Vars *vars, char *err, size_t errlen)
{
	json_object *rows = parsed_json(parts->table_rows_json ? parts->table_rows_json : "[]");
	json_object *content = json_object_new_array();
	json_object *code_row = json_object_new_object();
	size_t		n;

	if (rows == NULL || !json_object_is_type(rows, json_type_array))
	{
		snprintf(err, errlen, "template table_rows is not a JSON array");
		json_object_put(content);
		json_object_put(code_row);
		return NULL;
	}
	json_object_object_add(code_row, "key", json_object_new_string("Mã hồ sơ"));
	json_object_object_add(code_row, "value", limited_string(parts->dossier_code, TABLE_VALUE_MAX));
	json_object_array_add(content, code_row);

	n = json_object_array_length(rows);
	for (size_t i = 0; i < n; i++)
	{
		json_object *row = json_object_array_get_idx(rows, i);
		json_object *k;
		json_object *v;
		char	   *key;
		char	   *value;
		json_object *out;

		if (!json_object_is_type(row, json_type_object) ||
			!json_object_object_get_ex(row, "key", &k) ||
			!json_object_object_get_ex(row, "value", &v))
			continue;
		key = render_with(json_object_get_string(k), vars);
		value = render_with(json_object_get_string(v), vars);
		if (key && value && value[0] != '\0')
		{
			out = json_object_new_object();
			json_object_object_add(out, "key", limited_string(key, TABLE_KEY_MAX));
			json_object_object_add(out, "value", limited_string(value, TABLE_VALUE_MAX));
			if (strcmp(key, "Trạng thái") == 0 && parts->status_style && parts->status_style[0])
				json_object_object_add(out, "style", json_object_new_string(parts->status_style));
			json_object_array_add(content, out);
		}
		free(key);
		free(value);
	}
	return content_element("table", content, NULL);
}

/*
 * A copy of a template value with the placeholders of its strings filled:
 * every string, also inside objects and arrays, is rendered on its own and
 * becomes a JSON string again, so a value can never change the structure.
 */
static json_object *
render_value(json_object *in, const Vars *vars)
{
	switch (json_object_get_type(in))
	{
		case json_type_string:
			{
				char	   *rendered = render_with(json_object_get_string(in), vars);
				json_object *out = rendered ? json_object_new_string(rendered) : NULL;

				free(rendered);
				return out;
			}
		case json_type_object:
			{
				json_object *out = json_object_new_object();

				json_object_object_foreach(in, key, member)
					json_object_object_add(out, key, render_value(member, vars));
				return out;
			}
		case json_type_array:
			{
				json_object *out = json_object_new_array();
				size_t		n = json_object_array_length(in);

				for (size_t i = 0; i < n; i++)
					json_object_array_add(out, render_value(json_object_array_get_idx(in, i), vars));
				return out;
			}
		default:
			/* numbers, booleans and null have no placeholders */
			return json_object_get(in);
	}
}

/* Buttons with their placeholders filled, at most MAX_BUTTONS. */
static json_object *
build_buttons(const char *buttons_json, const Vars *vars)
{
	json_object *in = parsed_json(buttons_json ? buttons_json : "[]");
	json_object *out = json_object_new_array();
	size_t		n;

	if (in == NULL || !json_object_is_type(in, json_type_array))
		return out;
	n = json_object_array_length(in);
	for (size_t i = 0; i < n && i < MAX_BUTTONS; i++)
	{
		json_object *b = json_object_array_get_idx(in, i);

		if (json_object_is_type(b, json_type_object))
			json_object_array_add(out, render_value(b, vars));
	}
	return out;
}

/* A malloc'ed copy of a json-c object's text; frees the object. */
static char *
take_json_text(json_object *root)
{
	char	   *out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
															 JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(root);
	return out;
}

/* The OA transaction message of a stage (zalo-api.md §2.2). */
char *
zt_build_transaction_message(const ZtMessageParts *parts, char *err, size_t errlen)
{
	Vars		vars;
	json_object *root;
	json_object *recipient;
	json_object *message;
	json_object *attachment;
	json_object *payload;
	json_object *elements;
	json_object *table;
	char	   *header;
	char	   *body;

	if (!vars_of(parts, &vars))
	{
		snprintf(err, errlen, "notification values are not a JSON object");
		vars_free(&vars);
		return NULL;
	}
	table = build_table(parts, &vars, err, errlen);
	if (table == NULL)
	{
		vars_free(&vars);
		return NULL;
	}
	header = render_with(parts->header, &vars);
	body = render_with(parts->body, &vars);

	elements = json_object_new_array();
	json_object_array_add(elements, content_element("header", limited_string(header, HEADER_MAX), "left"));
	if (body && body[0])
		json_object_array_add(elements, content_element("text", limited_string(body, TEXT_MAX), "left"));
	json_object_array_add(elements, table);
	free(header);
	free(body);

	payload = json_object_new_object();
	json_object_object_add(payload, "template_type", json_object_new_string("transaction_event"));
	json_object_object_add(payload, "language", json_object_new_string("VI"));
	json_object_object_add(payload, "elements", elements);
	json_object_object_add(payload, "buttons", build_buttons(parts->buttons_json, &vars));

	attachment = json_object_new_object();
	json_object_object_add(attachment, "type", json_object_new_string("template"));
	json_object_object_add(attachment, "payload", payload);
	message = json_object_new_object();
	json_object_object_add(message, "attachment", attachment);
	recipient = json_object_new_object();
	json_object_object_add(recipient, "user_id", json_object_new_string(parts->user_id));
	root = json_object_new_object();
	json_object_object_add(root, "recipient", recipient);
	json_object_object_add(root, "message", message);

	vars_free(&vars);
	return take_json_text(root);
}

/* The max_length of a parameter in Zalo's list, or the default. */
static int
param_max_length(json_object *limits, const char *name)
{
	for (size_t i = 0; limits && json_object_is_type(limits, json_type_array) &&
		 i < json_object_array_length(limits); i++)
	{
		json_object *p = json_object_array_get_idx(limits, i);
		json_object *v;

		if (json_object_object_get_ex(p, "name", &v) && strcmp(json_object_get_string(v), name) == 0 &&
			json_object_object_get_ex(p, "max_length", &v) && json_object_get_int(v) > 0)
			return json_object_get_int(v);
	}
	return TEMPLATE_PARAM_MAX;
}

/*
 * The ZBS template message of a stage (zalo-api.md §0): by user id
 * {"user_id", "template_id", "template_data"}; by phone, the same with
 * "phone" (84…, or its SHA-256 for the hashed-phone endpoint) and
 * "tracking_id".  A value that renders empty is sent as "-": Zalo refuses
 * an empty parameter.
 */
char *
zt_build_template_message(const ZtMessageParts *parts, char *err, size_t errlen)
{
	json_object *params = parsed_json(parts->template_params_json ? parts->template_params_json : "{}");
	json_object *limits = parts->param_limits_json ? parsed_json(parts->param_limits_json) : NULL;
	Vars		vars;
	json_object *data;
	json_object *root;

	if (params == NULL || !json_object_is_type(params, json_type_object))
	{
		snprintf(err, errlen, "template zbs_params is not a JSON object");
		return NULL;
	}
	if (!vars_of(parts, &vars))
	{
		snprintf(err, errlen, "notification values are not a JSON object");
		vars_free(&vars);
		return NULL;
	}
	data = json_object_new_object();
	{
		/* the macro declares its loop variables */
		json_object_object_foreach(params, key, val)
		{
			char	   *v = render_with(json_object_get_string(val), &vars);

			json_object_object_add(data, key,
								   limited_string(v && v[0] ? v : "-", param_max_length(limits, key)));
			free(v);
		}
	}
	root = json_object_new_object();
	if (parts->user_id)
		json_object_object_add(root, "user_id", json_object_new_string(parts->user_id));
	else
		json_object_object_add(root, "phone", json_object_new_string(parts->phone));
	json_object_object_add(root, "template_id", json_object_new_string(parts->template_id));
	json_object_object_add(root, "template_data", data);
	if (parts->user_id == NULL)
		json_object_object_add(root, "tracking_id", json_object_new_string(parts->tracking_id));
	vars_free(&vars);
	return take_json_text(root);
}

/*
 * The lower-case hex SHA-256 of a phone number (84…), what the hashed-phone
 * endpoint takes instead of the number; false if OpenSSL failed.
 */
bool
zt_phone_hash(const char *phone, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(phone, strlen(phone), md, &len, EVP_sha256(), NULL) || len != 32)
		return false;
	for (unsigned int i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[64] = '\0';
	return true;
}

/* A file message carrying an uploaded document (zalo-api.md §3). */
char *
zt_build_file_message(const char *user_id, const char *file_token)
{
	json_object *root = json_object_new_object();
	json_object *recipient = json_object_new_object();
	json_object *message = json_object_new_object();
	json_object *attachment = json_object_new_object();
	json_object *payload = json_object_new_object();

	json_object_object_add(recipient, "user_id", json_object_new_string(user_id));
	json_object_object_add(payload, "token", json_object_new_string(file_token));
	json_object_object_add(attachment, "type", json_object_new_string("file"));
	json_object_object_add(attachment, "payload", payload);
	json_object_object_add(message, "attachment", attachment);
	json_object_object_add(root, "recipient", recipient);
	json_object_object_add(root, "message", message);
	return take_json_text(root);
}

/* A plain text message (consultation window). */
char *
zt_build_text_message(const char *user_id, const char *text)
{
	json_object *root = json_object_new_object();
	json_object *recipient = json_object_new_object();
	json_object *message = json_object_new_object();

	json_object_object_add(recipient, "user_id", json_object_new_string(user_id));
	json_object_object_add(message, "text", limited_string(text, TEXT_MAX));
	json_object_object_add(root, "recipient", recipient);
	json_object_object_add(root, "message", message);
	return take_json_text(root);
}

/* {"user_id": ...}: the body of the quota/message interaction check. */
char *
zt_build_user_id_body(const char *user_id)
{
	json_object *root = json_object_new_object();

	json_object_object_add(root, "user_id", json_object_new_string(user_id));
	return take_json_text(root);
}

/*
 * The consultation message of a free reply: the same message with
 * recipient.user_id instead of recipient.message_id; NULL when the body is
 * no reply.
 */
char *
zt_reply_as_consultation(const char *reply_body, const char *user_id)
{
	json_object *root = json_tokener_parse(reply_body ? reply_body : "");
	json_object *recipient;

	if (root == NULL || !json_object_object_get_ex(root, "recipient", &recipient) ||
		!json_object_is_type(recipient, json_type_object) ||
		!json_object_object_get_ex(recipient, "message_id", NULL))
	{
		json_object_put(root);
		return NULL;
	}
	json_object_object_del(recipient, "message_id");
	json_object_object_add(recipient, "user_id", json_object_new_string(user_id));
	return take_json_text(root);
}
