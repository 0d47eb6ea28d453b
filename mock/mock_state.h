/*
 * mock_state.h
 *		State of the local Zalo API mock: configuration, tokens, users,
 *		phones, ZBS templates (status, parameters with their limits,
 *		prices), quotas, the template balance, whether the legacy
 *		transaction message is still served, faults and the request record.
 *		Everything is guarded by one mutex.
 */
#ifndef ZALO_MOCK_STATE_H
#define ZALO_MOCK_STATE_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_FAULT_KINDS 11

/* The faults the mock can inject into Zalo routes. */
typedef enum MockFault
{
	FAULT_NONE = -1,
	FAULT_HTTP_500 = 0,
	FAULT_TIMEOUT,
	FAULT_RESET,
	FAULT_RATE_LIMIT,
	FAULT_TOKEN_EXPIRED,
	FAULT_QUOTA_EXHAUSTED,
	FAULT_NOT_FOLLOWER,
	FAULT_LATENCY_SPIKE,
	FAULT_GARBLED_MESSAGE,		/* -201 with a long message holding invalid UTF-8 */
	FAULT_EMPTY_SUCCESS,		/* error 0 without data: no message id, no file token */
	FAULT_ZALO_ERROR			/* the Zalo error code of the queued fault's "code" */
} MockFault;

typedef struct MockUser
{
	char		user_id[32];
	bool		follower;
	bool		blocked;
	long long	last_interaction;	/* epoch seconds, 0 = unknown */
} MockUser;

/* The requests counted per route in the stats; names in mock_main.c. */
typedef enum MockRoute
{
	ROUTE_OAUTH = 0,
	ROUTE_TRANSACTION,
	ROUTE_CS,					/* cs and promotion */
	ROUTE_UPLOAD_FILE,
	ROUTE_ZNS,					/* the phone channel, /message/template */
	ROUTE_GETOA,
	ROUTE_CONTROL,
	ROUTE_OTHER,				/* unknown paths and faulted requests */
	ROUTE_TEMPLATE_UID,
	ROUTE_HASHPHONE,
	ROUTE_TEMPLATE_INFO,
	ROUTE_QUOTA_MESSAGE,
	MOCK_N_ROUTES
} MockRoute;

/* A registered ZBS template (one template serves both channels). */
typedef struct MockTemplate
{
	char		template_id[64];
	char		name[128];
	char		status[32];		/* ENABLE, PENDING_REVIEW, REJECT, DISABLE */
	char		price[32];		/* by phone, VND, as a string */
	char		price_uid[32];	/* by user id */
	json_object *params;		/* [{"name", "max_length", "type"}] */
} MockTemplate;

typedef struct MockState
{
	pthread_mutex_t lock;
	/* configuration */
	char		app_id[64];
	char		app_secret[128];
	char		oa_secret_key[128];
	long		expires_in;
	int			latency_ms;
	int			timeout_hold_ms;
	int			record_mode;	/* 0 off, 1 counts, 2 full */
	/* tokens */
	json_object *valid_access;	/* object used as a set */
	json_object *expired_access;
	char		current_access[128];
	char		refresh_token[128];
	json_object *used_refresh;
	long		token_serial;
	/* citizens */
	MockUser   *users;
	int			n_users;
	json_object *user_index;	/* user_id -> position in users */
	json_object *no_zalo_phones;
	MockTemplate *templates;
	int			n_templates;
	json_object *file_tokens;
	long		zns_quota;
	long		oa_quota;
	long		uid_quota;		/* template messages by user id */
	bool		balance;		/* false: template sends fail to charge (-137) */
	bool		transaction_available;	/* the legacy transaction message */
	/* faults */
	double		fault_rate[MAX_FAULT_KINDS];
	char		fault_path_prefix[128];
	json_object *fault_queue;	/* [{"fault":..,"count":..,"code":..}] */
	int			fault_code;		/* of the last zalo_error fault taken */
	unsigned int seed;
	/* record */
	json_object *records;		/* ring of the latest requests */
	long		record_limit;
	long long	seq;
	FILE	   *record_file;
	long long	started_us;
	/* counters */
	long long	count_by_route[MOCK_N_ROUTES];
	long long	count_faults[MAX_FAULT_KINDS];
	long long	count_ok;
	long long	count_error;
} MockState;

extern MockState mock;

extern void mock_state_init(unsigned int seed, const char *record_path);
extern void mock_state_reset(void);
extern void mock_state_free(void);
extern long long mock_now_us(void);
extern const char *mock_fault_name(MockFault f);
extern MockFault mock_fault_from_name(const char *name);
extern MockFault mock_pick_fault(const char *path);
extern void mock_record(const char *method, const char *path, json_object *query,
						const char *access_token, const char *secret_key, const char *body,
						int http_status, int zalo_error, MockFault fault);
extern void mock_flush_record(void);
extern MockUser *mock_find_user(const char *user_id);
extern MockUser *mock_add_user(const char *user_id);
extern MockTemplate *mock_find_template(const char *template_id);
extern const char *mock_set_templates(json_object *list);
extern bool mock_template_status_valid(const char *status);

#endif							/* ZALO_MOCK_STATE_H */
