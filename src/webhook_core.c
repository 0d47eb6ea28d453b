/*
 * webhook_core.c
 *		Zalo webhook deliveries: the X-ZEvent-Signature check and the
 *		parsing of the events zalo_tthc acts on (zalo-api.md §7).
 *
 * Nothing of the body is interpreted before the MAC matches, except the
 * location of its top-level "timestamp" string, which is part of the
 * signed text: a bounded scan that builds nothing.  Parsing then uses
 * json-c with a depth limit and strict syntax; every field is checked for
 * its type (Zalo ids are decimal strings, never numbers), and the
 * timestamp json-c sees must be the one that was signed.
 */
#include "webhook_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "validate.h"

/* True for JSON whitespace. */
static bool
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* True for an ASCII digit. */
static bool
is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Find the value of the top-level "timestamp" member when it is a string
 * of 1 to 18 digits; the last one wins, as in json-c.  A lexer that tracks
 * strings and nesting only: no allocation, linear in the body.
 */
bool
zw_find_timestamp(const char *b, size_t len, const char **start, size_t *digits)
{
	int			depth = 0;
	bool		top_is_object = false;
	bool		found = false;
	size_t		i = 0;

	while (i < len)
	{
		char		c = b[i];

		if (c == '"')
		{
			size_t		s = i + 1;
			size_t		j = s;
			size_t		k;

			while (j < len && b[j] != '"')
				j += (b[j] == '\\') ? 2 : 1;
			if (j >= len)
				break;			/* unterminated string */
			k = j + 1;
			if (depth == 1 && top_is_object && j - s == 9 && memcmp(b + s, "timestamp", 9) == 0)
			{
				while (k < len && is_json_space(b[k]))
					k++;
				if (k < len && b[k] == ':')
				{
					size_t		v;
					size_t		d;

					k++;
					while (k < len && is_json_space(b[k]))
						k++;
					v = k + 1;
					d = v;
					while (k < len && b[k] == '"' && d < len && is_ascii_digit(b[d]))
						d++;
					if (k < len && b[k] == '"' && d < len && b[d] == '"' && d > v && d - v <= 18)
					{
						*start = b + v;
						*digits = d - v;
						found = true;
					}
				}
			}
			i = j + 1;
			continue;
		}
		if (c == '{' || c == '[')
		{
			if (depth == 0)
				top_is_object = c == '{';
			depth++;
		}
		else if (c == '}' || c == ']')
			depth--;
		i++;
	}
	return found;
}

/* Lower-case hex SHA-256 of app_id + body + timestamp + OA secret key. */
void
zw_sign(const char *app_id, const char *body, size_t len, const char *timestamp,
		size_t ts_len, const char *oa_secret_key, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	hex[0] = '\0';
	if (c == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(c, app_id, strlen(app_id)) == 1 &&
		EVP_DigestUpdate(c, body, len) == 1 &&
		EVP_DigestUpdate(c, timestamp, ts_len) == 1 &&
		EVP_DigestUpdate(c, oa_secret_key, strlen(oa_secret_key)) == 1 &&
		EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 32)
	{
		for (unsigned int i = 0; i < 32; i++)
		{
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 15];
		}
		hex[64] = '\0';
	}
	EVP_MD_CTX_free(c);
}

/* SHA-256 of two parts joined by a NUL byte. */
static void
digest_parts(const char *a, size_t alen, const char *b, size_t blen, unsigned char out[32])
{
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(out, 0, 32);
	if (c == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1)
	{
		EVP_DigestUpdate(c, a, alen);
		EVP_DigestUpdate(c, "", 1);
		EVP_DigestUpdate(c, b, blen);
		EVP_DigestFinal_ex(c, out, &mdlen);
	}
	EVP_MD_CTX_free(c);
}

/*
 * The 32 bytes of a signature header, "mac=<64 hex>" or the bare hex,
 * surrounding spaces ignored.  False when it is not of that form.
 */
static bool
decode_signature(const char *sig, unsigned char out[32])
{
	size_t		len;

	while (*sig == ' ' || *sig == '\t')
		sig++;
	if (strncmp(sig, "mac=", 4) == 0 || strncmp(sig, "MAC=", 4) == 0)
		sig += 4;
	len = strlen(sig);
	while (len > 0 && (sig[len - 1] == ' ' || sig[len - 1] == '\t'))
		len--;
	if (len != 64)
		return false;
	for (size_t i = 0; i < 32; i++)
	{
		int			v = 0;

		for (int h = 0; h < 2; h++)
		{
			char		c = sig[2 * i + h];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return false;
		}
		out[i] = (unsigned char) v;
	}
	return true;
}

/* The bytes of a lower-case hex digest. */
static void
hex_to_bytes(const char hex[65], unsigned char out[32])
{
	for (int i = 0; i < 32; i++)
	{
		int			hi = hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10;
		int			lo = hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10;

		out[i] = (unsigned char) (hi << 4 | lo);
	}
}

/*
 * Check the signature of a raw body, before anything else is read from
 * it.  On success *timestamp_ms is the signed timestamp.
 */
ZwStatus
zw_verify_signature(const ZwConfig *cfg, const char *body, size_t len,
					const char *signature, int64_t *timestamp_ms)
{
	unsigned char given[32];
	unsigned char expected[32];
	char		hex[65];
	const char *ts;
	size_t		ts_len;
	int64_t		t = 0;
	int64_t		age;

	if (signature == NULL || signature[strspn(signature, " \t")] == '\0')
		return ZW_MISSING_SIGNATURE;
	if (!decode_signature(signature, given))
		return ZW_MALFORMED_SIGNATURE;
	if (len > cfg->max_body)
		return ZW_BODY_TOO_LARGE;
	if (!zw_find_timestamp(body, len, &ts, &ts_len))
		return ZW_MISSING_TIMESTAMP;
	zw_sign(cfg->app_id, body, len, ts, ts_len, cfg->oa_secret_key, hex);
	if (hex[0] == '\0')
		return ZW_BAD_SIGNATURE;
	hex_to_bytes(hex, expected);
	if (CRYPTO_memcmp(given, expected, 32) != 0)
		return ZW_BAD_SIGNATURE;
	for (size_t i = 0; i < ts_len; i++)
		t = t * 10 + (ts[i] - '0');
	age = cfg->now_ms - t;
	if (age > cfg->max_age_ms || -age > cfg->max_future_ms)
		return ZW_STALE_TIMESTAMP;
	*timestamp_ms = t;
	return ZW_OK;
}

/* True for valid UTF-8 of len bytes without NUL, surrogates or overlongs. */
static bool
valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = p[i];
		size_t		n;
		uint32_t	cp;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++)
		{
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* Parsing state: the detail buffer for the first problem found. */
typedef struct ParseCtx
{
	char	   *detail;
	size_t		detail_len;
}			ParseCtx;

/* Record a problem with a field and return its status. */
static ZwStatus
problem(ParseCtx *p, ZwStatus s, const char *fmt, const char *field)
{
	snprintf(p->detail, p->detail_len, fmt, field);
	return s;
}

/*
 * A member that must be an object (NULL and ZW_OK when absent and
 * optional).
 */
static ZwStatus
get_object(ParseCtx *p, json_object *parent, const char *key, const char *path,
		   bool required, json_object **out)
{
	json_object *v;

	*out = NULL;
	if (parent == NULL || !json_object_object_get_ex(parent, key, &v) || v == NULL)
		return required ? problem(p, ZW_MISSING_FIELD, "%s is missing", path) : ZW_OK;
	if (!json_object_is_type(v, json_type_object))
		return problem(p, ZW_WRONG_TYPE, "%s must be an object", path);
	*out = v;
	return ZW_OK;
}

/*
 * A string member, valid UTF-8 without NUL and at most max bytes; NULL and
 * ZW_OK when absent and optional.
 */
static ZwStatus
get_string(ParseCtx *p, json_object *parent, const char *key, const char *path,
		   bool required, size_t max, const char **out, size_t *out_len)
{
	json_object *v;
	const char *s;
	size_t		len;

	*out = NULL;
	if (parent == NULL || !json_object_object_get_ex(parent, key, &v) || v == NULL)
		return required ? problem(p, ZW_MISSING_FIELD, "%s is missing", path) : ZW_OK;
	if (!json_object_is_type(v, json_type_string))
		return problem(p, ZW_WRONG_TYPE, "%s must be a string", path);
	s = json_object_get_string(v);
	len = (size_t) json_object_get_string_len(v);
	if (len > max)
		return problem(p, ZW_INVALID_VALUE, "%s is too long", path);
	if (!valid_utf8(s, len))
		return problem(p, ZW_INVALID_VALUE, "%s must be UTF-8 text without NUL characters", path);
	*out = s;
	if (out_len)
		*out_len = len;
	return ZW_OK;
}

/* A Zalo id: a string of 1 to 19 digits, copied into out. */
static ZwStatus
get_id(ParseCtx *p, json_object *parent, const char *key, const char *path,
	   bool required, char out[ZW_ID_LEN + 1])
{
	json_object *v;
	const char *s;
	size_t		len;
	ZwStatus	st;

	out[0] = '\0';
	if (parent != NULL && json_object_object_get_ex(parent, key, &v) && v != NULL &&
		(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return problem(p, ZW_WRONG_TYPE,
					   "%s must be a string: Zalo ids are decimal strings, a number loses digits", path);
	st = get_string(p, parent, key, path, required, 64, &s, &len);
	if (st != ZW_OK || s == NULL)
		return st;
	if (len == 0 || len > ZW_ID_LEN || strspn(s, "0123456789") != len)
		return problem(p, ZW_INVALID_VALUE, "%s must be 1 to 19 decimal digits", path);
	memcpy(out, s, len + 1);
	return ZW_OK;
}

/* A message token (msg_id, tracking_id): printable ASCII, copied. */
static ZwStatus
get_token(ParseCtx *p, json_object *parent, const char *key, const char *path,
		  bool required, char out[ZW_TOKEN_LEN + 1])
{
	const char *s;
	size_t		len;
	ZwStatus	st;

	out[0] = '\0';
	st = get_string(p, parent, key, path, required, ZW_TOKEN_LEN, &s, &len);
	if (st != ZW_OK || s == NULL)
		return st;
	if (len == 0)
		return problem(p, ZW_INVALID_VALUE, "%s is empty", path);
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return problem(p, ZW_INVALID_VALUE, "%s must be printable ASCII", path);
	memcpy(out, s, len + 1);
	return ZW_OK;
}

/* An epoch-milliseconds time given as a digit string or an integer. */
static ZwStatus
get_millis(ParseCtx *p, json_object *parent, const char *key, const char *path, int64_t *out)
{
	json_object *v;

	*out = 0;
	if (parent == NULL || !json_object_object_get_ex(parent, key, &v) || v == NULL)
		return ZW_OK;
	if (json_object_is_type(v, json_type_int))
	{
		int64_t		t = json_object_get_int64(v);

		if (t <= 0 || t > INT64_C(100000000000000))
			return problem(p, ZW_INVALID_VALUE, "%s is out of range", path);
		*out = t;
		return ZW_OK;
	}
	if (json_object_is_type(v, json_type_string))
	{
		const char *s = json_object_get_string(v);
		size_t		len = (size_t) json_object_get_string_len(v);

		if (len == 0 || len > 15 || strspn(s, "0123456789") != len)
			return problem(p, ZW_INVALID_VALUE, "%s must be epoch milliseconds", path);
		*out = strtoll(s, NULL, 10);
		return ZW_OK;
	}
	return problem(p, ZW_WRONG_TYPE, "%s must be a string of epoch milliseconds", path);
}

/* A malloc'ed copy of an optional text member. */
static ZwStatus
get_text_copy(ParseCtx *p, json_object *parent, const char *key, const char *path,
			  bool required, size_t max, char **out)
{
	const char *s;
	size_t		len;
	ZwStatus	st = get_string(p, parent, key, path, required, max, &s, &len);

	*out = NULL;
	if (st != ZW_OK || s == NULL)
		return st;
	*out = malloc(len + 1);
	if (*out == NULL)
		return problem(p, ZW_INVALID_VALUE, "%s could not be copied", path);
	memcpy(*out, s, len + 1);
	return ZW_OK;
}

/* user_submit_info: the citizen, and the phone and name shared. */
static ZwStatus
parse_submit_info(ParseCtx *p, json_object *root, ZwEvent *ev)
{
	json_object *sender;
	json_object *info;
	json_object *phone;
	ZwStatus	st;

	if ((st = get_object(p, root, "sender", "sender", true, &sender)) != ZW_OK ||
		(st = get_id(p, sender, "id", "sender.id", true, ev->user_id)) != ZW_OK ||
		(st = get_object(p, root, "info", "info", true, &info)) != ZW_OK ||
		(st = get_text_copy(p, info, "name", "info.name", false, 200, &ev->name)) != ZW_OK)
		return st;
	if (json_object_object_get_ex(info, "phone", &phone) && phone != NULL)
	{
		char		digits[32];
		const char *s;
		size_t		len;
		size_t		outlen;

		if (json_object_is_type(phone, json_type_int))
		{
			snprintf(digits, sizeof(digits), "%lld", (long long) json_object_get_int64(phone));
			s = digits;
			len = strlen(digits);
		}
		else if ((st = get_string(p, info, "phone", "info.phone", true, 31, &s, &len)) != ZW_OK)
			return st;
		ev->phone_given = true;
		ev->phone_valid = zt_check_phone(s, len, ev->phone, &outlen) == ZT_PHONE_MOBILE;
		if (!ev->phone_valid)
			ev->phone[0] = '\0';
	}
	return ZW_OK;
}

/* user_received_message: an OA message (msg_id) or a ZNS one (tracking_id). */
static ZwStatus
parse_received(ParseCtx *p, json_object *root, ZwEvent *ev)
{
	json_object *message;
	json_object *recipient;
	ZwStatus	st;

	if ((st = get_object(p, root, "message", "message", false, &message)) != ZW_OK ||
		(st = get_object(p, root, "recipient", "recipient", false, &recipient)) != ZW_OK)
		return st;
	/* the ZNS receipt, nested (as most integrations read it) or flat */
	if ((st = get_token(p, message, "tracking_id", "message.tracking_id", false, ev->tracking_id)) != ZW_OK ||
		(ev->tracking_id[0] == '\0' &&
		 (st = get_token(p, root, "tracking_id", "tracking_id", false, ev->tracking_id)) != ZW_OK))
		return st;
	/*
	 * A ZNS receipt's recipient.id is the citizen's phone number: it is
	 * neither read nor kept as a user id (the receipt matches by tracking_id).
	 */
	if (ev->tracking_id[0] == '\0' &&
		(st = get_id(p, recipient, "id", "recipient.id", false, ev->user_id)) != ZW_OK)
		return st;
	if (ev->tracking_id[0] != '\0')
	{
		ev->kind = ZWE_ZNS_DELIVERED;
		if ((st = get_token(p, message, "msg_id", "message.msg_id", false, ev->msg_id)) != ZW_OK ||
			(st = get_millis(p, message, "delivery_time", "message.delivery_time", &ev->delivery_time_ms)) != ZW_OK)
			return st;
		return ZW_OK;
	}
	if (message == NULL)
		return problem(p, ZW_MISSING_FIELD, "%s is missing", "message");
	return get_token(p, message, "msg_id", "message.msg_id", true, ev->msg_id);
}

/* user_seen_message: the OA messages seen, message.msg_ids[]. */
static ZwStatus
parse_seen(ParseCtx *p, json_object *root, ZwEvent *ev)
{
	json_object *message;
	json_object *recipient;
	json_object *ids;
	size_t		n;
	ZwStatus	st;

	if ((st = get_object(p, root, "message", "message", true, &message)) != ZW_OK ||
		(st = get_object(p, root, "recipient", "recipient", false, &recipient)) != ZW_OK ||
		(st = get_id(p, recipient, "id", "recipient.id", false, ev->user_id)) != ZW_OK)
		return st;
	if (!json_object_object_get_ex(message, "msg_ids", &ids) || ids == NULL)
		return problem(p, ZW_MISSING_FIELD, "%s is missing", "message.msg_ids");
	if (!json_object_is_type(ids, json_type_array))
		return problem(p, ZW_WRONG_TYPE, "%s must be an array of strings", "message.msg_ids");
	n = json_object_array_length(ids);
	if (n == 0 || n > ZW_MAX_MSG_IDS)
		return problem(p, ZW_INVALID_VALUE, "%s must hold 1 to 100 ids", "message.msg_ids");
	for (size_t i = 0; i < n; i++)
	{
		json_object *holder = json_object_new_object();

		/* reuse the member checks on each element */
		json_object_object_add(holder, "id", json_object_get(json_object_array_get_idx(ids, i)));
		st = get_token(p, holder, "id", "message.msg_ids[]", true, ev->msg_ids[ev->n_msg_ids]);
		json_object_put(holder);
		if (st != ZW_OK)
			return st;
		ev->n_msg_ids++;
	}
	return ZW_OK;
}

/* The fields of each event zalo_tthc acts on. */
static ZwStatus
parse_fields(ParseCtx *p, json_object *root, ZwEvent *ev)
{
	json_object *o;
	ZwStatus	st;

	switch (ev->kind)
	{
		case ZWE_FOLLOW:
		case ZWE_UNFOLLOW:
			if ((st = get_object(p, root, "follower", "follower", true, &o)) != ZW_OK)
				return st;
			return get_id(p, o, "id", "follower.id", true, ev->user_id);
		case ZWE_USER_SEND_TEXT:
			if ((st = get_object(p, root, "sender", "sender", true, &o)) != ZW_OK ||
				(st = get_id(p, o, "id", "sender.id", true, ev->user_id)) != ZW_OK ||
				(st = get_object(p, root, "message", "message", true, &o)) != ZW_OK ||
				(st = get_token(p, o, "msg_id", "message.msg_id", true, ev->msg_id)) != ZW_OK)
				return st;
			return get_text_copy(p, o, "text", "message.text", true, 8000, &ev->text);
		case ZWE_USER_SUBMIT_INFO:
			return parse_submit_info(p, root, ev);
		case ZWE_USER_RECEIVED_MESSAGE:
			return parse_received(p, root, ev);
		case ZWE_USER_SEEN_MESSAGE:
			return parse_seen(p, root, ev);
		case ZWE_ZNS_DELIVERED:
		case ZWE_OTHER:
			/* recorded with the sender when there is a well-formed one */
			if (get_object(p, root, "sender", "sender", false, &o) == ZW_OK && o != NULL &&
				get_id(p, o, "id", "sender.id", false, ev->user_id) != ZW_OK)
				ev->user_id[0] = '\0';
			p->detail[0] = '\0';
			return ZW_OK;
	}
	return ZW_OK;
}

/* Which event a name is. */
static ZwEventKind
event_kind(const char *name)
{
	static const struct
	{
		const char *name;
		ZwEventKind kind;
	}			kinds[] = {
		{"follow", ZWE_FOLLOW},
		{"unfollow", ZWE_UNFOLLOW},
		{"user_send_text", ZWE_USER_SEND_TEXT},
		{"user_submit_info", ZWE_USER_SUBMIT_INFO},
		{"user_received_message", ZWE_USER_RECEIVED_MESSAGE},
		{"user_seen_message", ZWE_USER_SEEN_MESSAGE},
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(name, kinds[i].name) == 0)
			return kinds[i].kind;
	return ZWE_OTHER;
}

/*
 * The key that makes a second delivery of one event a replay: the message
 * id Zalo gives (a retry of a chat message carries the same msg_id), else
 * the raw body.
 */
static void
compute_dedupe_key(const char *body, size_t len, ZwEvent *ev)
{
	const char *token = ev->kind == ZWE_ZNS_DELIVERED ? ev->tracking_id :
		(ev->kind == ZWE_USER_SEND_TEXT || ev->kind == ZWE_USER_RECEIVED_MESSAGE) ? ev->msg_id : NULL;

	if (token != NULL && token[0] != '\0')
		digest_parts(ev->event_name, strlen(ev->event_name), token, strlen(token), ev->dedupe_key);
	else
		digest_parts("body", 4, body, len, ev->dedupe_key);
}

/*
 * Parse a body whose signature was verified.  The timestamp json-c reads
 * must be the signed one, and app_id must be ours.
 */
ZwStatus
zw_parse_event(const ZwConfig *cfg, const char *body, size_t len, int64_t verified_timestamp_ms,
			   ZwEvent *ev, char *detail, size_t detail_len)
{
	ParseCtx	p = {detail, detail_len};
	json_tokener *tok;
	json_object *root;
	enum json_tokener_error err;
	const char *s;
	size_t		slen;
	ZwStatus	st;

	memset(ev, 0, sizeof(*ev));
	detail[0] = '\0';
	tok = json_tokener_new_ex(ZW_MAX_DEPTH);
	if (tok == NULL)
		return problem(&p, ZW_MALFORMED_JSON, "%s", "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int) len);
	err = json_tokener_get_error(tok);
	if (root != NULL)
	{
		size_t		end = json_tokener_get_parse_end(tok);

		while (end < len && is_json_space(body[end]))
			end++;
		if (end < len)
		{
			json_object_put(root);
			root = NULL;
			snprintf(detail, detail_len, "text follows the JSON value at byte %zu", end);
		}
	}
	else if (err == json_tokener_error_depth)
		snprintf(detail, detail_len, "nested deeper than %d levels", ZW_MAX_DEPTH);
	else
		snprintf(detail, detail_len, "%s", err == json_tokener_continue ? "the JSON text is incomplete" :
				 json_tokener_error_desc(err));
	json_tokener_free(tok);
	if (root == NULL)
		return ZW_MALFORMED_JSON;
	if (!json_object_is_type(root, json_type_object))
	{
		json_object_put(root);
		return problem(&p, ZW_NOT_AN_OBJECT, "the body is a JSON %s, not an object",
					   json_type_to_name(json_object_get_type(root)));
	}

	if ((st = get_string(&p, root, "app_id", "app_id", true, 64, &s, &slen)) != ZW_OK)
		goto done;
	if (strcmp(s, cfg->app_id) != 0)
	{
		st = problem(&p, ZW_WRONG_APP_ID, "%s is not the app id of this Official Account", "app_id");
		goto done;
	}
	if ((st = get_string(&p, root, "timestamp", "timestamp", true, 18, &s, &slen)) != ZW_OK)
		goto done;
	if (slen == 0 || strspn(s, "0123456789") != slen || strtoll(s, NULL, 10) != verified_timestamp_ms)
	{
		st = problem(&p, ZW_INVALID_VALUE, "%s is not the signed timestamp", "timestamp");
		goto done;
	}
	ev->timestamp_ms = verified_timestamp_ms;
	if ((st = get_string(&p, root, "event_name", "event_name", true, sizeof(ev->event_name) - 1,
						 &s, &slen)) != ZW_OK)
		goto done;
	if (slen == 0 || strspn(s, "abcdefghijklmnopqrstuvwxyz_0123456789") != slen)
	{
		st = problem(&p, ZW_INVALID_VALUE, "%s must be a lower-case event name", "event_name");
		goto done;
	}
	memcpy(ev->event_name, s, slen + 1);
	ev->kind = event_kind(ev->event_name);
	st = parse_fields(&p, root, ev);
	if (st == ZW_OK)
		compute_dedupe_key(body, len, ev);

done:
	json_object_put(root);
	if (st != ZW_OK)
		zw_event_free(ev);
	return st;
}

/* Verify, then parse: the whole of one delivery. */
ZwStatus
zw_process(const ZwConfig *cfg, const char *body, size_t len, const char *signature,
		   ZwEvent *ev, char *detail, size_t detail_len)
{
	int64_t		ts = 0;
	ZwStatus	st;

	memset(ev, 0, sizeof(*ev));
	detail[0] = '\0';
	st = zw_verify_signature(cfg, body, len, signature, &ts);
	if (st != ZW_OK)
	{
		snprintf(detail, detail_len, "%s", zw_status_detail(st));
		return st;
	}
	return zw_parse_event(cfg, body, len, ts, ev, detail, detail_len);
}

/* Free what an event owns. */
void
zw_event_free(ZwEvent *ev)
{
	free(ev->text);
	free(ev->name);
	ev->text = NULL;
	ev->name = NULL;
}

/* The reason word of a status, as handle_webhook reports it. */
const char *
zw_status_reason(ZwStatus s)
{
	switch (s)
	{
		case ZW_OK:
			return "ok";
		case ZW_MISSING_SIGNATURE:
			return "missing_signature";
		case ZW_MALFORMED_SIGNATURE:
			return "malformed_signature";
		case ZW_BODY_TOO_LARGE:
			return "body_too_large";
		case ZW_MISSING_TIMESTAMP:
			return "missing_timestamp";
		case ZW_BAD_SIGNATURE:
			return "bad_signature";
		case ZW_STALE_TIMESTAMP:
			return "stale_timestamp";
		case ZW_MALFORMED_JSON:
			return "malformed_json";
		case ZW_NOT_AN_OBJECT:
			return "not_an_object";
		case ZW_WRONG_APP_ID:
			return "wrong_app_id";
		case ZW_MISSING_FIELD:
			return "missing_field";
		case ZW_WRONG_TYPE:
			return "wrong_type";
		case ZW_INVALID_VALUE:
			return "invalid_value";
	}
	return "unknown";
}

/* A sentence on a refusal that happens before the body is parsed. */
const char *
zw_status_detail(ZwStatus s)
{
	switch (s)
	{
		case ZW_MISSING_SIGNATURE:
			return "the X-ZEvent-Signature header is missing or empty";
		case ZW_MALFORMED_SIGNATURE:
			return "the signature is not 64 hex digits, with or without mac=";
		case ZW_BODY_TOO_LARGE:
			return "the body is larger than zalo_tthc.webhook_max_body_size";
		case ZW_MISSING_TIMESTAMP:
			return "the body is not an object with a top-level \"timestamp\" string of digits, which the signature covers";
		case ZW_BAD_SIGNATURE:
			return "the signature does not match the body, the app id and the OA secret key";
		case ZW_STALE_TIMESTAMP:
			return "the timestamp is older than zalo_tthc.webhook_max_age, or more than 5 minutes in the future";
		default:
			return "";
	}
}

/* True when the status comes after a matching signature. */
bool
zw_status_verified(ZwStatus s)
{
	return s == ZW_OK || s >= ZW_MALFORMED_JSON;
}

/* The name of an event kind, as handle_webhook reports it. */
const char *
zw_event_kind_name(ZwEventKind k)
{
	switch (k)
	{
		case ZWE_FOLLOW:
			return "follow";
		case ZWE_UNFOLLOW:
			return "unfollow";
		case ZWE_USER_SEND_TEXT:
			return "user_send_text";
		case ZWE_USER_SUBMIT_INFO:
			return "user_submit_info";
		case ZWE_USER_RECEIVED_MESSAGE:
			return "user_received_message";
		case ZWE_USER_SEEN_MESSAGE:
			return "user_seen_message";
		case ZWE_ZNS_DELIVERED:
			return "zns_delivered";
		case ZWE_OTHER:
			return "other";
	}
	return "other";
}
