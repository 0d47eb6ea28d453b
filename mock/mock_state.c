/*
 * mock_state.c
 *		The mock's state: reset, fault selection (seeded, reproducible),
 *		users, the registry of ZBS templates and the record of every Zalo
 *		request, in memory and as JSON lines.
 */
#include "mock_state.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

MockState	mock;

static const char *const fault_names[MAX_FAULT_KINDS] = {
	"http_500", "timeout", "reset", "rate_limit", "token_expired",
	"quota_exhausted", "not_follower", "latency_spike", "garbled_message",
	"empty_success", "zalo_error"
};

/* Microseconds since the epoch. */
long long
mock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * Forget users, templates, faults, records and counters, and restore the
 * defaults of quotas, balance and the legacy transaction message (stopped
 * since 2026-03-01); keep tokens and the rest of the config.
 */
void
mock_state_reset(void)
{
	free(mock.users);
	mock.users = NULL;
	mock.n_users = 0;
	json_object_put(mock.user_index);
	mock.user_index = json_object_new_object();
	for (int i = 0; i < mock.n_templates; i++)
		json_object_put(mock.templates[i].params);
	free(mock.templates);
	mock.templates = NULL;
	mock.n_templates = 0;
	json_object_put(mock.no_zalo_phones);
	mock.no_zalo_phones = json_object_new_object();
	json_object_put(mock.fault_queue);
	mock.fault_queue = json_object_new_array();
	json_object_put(mock.records);
	mock.records = json_object_new_array();
	memset(mock.fault_rate, 0, sizeof(mock.fault_rate));
	mock.fault_path_prefix[0] = '\0';
	mock.zns_quota = 1000000000L;
	mock.oa_quota = 1000000000L;
	mock.uid_quota = 100000L;
	mock.balance = true;
	mock.transaction_available = false;
	memset(mock.count_by_route, 0, sizeof(mock.count_by_route));
	memset(mock.count_faults, 0, sizeof(mock.count_faults));
	mock.count_ok = mock.count_error = 0;
}

/* Initialise the state once at start. */
void
mock_state_init(unsigned int seed, const char *record_path)
{
	memset(&mock, 0, sizeof(mock));
	pthread_mutex_init(&mock.lock, NULL);
	strcpy(mock.app_id, "1234567890123456789");
	strcpy(mock.app_secret, "S3CR3T");
	strcpy(mock.oa_secret_key, "OAKEY");
	mock.expires_in = 90000;
	mock.timeout_hold_ms = 30000;
	mock.record_mode = 2;
	mock.record_limit = 100000;
	mock.valid_access = json_object_new_object();
	mock.expired_access = json_object_new_object();
	mock.used_refresh = json_object_new_object();
	mock.file_tokens = json_object_new_object();
	mock.seed = seed;
	mock.started_us = mock_now_us();
	if (record_path)
	{
		mock.record_file = fopen(record_path, "a");
		if (mock.record_file == NULL)
			perror(record_path);
	}
	mock_state_reset();
}

/* Free the whole state at exit, so that a leak checker sees only leaks. */
void
mock_state_free(void)
{
	mock_state_reset();
	json_object_put(mock.user_index);
	json_object_put(mock.no_zalo_phones);
	json_object_put(mock.fault_queue);
	json_object_put(mock.records);
	json_object_put(mock.valid_access);
	json_object_put(mock.expired_access);
	json_object_put(mock.used_refresh);
	json_object_put(mock.file_tokens);
	if (mock.record_file)
		fclose(mock.record_file);
	pthread_mutex_destroy(&mock.lock);
	memset(&mock, 0, sizeof(mock));
}

/* The name of a fault kind, or NULL. */
const char *
mock_fault_name(MockFault f)
{
	return (f >= 0 && f < MAX_FAULT_KINDS) ? fault_names[f] : NULL;
}

/* The fault kind of a name, or FAULT_NONE. */
MockFault
mock_fault_from_name(const char *name)
{
	for (int i = 0; i < MAX_FAULT_KINDS; i++)
		if (strcmp(name, fault_names[i]) == 0)
			return (MockFault) i;
	return FAULT_NONE;
}

/*
 * The fault to inject for a request (caller holds the lock): first the
 * queued exact faults, then the configured probabilities.
 */
MockFault
mock_pick_fault(const char *path)
{
	if (mock.fault_path_prefix[0] &&
		strncmp(path, mock.fault_path_prefix, strlen(mock.fault_path_prefix)) != 0)
		return FAULT_NONE;
	while (json_object_array_length(mock.fault_queue) > 0)
	{
		json_object *head = json_object_array_get_idx(mock.fault_queue, 0);
		json_object *f;
		json_object *c;
		int			count;
		MockFault	fault;

		if (!json_object_object_get_ex(head, "fault", &f) ||
			(fault = mock_fault_from_name(json_object_get_string(f))) == FAULT_NONE)
		{
			json_object_array_del_idx(mock.fault_queue, 0, 1);
			continue;
		}
		count = json_object_object_get_ex(head, "count", &c) ? json_object_get_int(c) : 1;
		if (fault == FAULT_ZALO_ERROR)
			mock.fault_code = json_object_object_get_ex(head, "code", &c) ? json_object_get_int(c) : -1;
		if (count <= 1)
			json_object_array_del_idx(mock.fault_queue, 0, 1);
		else
			json_object_object_add(head, "count", json_object_new_int(count - 1));
		return fault;
	}
	for (int i = 0; i < MAX_FAULT_KINDS; i++)
	{
		/*
		 * The token endpoint answers no application error of the message
		 * APIs (-32, an expired access token, quota, follower): at rates,
		 * it only fails the way any HTTP server can.
		 */
		bool		transport = i == FAULT_HTTP_500 || i == FAULT_TIMEOUT || i == FAULT_RESET ||
			i == FAULT_LATENCY_SPIKE;

		if (!transport && strcmp(path, "/v4/oa/access_token") == 0)
			continue;
		if (mock.fault_rate[i] > 0 &&
			(double) rand_r(&mock.seed) / RAND_MAX < mock.fault_rate[i])
			return (MockFault) i;
	}
	return FAULT_NONE;
}

/* Record one Zalo request (takes the lock); query may be NULL. */
void
mock_record(const char *method, const char *path, json_object *query,
			const char *access_token, const char *secret_key, const char *body,
			int http_status, int zalo_error, MockFault fault)
{
	json_object *r;
	json_object *parsed;

	pthread_mutex_lock(&mock.lock);
	if (zalo_error == 0 && http_status == 200 && fault == FAULT_NONE)
		mock.count_ok++;
	else
		mock.count_error++;
	if (fault != FAULT_NONE)
		mock.count_faults[fault]++;
	if (mock.record_mode < 2)
	{
		pthread_mutex_unlock(&mock.lock);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "seq", json_object_new_int64(++mock.seq));
	json_object_object_add(r, "time_us", json_object_new_int64(mock_now_us()));
	json_object_object_add(r, "method", json_object_new_string(method));
	json_object_object_add(r, "path", json_object_new_string(path));
	if (query && json_object_object_length(query) > 0)
		json_object_object_add(r, "query", json_object_get(query));
	if (access_token)
		json_object_object_add(r, "access_token", json_object_new_string(access_token));
	if (secret_key)
		json_object_object_add(r, "secret_key", json_object_new_string(secret_key));
	parsed = body ? json_tokener_parse(body) : NULL;
	if (parsed)
		json_object_object_add(r, "body", parsed);
	else if (body)
		json_object_object_add(r, "body", json_object_new_string(body));
	json_object_object_add(r, "http_status", json_object_new_int(http_status));
	json_object_object_add(r, "error", json_object_new_int(zalo_error));
	if (fault != FAULT_NONE)
		json_object_object_add(r, "fault", json_object_new_string(mock_fault_name(fault)));
	if (mock.record_file)
		fprintf(mock.record_file, "%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN));
	json_object_array_add(mock.records, r);
	if ((long) json_object_array_length(mock.records) > mock.record_limit)
		json_object_array_del_idx(mock.records, 0, json_object_array_length(mock.records) - mock.record_limit);
	pthread_mutex_unlock(&mock.lock);
}

/* The user record of a user_id, or NULL (caller holds the lock). */
MockUser *
mock_find_user(const char *user_id)
{
	json_object *pos;

	if (!json_object_object_get_ex(mock.user_index, user_id, &pos))
		return NULL;
	return &mock.users[json_object_get_int(pos)];
}

/* A new user, a follower until told otherwise (caller holds the lock). */
MockUser *
mock_add_user(const char *user_id)
{
	MockUser   *user;

	mock.users = realloc(mock.users, sizeof(MockUser) * (mock.n_users + 1));
	user = &mock.users[mock.n_users];
	memset(user, 0, sizeof(*user));
	snprintf(user->user_id, sizeof(user->user_id), "%s", user_id);
	user->follower = true;
	json_object_object_add(mock.user_index, user->user_id, json_object_new_int(mock.n_users));
	mock.n_users++;
	return user;
}

/* The registered template of an id, or NULL (caller holds the lock). */
MockTemplate *
mock_find_template(const char *template_id)
{
	for (int i = 0; template_id && i < mock.n_templates; i++)
		if (strcmp(mock.templates[i].template_id, template_id) == 0)
			return &mock.templates[i];
	return NULL;
}

/* Whether a template status is one Zalo knows. */
bool
mock_template_status_valid(const char *status)
{
	return status && (strcmp(status, "ENABLE") == 0 || strcmp(status, "PENDING_REVIEW") == 0 ||
					  strcmp(status, "REJECT") == 0 || strcmp(status, "DISABLE") == 0);
}

/*
 * One registered parameter, {"name", "max_length", "type"}, from a bare
 * name (max_length 30) or an object (max_length 30 and type STRING unless
 * given); NULL when malformed.
 */
static json_object *
normalized_param(json_object *p)
{
	json_object *name = p;
	json_object *max_length = NULL;
	json_object *type = NULL;
	json_object *out;

	if (json_object_is_type(p, json_type_object))
	{
		if (!json_object_object_get_ex(p, "name", &name))
			return NULL;
		json_object_object_get_ex(p, "max_length", &max_length);
		json_object_object_get_ex(p, "type", &type);
	}
	if (!json_object_is_type(name, json_type_string) || json_object_get_string_len(name) == 0)
		return NULL;
	if (max_length && (!json_object_is_type(max_length, json_type_int) ||
					   json_object_get_int(max_length) <= 0))
		return NULL;
	if (type && !json_object_is_type(type, json_type_string))
		return NULL;
	out = json_object_new_object();
	json_object_object_add(out, "name", json_object_new_string(json_object_get_string(name)));
	json_object_object_add(out, "max_length",
						   json_object_new_int(max_length ? json_object_get_int(max_length) : 30));
	json_object_object_add(out, "type",
						   json_object_new_string(type ? json_object_get_string(type) : "STRING"));
	return out;
}

/* A string or number member as text in a fixed buffer, else the default. */
static void
copy_text(json_object *o, const char *key, const char *dflt, char *buf, size_t len)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
		(json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int)))
		snprintf(buf, len, "%s", json_object_get_string(v));
	else
		snprintf(buf, len, "%s", dflt);
}

/*
 * Register templates from [{"template_id", "params", "status", "name",
 * "price", "price_uid"}]; an id registered before is replaced.  All or
 * nothing: the first malformed entry is reported and nothing is changed
 * (caller holds the lock).
 */
const char *
mock_set_templates(json_object *list)
{
	int			n = (int) json_object_array_length(list);
	MockTemplate *parsed = calloc(n > 0 ? n : 1, sizeof(MockTemplate));
	const char *problem = NULL;
	int			done = 0;

	for (; done < n && problem == NULL; done++)
	{
		json_object *t = json_object_array_get_idx(list, done);
		MockTemplate *mt = &parsed[done];
		json_object *id;
		json_object *params;

		mt->params = json_object_new_array();
		if (!json_object_is_type(t, json_type_object) ||
			!json_object_object_get_ex(t, "template_id", &id) ||
			!(json_object_is_type(id, json_type_string) || json_object_is_type(id, json_type_int)) ||
			json_object_get_string_len(id) == 0)
		{
			problem = "every template needs a template_id";
			continue;
		}
		if (!json_object_object_get_ex(t, "params", &params) ||
			!json_object_is_type(params, json_type_array))
		{
			problem = "params must be an array of names or of {name, max_length, type}";
			continue;
		}
		for (size_t i = 0; i < json_object_array_length(params) && problem == NULL; i++)
		{
			json_object *p = normalized_param(json_object_array_get_idx(params, i));

			if (p == NULL)
				problem = "params must be an array of names or of {name, max_length, type}";
			else
				json_object_array_add(mt->params, p);
		}
		snprintf(mt->template_id, sizeof(mt->template_id), "%s", json_object_get_string(id));
		copy_text(t, "status", "ENABLE", mt->status, sizeof(mt->status));
		if (problem == NULL && !mock_template_status_valid(mt->status))
			problem = "status must be ENABLE, PENDING_REVIEW, REJECT or DISABLE";
		copy_text(t, "name", mt->template_id, mt->name, sizeof(mt->name));
		copy_text(t, "price", "440", mt->price, sizeof(mt->price));
		copy_text(t, "price_uid", "200", mt->price_uid, sizeof(mt->price_uid));
	}
	for (int i = 0; i < done; i++)
	{
		MockTemplate *old;

		if (problem)
		{
			json_object_put(parsed[i].params);
			continue;
		}
		old = mock_find_template(parsed[i].template_id);
		if (old == NULL)
		{
			mock.templates = realloc(mock.templates, sizeof(MockTemplate) * (mock.n_templates + 1));
			old = &mock.templates[mock.n_templates++];
		}
		else
			json_object_put(old->params);
		*old = parsed[i];
	}
	free(parsed);
	return problem;
}

/* Push buffered record lines to the file. */
void
mock_flush_record(void)
{
	pthread_mutex_lock(&mock.lock);
	if (mock.record_file)
		fflush(mock.record_file);
	pthread_mutex_unlock(&mock.lock);
}
