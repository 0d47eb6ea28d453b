/*
 * mock_routes.c
 *		The Zalo routes of the mock, as Zalo serves them in 2026
 *		(zalo-api.md §0): the OAuth token endpoint; OA messages (cs,
 *		promotion, and the legacy transaction message, answered -233 unless
 *		the mock is told it is still available); ZBS template messages by
 *		OA user id (/v3.0/oa/message/template), by phone (/message/template)
 *		and by hashed phone (/message/template/hashphone); template info;
 *		the message quota of a user; file upload and getoa.  Each validates
 *		its request as zalo-api.md describes and answers application errors
 *		with HTTP 200 and a negative "error".
 */
#include "mock_routes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "mock_state.h"

static MockAnswer sent_to_user(const char *user_id, const char *quota_type, long remain,
							   bool with_sent_time);

/* An answer {"error": code, "message": text}. */
static MockAnswer
zalo_error(int code, const char *message)
{
	MockAnswer a = {200, code, NULL};
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_int(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	a.body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
												   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return a;
}

/* An answer {"error":0,"message":"Success","data":data}; takes data. */
static MockAnswer
zalo_success(json_object *data)
{
	MockAnswer a = {200, 0, NULL};
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_int(0));
	json_object_object_add(o, "message", json_object_new_string("Success"));
	json_object_object_add(o, "data", data);
	a.body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
												   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return a;
}

/* A fresh hex id of n characters (caller holds the lock). */
static void
new_hex_id(char *buf, int n)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < n; i++)
		buf[i] = hex[rand_r(&mock.seed) % 16];
	buf[n] = '\0';
}

/* Characters (not bytes) of a UTF-8 string. */
static int
utf8_chars(const char *s)
{
	int			n = 0;

	for (; *s; s++)
		if (((unsigned char) *s & 0xC0) != 0x80)
			n++;
	return n;
}

/* -216 / -220 unless the access token is valid (caller holds the lock). */
static bool
check_token(const char *token, MockAnswer *out)
{
	if (token == NULL || !json_object_object_get_ex(mock.valid_access, token, NULL))
	{
		*out = zalo_error(-216, "Access token is invalid");
		return false;
	}
	if (json_object_object_get_ex(mock.expired_access, token, NULL))
	{
		*out = zalo_error(-220, "access_token is expired or removed");
		return false;
	}
	return true;
}

/* A string member of an object, or NULL. */
static const char *
get_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A member of an object of a given type, or NULL. */
static json_object *
get_typed(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Check a transaction template payload (zalo-api.md §2.2); NULL if valid. */
static const char *
check_transaction_payload(json_object *payload)
{
	json_object *elements = get_typed(payload, "elements", json_type_array);
	json_object *buttons = get_typed(payload, "buttons", json_type_array);
	const char *language = get_str(payload, "language");
	bool		identified = false;

	if (elements == NULL || json_object_array_length(elements) == 0)
		return "payload.elements must be a non-empty array";
	if (language && strcmp(language, "VI") != 0 && strcmp(language, "EN") != 0)
		return "payload.language must be VI or EN";
	for (size_t i = 0; i < json_object_array_length(elements); i++)
	{
		json_object *e = json_object_array_get_idx(elements, i);
		const char *type = get_str(e, "type");

		if (type == NULL)
			return "every element needs a type";
		if (strcmp(type, "table") == 0)
		{
			json_object *rows = get_typed(e, "content", json_type_array);

			if (rows == NULL)
				return "table content must be an array";
			for (size_t j = 0; j < json_object_array_length(rows); j++)
			{
				json_object *row = json_object_array_get_idx(rows, j);
				const char *key = get_str(row, "key");
				const char *value = get_str(row, "value");
				const char *style = get_str(row, "style");

				if (key == NULL || value == NULL)
					return "table rows need string key and value";
				if (utf8_chars(key) > 25)
					return "table key longer than 25 characters";
				if (utf8_chars(value) > 100)
					return "table value longer than 100 characters";
				if (style && strcmp(key, "Trạng thái") != 0 && strcmp(key, "Status") != 0)
					return "style is allowed on the status row only";
				if (strncmp(key, "Mã", strlen("Mã")) == 0 || strcmp(key, "Tên khách hàng") == 0 ||
					strstr(key, "Code") != NULL || strcmp(key, "Customer Name") == 0)
					identified = true;
			}
		}
		else if (strcmp(type, "header") == 0 || strcmp(type, "text") == 0)
		{
			const char *content = get_str(e, "content");

			if (content == NULL)
				return "header and text elements need a content string";
			if (utf8_chars(content) > 2000)
				return "text longer than 2000 characters";
		}
		else if (strcmp(type, "banner") != 0)
			return "unknown element type";
	}
	if (!identified)
		return "the table needs an identifying row (Mã…)";
	if (buttons && json_object_array_length(buttons) > 4)
		return "at most 4 buttons";
	for (size_t i = 0; buttons && i < json_object_array_length(buttons); i++)
	{
		json_object *b = json_object_array_get_idx(buttons, i);
		const char *type = get_str(b, "type");

		if (get_str(b, "title") == NULL || type == NULL ||
			(strcmp(type, "oa.open.url") != 0 && strcmp(type, "oa.query.show") != 0 &&
			 strcmp(type, "oa.query.hide") != 0 && strcmp(type, "oa.open.phone") != 0 &&
			 strcmp(type, "oa.open.sms") != 0))
			return "button needs a title and a known type";
	}
	return NULL;
}

/* Check a request_user_info payload (zalo-api.md §8); NULL if valid. */
static const char *
check_request_user_info_payload(json_object *payload)
{
	json_object *elements = get_typed(payload, "elements", json_type_array);
	json_object *e;
	const char *title;
	const char *subtitle;
	const char *image_url;

	if (elements == NULL || json_object_array_length(elements) != 1)
		return "request_user_info needs exactly one element";
	e = json_object_array_get_idx(elements, 0);
	title = get_str(e, "title");
	subtitle = get_str(e, "subtitle");
	image_url = get_str(e, "image_url");
	if (title == NULL || title[0] == '\0' || utf8_chars(title) > 100)
		return "request_user_info element needs a title of at most 100 characters";
	if (subtitle == NULL || utf8_chars(subtitle) > 500)
		return "request_user_info element needs a subtitle of at most 500 characters";
	if (image_url == NULL || strncmp(image_url, "http", 4) != 0)
		return "request_user_info element needs an image_url";
	return NULL;
}

/* POST /v3.0/oa/message/{transaction,cs,promotion}. */
static MockAnswer
route_oa_message(const char *kind, const char *token, const char *body)
{
	MockAnswer a;
	json_object *root = json_tokener_parse(body ? body : "");
	json_object *message = get_typed(root, "message", json_type_object);
	json_object *attachment = get_typed(message, "attachment", json_type_object);
	const char *user_id = get_str(get_typed(root, "recipient", json_type_object), "user_id");
	const char *reply_to = get_str(get_typed(root, "recipient", json_type_object), "message_id");
	const char *text = get_str(message, "text");
	const char *problem = NULL;
	MockUser   *user;

	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if (root == NULL || !json_object_is_type(root, json_type_object))
		problem = "body is not a JSON object";
	else if (strcmp(kind, "cs") == 0 && user_id == NULL && reply_to != NULL)
	{
		/* a free reply to a user's message: recipient.message_id, text only */
		if (reply_to[0] == '\0')
			problem = "recipient.message_id must not be empty";
		else if (text == NULL)
			problem = "a reply needs message.text";
		else if (utf8_chars(text) > 2000)
		{
			a = zalo_error(-210, "Parameter exceeds allowed limit");
			goto done;
		}
		else
		{
			json_object *data = json_object_new_object();
			json_object *quota = json_object_new_object();
			char		id[21];

			new_hex_id(id, 20);
			json_object_object_add(data, "message_id", json_object_new_string(id));
			json_object_object_add(quota, "quota_type", json_object_new_string("reply"));
			json_object_object_add(data, "quota", quota);
			a = zalo_success(data);
			goto done;
		}
	}
	else if (user_id == NULL || user_id[0] == '\0' || strspn(user_id, "0123456789") != strlen(user_id))
		problem = "recipient.user_id must be a string of digits";
	else if (message == NULL)
		problem = "message is missing";
	else if (text)
	{
		if (utf8_chars(text) > 2000)
		{
			a = zalo_error(-210, "Parameter exceeds allowed limit");
			goto done;
		}
	}
	else if (attachment == NULL)
		problem = "message needs text or attachment";
	else
	{
		const char *atype = get_str(attachment, "type");
		json_object *payload = get_typed(attachment, "payload", json_type_object);
		const char *ttype = get_str(payload, "template_type");

		if (atype && strcmp(atype, "file") == 0)
		{
			const char *ftoken = get_str(payload, "token");

			if (ftoken == NULL || !json_object_object_get_ex(mock.file_tokens, ftoken, NULL))
				problem = "unknown file token";
		}
		else if (atype == NULL || strcmp(atype, "template") != 0 || ttype == NULL)
			problem = "attachment must be a template with a template_type, or a file";
		else if (strncmp(ttype, "transaction_", 12) == 0)
			problem = strcmp(kind, "transaction") == 0 ? check_transaction_payload(payload) :
				"transaction templates go to /message/transaction";
		else if (strcmp(ttype, "request_user_info") == 0)
			problem = strcmp(kind, "cs") == 0 ? check_request_user_info_payload(payload) :
				"request_user_info goes to /message/cs";
		else if (strcmp(ttype, "promotion") != 0)
			problem = "unknown template_type";
	}
	if (problem)
	{
		a = zalo_error(-201, problem);
		goto done;
	}
	user = mock_find_user(user_id);
	if (user == NULL || !user->follower)
		a = zalo_error(-213, "User has not followed OA");
	else if (user->blocked)
		a = zalo_error(-217, "User blocked OA invitation");
	else if (strcmp(kind, "cs") == 0 && user->last_interaction > 0 &&
			 time(NULL) - user->last_interaction > 7 * 86400)
		a = zalo_error(-230, "User has not interacted with OA in last 7 days");
	else if (mock.oa_quota <= 0)
		a = zalo_error(-211, "Out of quota");
	else
		a = sent_to_user(user_id, "sub_quota", --mock.oa_quota, false);
done:
	pthread_mutex_unlock(&mock.lock);
	json_object_put(root);
	return a;
}

/* Whether a string is non-empty and all decimal digits. */
static bool
all_digits(const char *s)
{
	return s && s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* The current time as epoch milliseconds in a string. */
static void
epoch_ms_text(char *buf, size_t len)
{
	snprintf(buf, len, "%lld", mock_now_us() / 1000);
}

/*
 * The success answer of a message to a user: a fresh message_id, the user
 * and the quota left (caller holds the lock); with sent_time for a ZBS
 * template.
 */
static MockAnswer
sent_to_user(const char *user_id, const char *quota_type, long remain, bool with_sent_time)
{
	json_object *data = json_object_new_object();
	json_object *quota = json_object_new_object();
	char		id[21];
	char		text[32];

	new_hex_id(id, 20);
	json_object_object_add(data, "message_id", json_object_new_string(id));
	json_object_object_add(data, "user_id", json_object_new_string(user_id));
	if (with_sent_time)
	{
		epoch_ms_text(text, sizeof(text));
		json_object_object_add(data, "sent_time", json_object_new_string(text));
	}
	snprintf(text, sizeof(text), "%ld", remain);
	json_object_object_add(quota, "quota_type", json_object_new_string(quota_type));
	json_object_object_add(quota, "remain", json_object_new_string(text));
	json_object_object_add(data, "quota", quota);
	return zalo_success(data);
}

/* -131 / -146 unless the template may be sent (ENABLE). */
static bool
check_template_status(const MockTemplate *t, MockAnswer *out)
{
	if (strcmp(t->status, "PENDING_REVIEW") == 0 || strcmp(t->status, "REJECT") == 0)
	{
		*out = zalo_error(-131, "Template not approved");
		return false;
	}
	if (strcmp(t->status, "DISABLE") == 0)
	{
		*out = zalo_error(-146, "Template disabled for low quality");
		return false;
	}
	return true;
}

/* What is wrong with a message's template_data, if anything. */
typedef enum TemplateDataProblem
{
	TEMPLATE_DATA_OK,
	TEMPLATE_DATA_MISSING,		/* a parameter absent, not a string, or empty */
	TEMPLATE_DATA_TOO_LONG		/* a value over its parameter's max_length */
} TemplateDataProblem;

/*
 * Check template_data against a template: every registered parameter a
 * non-empty string first, then none longer, in UTF-8 characters, than its
 * max_length.
 */
static TemplateDataProblem
check_template_data(const MockTemplate *t, json_object *data)
{
	size_t		n = json_object_array_length(t->params);

	if (data == NULL)
		return TEMPLATE_DATA_MISSING;
	for (size_t i = 0; i < n; i++)
	{
		const char *v = get_str(data, get_str(json_object_array_get_idx(t->params, i), "name"));

		if (v == NULL || v[0] == '\0')
			return TEMPLATE_DATA_MISSING;
	}
	for (size_t i = 0; i < n; i++)
	{
		json_object *p = json_object_array_get_idx(t->params, i);
		json_object *max_length = get_typed(p, "max_length", json_type_int);

		if (utf8_chars(get_str(data, get_str(p, "name"))) > json_object_get_int(max_length))
			return TEMPLATE_DATA_TOO_LONG;
	}
	return TEMPLATE_DATA_OK;
}

/* Lowercase hex SHA-256 of a string into hex[65]. */
static void
sha256_hex(const char *s, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[64] = '\0';
}

/* Whether a phone (or its SHA-256 hex, when hashed) has no Zalo account. */
static bool
phone_without_zalo(const char *phone, bool hashed)
{
	if (!hashed)
		return json_object_object_get_ex(mock.no_zalo_phones, phone, NULL);
	json_object_object_foreach(mock.no_zalo_phones, number, val)
	{
		char		hex[65];

		(void) val;
		sha256_hex(number, hex);
		if (strcmp(hex, phone) == 0)
			return true;
	}
	return false;
}

/* Whether a phone is an 84… number, or the lowercase SHA-256 hex of one. */
static bool
phone_valid(const char *phone, bool hashed)
{
	if (phone == NULL)
		return false;
	if (hashed)
		return strlen(phone) == 64 && strspn(phone, "0123456789abcdef") == 64;
	return strncmp(phone, "84", 2) == 0 && strlen(phone) >= 11 && strlen(phone) <= 12 &&
		all_digits(phone);
}

/* POST /v3.0/oa/message/template: a ZBS template message by OA user id. */
static MockAnswer
route_template_uid(const char *token, const char *body)
{
	MockAnswer a;
	json_object *root = json_tokener_parse(body ? body : "");
	const char *user_id = get_str(root, "user_id");
	const char *template_id = get_str(root, "template_id");
	json_object *data = get_typed(root, "template_data", json_type_object);
	MockTemplate *t;
	MockUser   *user;

	if (user_id == NULL)
		user_id = get_str(get_typed(root, "recipient", json_type_object), "user_id");
	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if (root == NULL || !json_object_is_type(root, json_type_object))
	{
		a = zalo_error(-201, "body is not a JSON object");
		goto done;
	}
	if (!all_digits(user_id))
	{
		a = zalo_error(-201, "user_id must be a string of digits");
		goto done;
	}
	if ((t = mock_find_template(template_id)) == NULL)
	{
		a = zalo_error(-109, "Template ID invalid");
		goto done;
	}
	if (!check_template_status(t, &a))
		goto done;
	switch (check_template_data(t, data))
	{
		case TEMPLATE_DATA_MISSING:
			a = zalo_error(-201, "template_data needs every template parameter as a non-empty string");
			goto done;
		case TEMPLATE_DATA_TOO_LONG:
			a = zalo_error(-210, "Parameter exceeds allowed limit");
			goto done;
		case TEMPLATE_DATA_OK:
			break;
	}
	user = mock_find_user(user_id);
	if (user == NULL || !user->follower)
		a = zalo_error(-213, "User has not followed OA");
	else if (user->blocked)
		a = zalo_error(-244, "User restricted this type of message from this OA");
	else if (!mock.balance)
		a = zalo_error(-137, "Charge failed: not enough balance");
	else if (mock.oa_quota <= 0 || mock.uid_quota <= 0)
		a = zalo_error(-211, "Out of quota");
	else
		a = sent_to_user(user_id, "purchase_quota", --mock.uid_quota, true);
done:
	pthread_mutex_unlock(&mock.lock);
	json_object_put(root);
	return a;
}

/*
 * POST /message/template (phone) and /message/template/hashphone (phone =
 * SHA-256 hex of the 84… number): a ZBS template message by phone.
 */
static MockAnswer
route_zns(const char *token, const char *body, bool hashed)
{
	MockAnswer a;
	json_object *root = json_tokener_parse(body ? body : "");
	const char *phone = get_str(root, "phone");
	const char *template_id = get_str(root, "template_id");
	const char *tracking = get_str(root, "tracking_id");
	json_object *data = get_typed(root, "template_data", json_type_object);
	MockTemplate *t;

	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if (root == NULL)
	{
		a = zalo_error(-112, "Template data invalid");
		goto done;
	}
	if (!phone_valid(phone, hashed))
	{
		a = zalo_error(-108, "Phone number invalid");
		goto done;
	}
	if ((t = mock_find_template(template_id)) == NULL)
	{
		a = zalo_error(-109, "Template ID invalid");
		goto done;
	}
	if (!check_template_status(t, &a))
		goto done;
	if (data == NULL || json_object_object_length(data) == 0)
	{
		a = zalo_error(-111, "Template data empty");
		goto done;
	}
	if (check_template_data(t, data) != TEMPLATE_DATA_OK)
	{
		a = zalo_error(-112, "Template data invalid");
		goto done;
	}
	if (tracking && strlen(tracking) > 48)
	{
		a = zalo_error(-112, "tracking_id longer than 48 characters");
		goto done;
	}
	if (phone_without_zalo(phone, hashed))
	{
		a = zalo_error(-118, "Zalo account not existed");
		goto done;
	}
	if (!mock.balance)
	{
		a = zalo_error(-137, "Charge failed: not enough balance");
		goto done;
	}
	if (mock.zns_quota <= 0)
	{
		a = zalo_error(-144, "OA daily quota exceeded");
		goto done;
	}
	{
		json_object *d = json_object_new_object();
		json_object *quota = json_object_new_object();
		char		id[25];
		char		sent[32];
		char		remain[32];

		mock.zns_quota--;
		new_hex_id(id, 24);
		epoch_ms_text(sent, sizeof(sent));
		snprintf(remain, sizeof(remain), "%ld", mock.zns_quota);
		json_object_object_add(d, "msg_id", json_object_new_string(id));
		json_object_object_add(d, "sent_time", json_object_new_string(sent));
		json_object_object_add(d, "sending_mode", json_object_new_string("1"));
		json_object_object_add(quota, "dailyQuota", json_object_new_string("5000"));
		json_object_object_add(quota, "remainingQuota", json_object_new_string(remain));
		json_object_object_add(d, "quota", quota);
		a = zalo_success(d);
	}
done:
	pthread_mutex_unlock(&mock.lock);
	json_object_put(root);
	return a;
}

/* GET /template/info/v2?template_id=…: a registered template's detail. */
static MockAnswer
route_template_info(const char *token, json_object *query)
{
	MockAnswer a;
	MockTemplate *t;

	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if ((t = mock_find_template(get_str(query, "template_id"))) == NULL)
		a = zalo_error(-109, "Template ID invalid");
	else
	{
		json_object *d = json_object_new_object();
		json_object *params = json_object_new_array();
		char		preview[128];

		for (size_t i = 0; i < json_object_array_length(t->params); i++)
		{
			json_object *p = json_object_array_get_idx(t->params, i);
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(get_str(p, "name")));
			json_object_object_add(o, "require", json_object_new_boolean(1));
			json_object_object_add(o, "type", json_object_new_string(get_str(p, "type")));
			json_object_object_add(o, "maxLength",
								   json_object_get(get_typed(p, "max_length", json_type_int)));
			json_object_object_add(o, "minLength", json_object_new_int(0));
			json_object_object_add(o, "acceptNull", json_object_new_boolean(0));
			json_object_array_add(params, o);
		}
		snprintf(preview, sizeof(preview), "https://mock.invalid/preview/%s", t->template_id);
		json_object_object_add(d, "templateId", json_object_new_string(t->template_id));
		json_object_object_add(d, "templateName", json_object_new_string(t->name));
		json_object_object_add(d, "status", json_object_new_string(t->status));
		json_object_object_add(d, "listParams", params);
		json_object_object_add(d, "timeout", json_object_new_int(7200000));
		json_object_object_add(d, "previewUrl", json_object_new_string(preview));
		json_object_object_add(d, "templateQuality", json_object_new_string("HIGH"));
		json_object_object_add(d, "templateTag", json_object_new_string("TRANSACTION"));
		json_object_object_add(d, "price", json_object_new_string(t->price));
		json_object_object_add(d, "price_uid", json_object_new_string(t->price_uid));
		a = zalo_success(d);
	}
done:
	pthread_mutex_unlock(&mock.lock);
	return a;
}

/* POST /v3.0/oa/quota/message: a user's last interaction and free replies. */
static MockAnswer
route_quota_message(const char *token, const char *body)
{
	MockAnswer a;
	json_object *root = json_tokener_parse(body ? body : "");
	const char *user_id = get_str(root, "user_id");
	MockUser   *user;

	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if (!all_digits(user_id))
		a = zalo_error(-201, "user_id must be a string of digits");
	else if ((user = mock_find_user(user_id)) == NULL)
		a = zalo_error(-213, "User has not followed OA");
	else
	{
		json_object *d = json_object_new_object();
		json_object *cs = json_object_new_object();
		char		last[32];

		snprintf(last, sizeof(last), "%lld", user->last_interaction * 1000LL);
		json_object_object_add(d, "user_id", json_object_new_string(user_id));
		json_object_object_add(d, "last_interaction", json_object_new_string(last));
		json_object_object_add(cs, "remain", json_object_new_string("8"));
		json_object_object_add(cs, "total", json_object_new_string("8"));
		json_object_object_add(d, "cs_reply", cs);
		a = zalo_success(d);
	}
done:
	pthread_mutex_unlock(&mock.lock);
	json_object_put(root);
	return a;
}

/* Value of key in an application/x-www-form-urlencoded body (no decoding of +). */
static char *
form_value(const char *body, const char *key)
{
	size_t		klen = strlen(key);
	const char *p = body;

	while (p && *p)
	{
		const char *amp = strchr(p, '&');
		size_t		len = amp ? (size_t) (amp - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
		{
			char	   *v = strndup(p + klen + 1, len - klen - 1);
			char	   *w = v;

			/* percent-decoding */
			for (char *r = v; *r; r++)
			{
				if (*r == '%' && isxdigit((unsigned char) r[1]) && isxdigit((unsigned char) r[2]))
				{
					char		hex[3] = {r[1], r[2], 0};

					*w++ = (char) strtol(hex, NULL, 16);
					r += 2;
				}
				else
					*w++ = *r;
			}
			*w = '\0';
			return v;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* POST /v4/oa/access_token: rotate both tokens; refresh tokens are single-use. */
static MockAnswer
route_oauth(const char *secret_key, const char *body)
{
	MockAnswer a;
	char	   *grant = form_value(body ? body : "", "grant_type");
	char	   *refresh = form_value(body ? body : "", "refresh_token");
	char	   *app_id = form_value(body ? body : "", "app_id");

	pthread_mutex_lock(&mock.lock);
	if (secret_key == NULL || strcmp(secret_key, mock.app_secret) != 0)
		a = zalo_error(-14001, "Invalid secret key");
	else if (app_id == NULL || strcmp(app_id, mock.app_id) != 0)
		a = zalo_error(-14003, "Invalid app_id");
	else if (grant == NULL || (strcmp(grant, "refresh_token") != 0 && strcmp(grant, "authorization_code") != 0))
		a = zalo_error(-14003, "Invalid grant_type");
	else if (strcmp(grant, "refresh_token") == 0 &&
			 (refresh == NULL || strcmp(refresh, mock.refresh_token) != 0 ||
			  json_object_object_get_ex(mock.used_refresh, refresh, NULL)))
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_int(-14014));
		json_object_object_add(o, "error_name", json_object_new_string("Invalid refresh token"));
		a.http_status = 200;
		a.zalo_error = -14014;
		a.body = strdup(json_object_to_json_string(o));
		json_object_put(o);
	}
	else
	{
		json_object *o = json_object_new_object();
		char		at[64];
		char		rt[64];
		char		exp[32];

		if (refresh)
			json_object_object_add(mock.used_refresh, refresh, json_object_new_boolean(1));
		/*
		 * Like Zalo's, a refresh token is never handed out twice, not even
		 * one loaded through /_mock/tokens from another mock (a failover
		 * test moves the stored pair to the new primary's mock).
		 */
		do
		{
			mock.token_serial++;
			snprintf(rt, sizeof(rt), "RT_%ld", mock.token_serial);
		} while (json_object_object_get_ex(mock.used_refresh, rt, NULL) ||
				 strcmp(rt, mock.refresh_token) == 0);
		snprintf(at, sizeof(at), "AT_%ld", mock.token_serial);
		snprintf(exp, sizeof(exp), "%ld", mock.expires_in);
		json_object_object_add(mock.valid_access, at, json_object_new_boolean(1));
		strcpy(mock.refresh_token, rt);
		json_object_object_add(o, "access_token", json_object_new_string(at));
		json_object_object_add(o, "refresh_token", json_object_new_string(rt));
		json_object_object_add(o, "expires_in", json_object_new_string(exp));
		a.http_status = 200;
		a.zalo_error = 0;
		a.body = strdup(json_object_to_json_string(o));
		json_object_put(o);
	}
	pthread_mutex_unlock(&mock.lock);
	free(grant);
	free(refresh);
	free(app_id);
	return a;
}

/* POST /v2.0/oa/upload/file (the multipart part "file", already parsed). */
static MockAnswer
route_upload(const char *token, const char *file_name, const char *data, size_t len)
{
	MockAnswer a;
	const char *dot = file_name ? strrchr(file_name, '.') : NULL;

	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if (file_name == NULL || data == NULL)
		a = zalo_error(-201, "multipart part \"file\" is missing");
	else if (len > 5 * 1024 * 1024)
		a = zalo_error(-210, "file larger than 5 MB");
	else if (dot == NULL || (strcasecmp(dot, ".pdf") != 0 && strcasecmp(dot, ".doc") != 0 &&
							 strcasecmp(dot, ".docx") != 0))
		a = zalo_error(-201, "only PDF, DOC and DOCX files");
	else if (strcasecmp(dot, ".pdf") == 0 && (len < 4 || memcmp(data, "%PDF", 4) != 0))
		a = zalo_error(-201, "not a PDF file");
	else
	{
		json_object *d = json_object_new_object();
		char		id[33];

		new_hex_id(id, 32);
		json_object_object_add(mock.file_tokens, id, json_object_new_boolean(1));
		json_object_object_add(d, "token", json_object_new_string(id));
		a = zalo_success(d);
	}
done:
	pthread_mutex_unlock(&mock.lock);
	return a;
}

/* POST /v3.0/oa/message/transaction: -233 since the service stopped. */
static MockAnswer
route_transaction(const char *token, const char *body)
{
	bool		available;

	pthread_mutex_lock(&mock.lock);
	available = mock.transaction_available;
	pthread_mutex_unlock(&mock.lock);
	if (!available)
		return zalo_error(-233, "This message type is no longer supported");
	return route_oa_message("transaction", token, body);
}

/* GET /v2.0/oa/getoa: the OA's id and name. */
static MockAnswer
route_getoa(const char *token)
{
	MockAnswer	a;

	pthread_mutex_lock(&mock.lock);
	if (check_token(token, &a))
	{
		json_object *d = json_object_new_object();

		json_object_object_add(d, "oa_id", json_object_new_string("4300012345678901234"));
		json_object_object_add(d, "name", json_object_new_string("Chính quyền số tỉnh (mock)"));
		a = zalo_success(d);
	}
	pthread_mutex_unlock(&mock.lock);
	return a;
}

/* Dispatch a Zalo route; route tells the counters which one. */
MockAnswer
mock_zalo_route(const char *method, const char *path, const MockRequest *req, MockRoute *route)
{
	bool		post = strcmp(method, "POST") == 0;
	MockAnswer	a = {404, 0, NULL};

	if (post && strcmp(path, "/v4/oa/access_token") == 0)
	{
		*route = ROUTE_OAUTH;
		return route_oauth(req->secret_key, req->body);
	}
	if (post && strcmp(path, "/v3.0/oa/message/transaction") == 0)
	{
		*route = ROUTE_TRANSACTION;
		return route_transaction(req->access_token, req->body);
	}
	if (post && (strcmp(path, "/v3.0/oa/message/cs") == 0 ||
				 strcmp(path, "/v3.0/oa/message/promotion") == 0))
	{
		*route = ROUTE_CS;
		return route_oa_message(path + strlen("/v3.0/oa/message/"), req->access_token, req->body);
	}
	if (post && strcmp(path, "/v3.0/oa/message/template") == 0)
	{
		*route = ROUTE_TEMPLATE_UID;
		return route_template_uid(req->access_token, req->body);
	}
	if (post && strcmp(path, "/v3.0/oa/quota/message") == 0)
	{
		*route = ROUTE_QUOTA_MESSAGE;
		return route_quota_message(req->access_token, req->body);
	}
	if (post && strcmp(path, "/v2.0/oa/upload/file") == 0)
	{
		*route = ROUTE_UPLOAD_FILE;
		return route_upload(req->access_token, req->file_name, req->file_data, req->file_len);
	}
	if (post && strcmp(path, "/message/template") == 0)
	{
		*route = ROUTE_ZNS;
		return route_zns(req->access_token, req->body, false);
	}
	if (post && strcmp(path, "/message/template/hashphone") == 0)
	{
		*route = ROUTE_HASHPHONE;
		return route_zns(req->access_token, req->body, true);
	}
	if (strcmp(method, "GET") == 0 && strcmp(path, "/template/info/v2") == 0)
	{
		*route = ROUTE_TEMPLATE_INFO;
		return route_template_info(req->access_token, req->query);
	}
	if (strcmp(method, "GET") == 0 && strcmp(path, "/v2.0/oa/getoa") == 0)
	{
		*route = ROUTE_GETOA;
		return route_getoa(req->access_token);
	}
	*route = ROUTE_OTHER;
	a.body = strdup("{\"error\":-404,\"message\":\"no such route\"}");
	return a;
}

/* The answer a fault produces instead of the route's own (NULL body = none). */
MockAnswer
mock_fault_answer(MockFault f, const char *path)
{
	/* the phone channel answers with ZNS codes; the rest with OA codes */
	bool		zns = strcmp(path, "/message/template") == 0 ||
		strcmp(path, "/message/template/hashphone") == 0;

	switch (f)
	{
		case FAULT_RATE_LIMIT:
			return zalo_error(-32, "App reached API call limit");
		case FAULT_TOKEN_EXPIRED:
			return zalo_error(-220, "access_token is expired or removed");
		case FAULT_QUOTA_EXHAUSTED:
			return zns ? zalo_error(-144, "OA daily quota exceeded") : zalo_error(-211, "Out of quota");
		case FAULT_NOT_FOLLOWER:
			return zns ? zalo_error(-118, "Zalo account not existed") : zalo_error(-213, "User has not followed OA");
		case FAULT_GARBLED_MESSAGE:
			{
				/* 300 bytes of "ệ" around bytes that are no UTF-8 at all */
				char		message[512] = "";

				for (int i = 0; i < 60; i++)
					strcat(message, "\xe1\xbb\x87");
				strcat(message, " \xff\xfe\xc0\xaf ");
				for (int i = 0; i < 40; i++)
					strcat(message, "\xe1\xbb\x87");
				return zalo_error(-201, message);
			}
		case FAULT_EMPTY_SUCCESS:
			return zalo_error(0, "Success");
		case FAULT_ZALO_ERROR:
			{
				char		message[64];

				snprintf(message, sizeof(message), "injected Zalo error %d", mock.fault_code);
				return zalo_error(mock.fault_code, message);
			}
		case FAULT_HTTP_500:
			{
				MockAnswer a = {500 + (rand_r(&mock.seed) % 2) * 3, 0, strdup("<html>Internal Server Error</html>")};

				return a;
			}
		default:
			{
				MockAnswer a = {0, 0, NULL};

				return a;
			}
	}
}
