/*
 * mock_routes.c
 *		The Zalo routes of the mock: the OAuth token endpoint, OA messages
 *		(transaction, cs, promotion), file upload, ZNS template messages
 *		and getoa, each validating its request as zalo-api.md describes and
 *		answering application errors with HTTP 200 and a negative "error".
 */
#include "mock_routes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_state.h"

/* An answer {"error": code, "message": text}. */
static MockAnswer
zalo_error(int code, const char *message)
{
	MockAnswer a = {200, code, NULL};
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_int(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	a.body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
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
	a.body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
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
	{
		json_object *data = json_object_new_object();
		json_object *quota = json_object_new_object();
		char		id[21];
		char		remain[32];

		mock.oa_quota--;
		new_hex_id(id, 20);
		snprintf(remain, sizeof(remain), "%ld", mock.oa_quota);
		json_object_object_add(data, "message_id", json_object_new_string(id));
		json_object_object_add(data, "user_id", json_object_new_string(user_id));
		json_object_object_add(quota, "quota_type", json_object_new_string("sub_quota"));
		json_object_object_add(quota, "remain", json_object_new_string(remain));
		json_object_object_add(data, "quota", quota);
		a = zalo_success(data);
	}
done:
	pthread_mutex_unlock(&mock.lock);
	json_object_put(root);
	return a;
}

/* POST /message/template (ZNS). */
static MockAnswer
route_zns(const char *token, const char *body)
{
	MockAnswer a;
	json_object *root = json_tokener_parse(body ? body : "");
	const char *phone = get_str(root, "phone");
	const char *template_id = get_str(root, "template_id");
	const char *tracking = get_str(root, "tracking_id");
	json_object *data = get_typed(root, "template_data", json_type_object);
	MockTemplate *t = NULL;

	pthread_mutex_lock(&mock.lock);
	if (!check_token(token, &a))
		goto done;
	if (root == NULL)
	{
		a = zalo_error(-112, "Template data invalid");
		goto done;
	}
	if (phone == NULL || strncmp(phone, "84", 2) != 0 || strlen(phone) < 11 || strlen(phone) > 12 ||
		strspn(phone, "0123456789") != strlen(phone))
	{
		a = zalo_error(-108, "Phone number invalid");
		goto done;
	}
	for (int i = 0; template_id && i < mock.n_templates; i++)
		if (strcmp(mock.templates[i].template_id, template_id) == 0)
			t = &mock.templates[i];
	if (t == NULL)
	{
		a = zalo_error(-109, "Template ID invalid");
		goto done;
	}
	if (data == NULL || json_object_object_length(data) == 0)
	{
		a = zalo_error(-111, "Template data empty");
		goto done;
	}
	for (size_t i = 0; i < json_object_array_length(t->params); i++)
	{
		const char *p = json_object_get_string(json_object_array_get_idx(t->params, i));
		const char *v = get_str(data, p);

		if (v == NULL || v[0] == '\0')
		{
			a = zalo_error(-112, "Template data invalid");
			goto done;
		}
	}
	if (tracking && strlen(tracking) > 48)
	{
		a = zalo_error(-112, "tracking_id longer than 48 characters");
		goto done;
	}
	if (json_object_object_get_ex(mock.no_zalo_phones, phone, NULL))
	{
		a = zalo_error(-118, "Zalo account not existed");
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
		snprintf(sent, sizeof(sent), "%lld", mock_now_us() / 1000);
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

/* Dispatch a Zalo route; route_index tells the counters which one. */
MockAnswer
mock_zalo_route(const char *method, const char *path, const MockRequest *req, int *route_index)
{
	MockAnswer a = {404, 0, strdup("{\"error\":-404,\"message\":\"no such route\"}")};

	*route_index = 7;
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v4/oa/access_token") == 0)
	{
		free(a.body);
		*route_index = 0;
		return route_oauth(req->secret_key, req->body);
	}
	if (strcmp(method, "POST") == 0 && strncmp(path, "/v3.0/oa/message/", 17) == 0)
	{
		const char *kind = path + 17;

		if (strcmp(kind, "transaction") == 0 || strcmp(kind, "cs") == 0 || strcmp(kind, "promotion") == 0)
		{
			free(a.body);
			*route_index = strcmp(kind, "transaction") == 0 ? 1 : 2;
			return route_oa_message(kind, req->access_token, req->body);
		}
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v2.0/oa/upload/file") == 0)
	{
		free(a.body);
		*route_index = 3;
		return route_upload(req->access_token, req->file_name, req->file_data, req->file_len);
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/message/template") == 0)
	{
		free(a.body);
		*route_index = 4;
		return route_zns(req->access_token, req->body);
	}
	if (strcmp(method, "GET") == 0 && strcmp(path, "/v2.0/oa/getoa") == 0)
	{
		MockAnswer b;

		free(a.body);
		*route_index = 5;
		pthread_mutex_lock(&mock.lock);
		if (check_token(req->access_token, &b))
		{
			json_object *d = json_object_new_object();

			json_object_object_add(d, "oa_id", json_object_new_string("4300012345678901234"));
			json_object_object_add(d, "name", json_object_new_string("Chính quyền số tỉnh (mock)"));
			b = zalo_success(d);
		}
		pthread_mutex_unlock(&mock.lock);
		return b;
	}
	return a;
}

/* The answer a fault produces instead of the route's own (NULL body = none). */
MockAnswer
mock_fault_answer(MockFault f, const char *path)
{
	bool		zns = strcmp(path, "/message/template") == 0;

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
