/*
 * mock_routes.h
 *		The Zalo routes of the mock (OAuth, OA messages, ZBS template
 *		messages by user id, phone and hashed phone, template info, message
 *		quota, upload, getoa) and the answers of injected faults.
 */
#ifndef ZALO_MOCK_ROUTES_H
#define ZALO_MOCK_ROUTES_H

#include <stddef.h>

#include "mock_state.h"

/* One parsed request. */
typedef struct MockRequest
{
	const char *access_token;
	const char *secret_key;
	const char *body;			/* JSON or form text, NUL-terminated */
	json_object *query;			/* the query arguments, {name: value} */
	const char *file_name;		/* multipart part "file" */
	const char *file_data;
	size_t		file_len;
} MockRequest;

/* HTTP status 0 with no body means: close the connection, no answer. */
typedef struct MockAnswer
{
	int			http_status;
	int			zalo_error;
	char	   *body;			/* malloc'ed */
} MockAnswer;

extern MockAnswer mock_zalo_route(const char *method, const char *path,
								  const MockRequest *req, MockRoute *route);
extern MockAnswer mock_fault_answer(MockFault f, const char *path);

#endif							/* ZALO_MOCK_ROUTES_H */
