/*
 * worker.c
 *		The delivery worker: a background worker that sends queued
 *		notifications to Zalo.
 *
 * The loop sleeps on its latch until a committing transaction wakes it or
 * the next retry is due.  It claims notifications in short transactions,
 * sends them concurrently through zalo_client.c, and records outcomes in
 * batched transactions; no transaction is open while a request is on the
 * wire.  It starts only once recovery has finished, so a standby sends
 * nothing and its worker starts when it is promoted.
 */
#include "postgres.h"

#include <dirent.h>
#include <math.h>
#include <sys/resource.h>

#include "access/xact.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "credentials.h"
#include "message.h"
#include "operations_control.h"
#include "operations_monitor.h"
#include "operations_retention.h"
#include "outbox.h"
#include "pg_compat.h"
#include "settings.h"
#include "shmem.h"
#include "worker.h"
#include "worker_txn.h"
#include "zalo_client.h"
#include "zbs_templates.h"

/*
 * A request of ours on the wire, or a claimed notification whose request
 * waits for room (waiting: its endpoint and body are kept until it starts).
 */
typedef struct PendingSend
{
	dlist_node	node;			/* in WorkerLoop.in_flight */
	dlist_node	wait_node;		/* in WorkerLoop.waiting, while waiting */
	bool		waiting;
	ZaloEndpoint endpoint;		/* while waiting: the request to start */
	char	   *body;			/* malloc'ed, while waiting */
	int64		outbox_id;
	int32		attempt;
	bool		is_oa_stage;	/* may fall back to ZNS */
	bool		is_template_read;	/* a template's detail, not a notification */
	int			channel;		/* ZT_CHANNEL_UID or _PHONE for a ZBS template, else -1 */
	char	   *template_id;	/* malloc'ed: the template sent or read */
	char	   *user_id;		/* malloc'ed, for the file message */
	char	   *file_name;		/* malloc'ed copy of the receipt, for the upload */
	char	   *file_data;
	int			file_len;
	char	   *consultation;	/* malloc'ed: a free reply's body as a consultation message */
	TimestampTz started_at;
} PendingSend;

/* The worker's state between loop iterations. */
typedef struct WorkerLoop
{
	ZaloClient *client;
	MemoryContext cycle_cxt;	/* reset every iteration */
	MemoryContext outcome_cxt;	/* reset after each flush */
	MemoryContext creds_cxt;
	ZtCredentials creds;
	uint32		creds_generation;
	ZtOutcome  *outcomes;
	int			n_outcomes;
	int			max_outcomes;
	TimestampTz first_outcome_at;
	bool		more_work;		/* the queue may have due rows */
	bool		claim_on_timeout;	/* the wait's timeout is a due time */
	WaitEventSet *wait_set;		/* latch, postmaster, the client's sockets */
	dlist_head	in_flight;		/* PendingSends this worker holds */
	dlist_head	waiting;		/* claimed, request not started, oldest first */
	int			n_waiting;
	TimestampTz lease_check_at; /* next look for claims whose lease ran out */
	TimestampTz claimed_up_to;	/* the last claim took every unlocked row
								 * due by then */
	TimestampTz last_claim_at;
	TimestampTz own_retry_at;	/* earliest retry this worker wrote and has
								 * not looked for since; 0 if none */
	bool		token_refresh_needed;
	TimestampTz paused_until;
	int			outage_retries; /* unreachable-Zalo pauses in a row */
	TimestampTz last_answer_at; /* Zalo's latest HTTP answer, any status */
	int			held_unlogged;	/* notices held since the last LOG line saying so */
	TimestampTz hold_logged_at;
	TimestampTz channel_held_until[ZT_CHANNELS];	/* an account problem met there */
	char		channel_hold_reason[ZT_CHANNELS][ZT_TEXT_LEN];
	TimestampTz templates_read_at;	/* next read of the templates' detail */
	uint32		templates_generation;	/* webhooks about templates seen */
	int			template_reads; /* reads on the wire */
	double		tokens;			/* rate-limit bucket */
	TimestampTz tokens_at;
	int			errors_in_a_row;	/* turns of the loop that ended in ERROR */
	char	   *identity;		/* database_identity() of this database */
	bool		copy_warned;	/* said that the credentials are elsewhere's */
	bool		pair_unstored;	/* creds hold a refreshed pair not yet stored */
	char	   *unstored_old_refresh;	/* the refresh token it replaces */
	TimestampTz unstored_retry_at;	/* next try to store it */
	int			failed_flushes; /* tries to write the current outcomes */
} WorkerLoop;

/*
 * After this many turns in a row end in an ERROR the worker exits and the
 * postmaster starts a new one; until then each error waits longer.
 */
#define MAX_ERRORS_IN_A_ROW 10

/*
 * Outcomes are written at most this long (ms) after the first of a batch
 * (outcome_flush_ms): soon when the answer was the last one expected, later
 * while more answers are on their way, so that a busy worker writes a few
 * large batches instead of many small ones.
 */
#define OUTCOME_FLUSH_MS 20
#define OUTCOME_FLUSH_BUSY_MS 100

/*
 * With requests on the wire, claims are this far apart (ms) at least: the
 * commits of a busy hour each wake the worker, and a claim per commit would
 * cost a transaction per notification.  While less than a quarter of what
 * the worker may hold (claim_capacity) is free, a claim waits for more room
 * up to CLAIM_WAIT_FOR_ROOM_MS, so that answers arriving one by one do not
 * each bring a claim of one.  An idle worker claims at once.
 */
#define CLAIM_SPACING_MS 2
#define CLAIM_WAIT_FOR_ROOM_MS 10
#define MAX_ERROR_WAIT_MS (30 * 1000)

/* Attempts for an undocumented Zalo error code before the notice is held. */
#define UNKNOWN_CODE_TRIES 3

/* A receipt file goes only to a citizen who wrote to the OA this recently (Zalo's rule). */
#define RECEIPT_FILE_INTERACTION_DAYS 7

/* After a failed read of the templates, the next try (ms). */
#define TEMPLATE_READ_RETRY_MS (60 * 1000)

bool		zt_am_delivery_worker = false;

/* The worker's state; static, so that it survives the error boundary. */
static WorkerLoop worker_loop;

/* Register the worker; called from _PG_init in the postmaster. */
void
zt_register_worker(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "zalo_tthc");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "zt_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "zalo_tthc worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "zalo_tthc worker");
	RegisterBackgroundWorker(&worker);
}

/* Set the state shown by worker_status(). */
static void
set_state(ZtWorkerState state)
{
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->state = state;
	SpinLockRelease(&zt_shared->mutex);
}

/* Remember the last error for worker_status() (never a secret). */
static void
note_error(const char *text)
{
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->last_error_at = now;
	strlcpy(zt_shared->last_error, text, ZT_TEXT_LEN);
	SpinLockRelease(&zt_shared->mutex);
}

/* Pause all sending until a time, saying why. */
static void
pause_sending(WorkerLoop *w, TimestampTz until, ZtWorkerState state, const char *reason)
{
	if (until > w->paused_until)
		w->paused_until = until;
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->state = state;
	zt_shared->paused_until = w->paused_until;
	strlcpy(zt_shared->pause_reason, reason, ZT_TEXT_LEN);
	SpinLockRelease(&zt_shared->mutex);
}

/* Leave the pause (credentials changed or the pause ended). */
static void
resume_sending(WorkerLoop *w)
{
	w->paused_until = 0;
	w->more_work = true;
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->paused_until = 0;
	zt_shared->pause_reason[0] = '\0';
	SpinLockRelease(&zt_shared->mutex);
}

/* Unregister from shared memory at exit. */
static void
worker_on_exit(int code, Datum arg)
{
	pg_atomic_write_u32(&zt_shared->worker_procno, ZT_NO_WORKER);
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->state = ZT_WS_NOT_RUNNING;
	zt_shared->worker_pid = 0;
	zt_shared->in_flight = 0;
	SpinLockRelease(&zt_shared->mutex);
	/* close Zalo's connections and free what libcurl holds */
	if (worker_loop.client != NULL)
	{
		zalo_client_destroy(worker_loop.client);
		worker_loop.client = NULL;
	}
}

/*
 * Files PostgreSQL itself may still open in the worker (relation segments,
 * WAL, temporary files) beside those open when it counts; the rest of the
 * open-files limit is for Zalo's connections.
 */
#define FILES_KEPT_FOR_POSTGRES 128

/* Requests (one socket each) that fit in the open-files limit. */
static int	requests_that_fit = INT_MAX;

/* max_in_flight, capped to what the open-files limit allows. */
static int
max_requests_in_flight(void)
{
	return Min(zt_max_in_flight, requests_that_fit);
}

/* How many files this process has open now (0 if it cannot tell). */
static int
files_open_now(void)
{
	DIR		   *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int			n = 0;

	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/*
 * Raise the soft limit of open files to the hard limit (a postmaster
 * started from a login shell gets 1,024), and work out how many requests
 * fit beside PostgreSQL's own files.  Without this, requests past the
 * limit fail to connect and look like a Zalo outage.  One LOG line says
 * what the worker has.
 */
static void
fit_requests_to_open_files(void)
{
	struct rlimit rl;
	rlim_t		before;
	long		fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	before = rl.rlim_cur;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max)
	{
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = before;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	fit = (long) rl.rlim_cur - files_open_now() - FILES_KEPT_FOR_POSTGRES;
	requests_that_fit = (int) Max(Min(fit, (long) INT_MAX), 1L);
	ereport(LOG,
			(errmsg("zalo_tthc worker: open files limit %lu (soft limit was %lu); up to %d requests in flight",
					(unsigned long) rl.rlim_cur, (unsigned long) before, max_requests_in_flight()),
			 zt_max_in_flight > requests_that_fit ?
			 errdetail("zalo_tthc.max_in_flight is %d, more than the open files limit leaves room for.",
					   zt_max_in_flight) : 0));
}

/* Client options from the current settings. */
static ZaloClientOptions
client_options(void)
{
	ZaloClientOptions opts;

	opts.max_in_flight = max_requests_in_flight();
	opts.connect_timeout_ms = zt_connect_timeout_ms;
	opts.request_timeout_ms = zt_request_timeout_ms;
	opts.ca_file = zt_ca_file;
	return opts;
}

/* Reload settings after SIGHUP. */
static void
reload_settings(WorkerLoop *w)
{
	ZaloClientOptions opts;

	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	opts = client_options();
	zalo_client_set_options(w->client, &opts);
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->rate_limit = zt_rate_limit;
	SpinLockRelease(&zt_shared->mutex);
	w->more_work = true;
	elog(LOG, "zalo_tthc worker: settings reloaded (rate_limit %g/s, max_in_flight %d)",
		 zt_rate_limit, max_requests_in_flight());
}

static bool store_unstored_pair(WorkerLoop *w);

/* Read the credentials again when they changed. */
static void
refresh_credentials_cache(WorkerLoop *w, bool force)
{
	uint32		gen = pg_atomic_read_u32(&zt_shared->credentials_generation);
	MemoryContext old;

	if (!force && gen == w->creds_generation)
		return;
	/* a refreshed pair only this process knows stays until it is stored */
	if (w->pair_unstored && !store_unstored_pair(w))
		return;
	w->creds_generation = gen;
	w->copy_warned = false;
	MemoryContextReset(w->creds_cxt);
	old = MemoryContextSwitchTo(w->creds_cxt);
	zt_load_credentials(&w->creds);
	MemoryContextSwitchTo(old);

	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->token_expires_at = w->creds.present ? w->creds.expires_at : 0;
	SpinLockRelease(&zt_shared->mutex);

	if (w->creds.present && !w->creds.reauthorization_required && w->paused_until != 0)
	{
		elog(LOG, "zalo_tthc worker: credentials changed, sending resumes");
		resume_sending(w);
	}
	w->token_refresh_needed = false;
}

/* Tries to store a refreshed token pair before keeping it in memory. */
#define STORE_TRIES 5

/*
 * In a PG_CATCH of the worker: take the error out of the error state, roll
 * back the transaction it happened in, and return it (in cxt) for the
 * caller to report and free.
 */
static ErrorData *
take_error_and_abort(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	MemoryContextSwitchTo(cxt);
	return edata;
}

/* A die or cancel request kept aside while a token pair is stored. */
typedef struct DeferredInterrupts
{
	bool		die;
	bool		cancel;
} DeferredInterrupts;

/*
 * Take pending die and cancel requests out of sight.  Holding interrupts
 * is not enough while a token pair is stored: the regular expression
 * engine (the CHECK on oa_credentials.app_id) gives up on a pending
 * request even then.
 */
static void
defer_interrupts(DeferredInterrupts *d)
{
	d->die |= ProcDiePending;
	d->cancel |= QueryCancelPending;
	ProcDiePending = false;
	QueryCancelPending = false;
}

/* Put deferred requests back, to be acted on at the next chance. */
static void
restore_interrupts(DeferredInterrupts *d)
{
	if (d->die)
		ProcDiePending = true;
	if (d->cancel)
		QueryCancelPending = true;
	if (d->die || d->cancel)
		InterruptPending = true;
}

/*
 * Store a refreshed token pair, trying again after an error: Zalo consumed
 * the old refresh token when it answered, so the new pair may be the only
 * valid one.  Called with interrupts held; a die or cancel request that
 * comes meanwhile is acted on after the store.  Returns false if every try
 * failed; *replaced says an operator stored other credentials meanwhile.
 */
static bool
store_refreshed_pair(const char *old_refresh, const char *access_token,
					 const char *refresh_token, long expires_in, int tries, bool *replaced)
{
	DeferredInterrupts deferred = {false, false};
	uint32		holdoff = InterruptHoldoffCount;

	for (volatile int attempt = 1; attempt <= tries; attempt++)
	{
		MemoryContext cxt = CurrentMemoryContext;
		volatile bool stored = false;

		defer_interrupts(&deferred);
		PG_TRY();
		{
			*replaced = !zt_store_refreshed_tokens(old_refresh, access_token, refresh_token, expires_in);
			stored = true;
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			/* the error reset the holdoff count: interrupts stay held */
			InterruptHoldoffCount = holdoff;
			edata = take_error_and_abort(cxt);
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("zalo_tthc worker: could not store the refreshed access token (try %d of %d)",
							attempt, tries),
					 errdetail("%s", edata->message)));
			FreeErrorData(edata);
		}
		PG_END_TRY();
		if (stored)
		{
			restore_interrupts(&deferred);
			return true;
		}
		if (attempt < tries)
			(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000L * attempt, PG_WAIT_EXTENSION);
	}
	restore_interrupts(&deferred);
	return false;
}

/*
 * Store the pair kept in memory after earlier stores failed, one try every
 * few seconds; true once stored or replaced by an operator's credentials.
 */
static bool
store_unstored_pair(WorkerLoop *w)
{
	bool		replaced = false;
	bool		stored;
	TimestampTz now = GetCurrentTimestamp();
	long		expires_in = (long) ((w->creds.expires_at - now) / USECS_PER_SEC);

	if (now < w->unstored_retry_at)
		return false;
	w->unstored_retry_at = TimestampTzPlusMilliseconds(now, 5000);
	HOLD_INTERRUPTS();
	stored = store_refreshed_pair(w->unstored_old_refresh, w->creds.access_token,
								  w->creds.refresh_token, Max(expires_in, 1), 1, &replaced);
	RESUME_INTERRUPTS();
	if (!stored)
		return false;
	w->pair_unstored = false;
	elog(LOG, "zalo_tthc worker: %s", replaced ? "credentials were replaced by an operator; using them" :
		 "the refreshed access token is stored");
	/* read them again: the stored pair, or the operator's */
	w->creds_generation = pg_atomic_read_u32(&zt_shared->credentials_generation) - 1;
	return true;
}

/*
 * Keep a refreshed pair in memory when it could not be stored: sending
 * goes on with it, and the store is tried again at every turn.
 */
static void
keep_unstored_pair(WorkerLoop *w, const char *access_token, const char *refresh_token,
				   long expires_in)
{
	MemoryContext old = MemoryContextSwitchTo(w->creds_cxt);

	if (!w->pair_unstored)
		w->unstored_old_refresh = pstrdup(w->creds.refresh_token);
	w->creds.access_token = pstrdup(access_token);
	w->creds.refresh_token = pstrdup(refresh_token);
	w->creds.expires_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), (int64) expires_in * 1000);
	MemoryContextSwitchTo(old);
	w->pair_unstored = true;
	w->token_refresh_needed = false;
	ereport(WARNING,
			(errcode(ERRCODE_IO_ERROR),
			 errmsg("zalo_tthc worker: the refreshed access token could not be stored; it is kept in memory and stored again at the next chance"),
			 errhint("Until it is stored, restarting the server loses it and needs a new authorisation of the Official Account.")));
}

/*
 * Exchange the refresh token for a new pair and commit it before use.
 * Interrupts are held from the request until the commit: Zalo consumes the
 * refresh token when it answers, so a SIGTERM acted on in between (or a
 * statement cancelled by a timeout) would lose the only valid pair.  A
 * refusal pauses sending until an operator stores new credentials; a
 * transient answer (rate limit, 5xx, no answer) is tried again later.
 */
static void
refresh_access_token(WorkerLoop *w)
{
	bool		rate_limited;

	for (int attempt = 1; attempt <= 2; attempt++)
	{
		ZaloRequest *req = zalo_request_refresh(zt_oauth_base_url, w->creds.app_id,
												w->creds.app_secret, w->creds.refresh_token, NULL);
		const ZaloResult *r;

		if (req == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory building the token request")));
		pgstat_report_activity(STATE_RUNNING, "zalo_tthc: refreshing the access token");
		HOLD_INTERRUPTS();
		zalo_client_run_one(w->client, req);
		r = zalo_request_result(req);

		if (r->error_class == ZC_OK)
		{
			long		expires_in = r->expires_in > 0 ? r->expires_in : 3600;
			bool		replaced = false;

			SpinLockAcquire(&zt_shared->mutex);
			zt_shared->token_refreshes++;
			SpinLockRelease(&zt_shared->mutex);
			if (!store_refreshed_pair(w->creds.refresh_token, r->access_token, r->refresh_token,
									  expires_in, STORE_TRIES, &replaced))
			{
				keep_unstored_pair(w, r->access_token, r->refresh_token, expires_in);
				zalo_request_free(req);
				RESUME_INTERRUPTS();
				return;
			}
			zalo_request_free(req);
			RESUME_INTERRUPTS();
			if (replaced)
				elog(LOG, "zalo_tthc worker: credentials were replaced during a token refresh; using the new ones");
			else
				elog(LOG, "zalo_tthc worker: access token refreshed");
			refresh_credentials_cache(w, true);
			return;
		}
		RESUME_INTERRUPTS();
		if (r->error_class == ZC_CONFIG)
		{
			char		reason[ZT_TEXT_LEN];

			snprintf(reason, sizeof(reason), "re-authorisation required: %s", r->error_text);
			zalo_request_free(req);
			zt_flag_reauthorization(w->creds.refresh_token);
			refresh_credentials_cache(w, true);
			note_error(reason);
			if (w->creds.reauthorization_required)
			{
				pause_sending(w, DT_NOEND, ZT_WS_REAUTHORIZATION_REQUIRED, reason);
				ereport(WARNING,
						(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
						 errmsg("zalo_tthc worker: the Zalo token refresh was refused; sending is paused"),
						 errdetail("%s", reason),
						 errhint("Authorise the Official Account again and store the new tokens with zalo_tthc.set_oa_credentials().")));
			}
			return;
		}
		/* rate limit, 5xx or no answer: the token may or may not be consumed */
		note_error(r->error_text);
		elog(LOG, "zalo_tthc worker: token refresh attempt %d failed: %s", attempt, r->error_text);
		rate_limited = r->error_class == ZC_RATE_LIMITED;
		zalo_request_free(req);
		if (rate_limited)
			break;
	}
	pause_sending(w, TimestampTzPlusMilliseconds(GetCurrentTimestamp(), zt_rate_limit_backoff_ms),
				  ZT_WS_PAUSED, "the token endpoint did not answer; retrying later");
	ereport(WARNING,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("zalo_tthc worker: the access token could not be refreshed; sending paused")));
}

/* Take n tokens from the rate-limit bucket, as many as are there. */
static int
take_rate_tokens(WorkerLoop *w, int wanted)
{
	TimestampTz now = GetCurrentTimestamp();
	int			n;

	if (zt_rate_limit <= 0)
		return wanted;
	w->tokens += (now - w->tokens_at) / 1e6 * zt_rate_limit;
	w->tokens_at = now;
	if (w->tokens > Max(zt_rate_limit, 1.0))
		w->tokens = Max(zt_rate_limit, 1.0);
	n = Min(wanted, (int) floor(w->tokens));
	w->tokens -= n;
	return n;
}

/* The shorter of two waits in ms, -1 standing for none. */
static long
shorter_wait(long a, long b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return Min(a, b);
}

/* Milliseconds from now until t (rounded up), 0 if it has passed. */
static long
ms_until(TimestampTz t, TimestampTz now)
{
	if (t <= now)
		return 0;
	return (long) Min((t - now + 999) / 1000, (int64) 24 * 3600 * 1000);
}

/* Milliseconds until the bucket holds one token. */
static long
ms_until_token(WorkerLoop *w)
{
	if (zt_rate_limit <= 0 || w->tokens >= 1)
		return 0;
	return (long) ceil((1 - w->tokens) / zt_rate_limit * 1000.0);
}

/* Next attempt time after a transient failure: exponential, with jitter. */
static TimestampTz
backoff_time(int attempt)
{
	double		delay = zt_retry_base_delay_ms * pow(2.0, Max(attempt - 1, 0));
	double		jitter = 0.75 + 0.5 * ((double) random() / (double) PG_INT32_MAX);

	if (delay > zt_retry_max_delay_ms)
		delay = zt_retry_max_delay_ms;
	return TimestampTzPlusMilliseconds(GetCurrentTimestamp(), (int64) (delay * jitter));
}

/* 06:00 in Vietnam (UTC+7, no daylight saving) after now. */
static TimestampTz
next_morning_in_vietnam(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		day = USECS_PER_DAY;
	int64		six_am_utc = 23 * USECS_PER_HOUR;	/* 06:00 ICT = 23:00 UTC */
	int64		since_epoch = now + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * day;
	int64		t = since_epoch - since_epoch % day + six_am_utc;

	if (t <= since_epoch)
		t += day;
	return t - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * day;
}

/* Append an outcome to the pending flush, in the outcome context. */
static ZtOutcome *
add_outcome(WorkerLoop *w, int64 outbox_id, int32 attempt, const char *status, const char *endpoint)
{
	ZtOutcome  *o;

	if (w->n_outcomes == w->max_outcomes)
	{
		w->max_outcomes *= 2;
		w->outcomes = repalloc(w->outcomes, sizeof(ZtOutcome) * w->max_outcomes);
	}
	if (w->n_outcomes == 0)
		w->first_outcome_at = GetCurrentTimestamp();
	o = &w->outcomes[w->n_outcomes++];
	memset(o, 0, sizeof(*o));
	o->outbox_id = outbox_id;
	o->attempt = attempt;
	o->status = status;
	o->endpoint = endpoint;
	o->outcome = "ok";
	o->latency_ms = -1;
	o->started_at = GetCurrentTimestamp();
	return o;
}

/*
 * A copy of a text for an outcome.  Outcomes may wait several loop turns
 * for their flush, so their strings live in the outcome context, not in
 * the cycle context that every turn resets.
 */
static char *
outcome_text(WorkerLoop *w, const char *text)
{
	return MemoryContextStrdup(w->outcome_cxt, text);
}

/*
 * Write the outcomes one at a time, after writing them together failed:
 * one outcome that cannot be written (whatever the reason) must not hold
 * back the others.  It is dropped with a WARNING; its notification stays
 * 'sending' until its lease runs out and it is queued again as an attempt
 * of unknown outcome.  Returns how many were written, moved to the front.
 */
static int
record_outcomes_one_by_one(WorkerLoop *w)
{
	volatile int written = 0;

	for (volatile int i = 0; i < w->n_outcomes; i++)
	{
		ZtOutcome  *o = &w->outcomes[i];
		MemoryContext cxt = CurrentMemoryContext;
		volatile bool ok = true;

		PG_TRY();
		{
			zt_record_outcomes(o, 1);
		}
		PG_CATCH();
		{
			ErrorData  *edata = take_error_and_abort(cxt);

			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("zalo_tthc worker: the outcome of notification %lld could not be recorded",
							(long long) o->outbox_id),
					 errdetail("%s", edata->message),
					 errhint("The notification is queued again as an attempt of unknown outcome when its lease runs out.")));
			FreeErrorData(edata);
			ok = false;
		}
		PG_END_TRY();
		if (ok)
			w->outcomes[written++] = *o;
	}
	return written;
}

/* Write the collected outcomes and count them for worker_status(). */
static void
flush_outcomes(WorkerLoop *w)
{
	uint64		sent = 0,
				failed = 0,
				dead = 0,
				undeliverable = 0,
				fallbacks = 0,
				unknown = 0;
	TimestampTz now;

	if (w->n_outcomes == 0)
		return;
	/* an ERROR here keeps the outcomes for the next turn (worker_main) */
	if (w->failed_flushes++ == 0)
		zt_record_outcomes(w->outcomes, w->n_outcomes);
	else
		w->n_outcomes = record_outcomes_one_by_one(w);
	w->failed_flushes = 0;
	zt_monitor_note_outcomes(w->outcomes, w->n_outcomes);
	for (int i = 0; i < w->n_outcomes; i++)
	{
		const char *s = w->outcomes[i].status;

		if (w->outcomes[i].released)
			continue;
		if (strcmp(s, "sent") == 0)
			sent++;
		else if (strcmp(s, "failed") == 0)
		{
			TimestampTz next = w->outcomes[i].next_attempt_at;

			failed++;
			/* the wait must cover every retry written here */
			if (next != 0 && (w->own_retry_at == 0 || next < w->own_retry_at))
				w->own_retry_at = next;
		}
		else if (strcmp(s, "dead") == 0)
			dead++;
		else if (strcmp(s, "undeliverable") == 0)
			undeliverable++;
		if (w->outcomes[i].fallback_to_zns)
			fallbacks++;
		if (w->outcomes[i].sent_unknown)
			unknown++;
	}
	now = GetCurrentTimestamp();
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->sent += sent;
	zt_shared->failed += failed;
	zt_shared->dead += dead;
	zt_shared->undeliverable += undeliverable;
	zt_shared->fallbacks += fallbacks;
	zt_shared->unknown_outcomes += unknown;
	if (sent > 0)
		zt_shared->last_success_at = now;
	SpinLockRelease(&zt_shared->mutex);
	elog(DEBUG1, "zalo_tthc worker: recorded %d outcomes (%llu sent)", w->n_outcomes,
		 (unsigned long long) sent);

	w->n_outcomes = 0;
	MemoryContextReset(w->outcome_cxt);
	w->outcomes = MemoryContextAlloc(w->outcome_cxt, sizeof(ZtOutcome) * w->max_outcomes);
	w->more_work = true;
}

/* How old the first waiting outcome may grow before the outcomes are written. */
static int
outcome_flush_ms(WorkerLoop *w)
{
	if (zalo_client_in_flight(w->client) > 0 || w->n_waiting > 0)
		return OUTCOME_FLUSH_BUSY_MS;
	return OUTCOME_FLUSH_MS;
}

/* Name of an endpoint in the delivery log. */
static const char *
endpoint_name(ZaloEndpoint e)
{
	switch (e)
	{
		case ZE_OA_TEMPLATE:
			return "template";
		case ZE_OA_TRANSACTION:
			return "transaction";
		case ZE_OA_QUOTA:
			return "quota";
		case ZE_ZNS_HASHPHONE:
			return "zns_hashphone";
		case ZE_TEMPLATE_INFO:
			return "template_info";
		case ZE_OA_CS:
			return "cs";
		case ZE_OA_UPLOAD_FILE:
			return "upload_file";
		case ZE_ZNS_TEMPLATE:
			return "zns";
		case ZE_OAUTH_REFRESH:
			return "oauth";
	}
	return "?";
}

/* Start a request for a pending send; false if it could not start. */
static bool
start_request(WorkerLoop *w, PendingSend *ps, ZaloEndpoint endpoint, const char *body)
{
	ZaloRequest *req;

	if (endpoint == ZE_OA_UPLOAD_FILE)
		req = zalo_request_upload(zt_api_base_url, w->creds.access_token, ps->file_name,
								  ps->file_data, ps->file_len, ps);
	else if (endpoint == ZE_TEMPLATE_INFO)
		req = zalo_request_template_info(zt_zns_base_url, w->creds.access_token, ps->template_id, ps);
	else
		req = zalo_request_json(endpoint,
								ZE_IS_BY_PHONE(endpoint) ? zt_zns_base_url : zt_api_base_url,
								w->creds.access_token, body, ps);
	if (req == NULL)
		return false;
	ps->started_at = GetCurrentTimestamp();
	if (!zalo_client_start(w->client, req))
	{
		zalo_request_free(req);
		return false;
	}
	return true;
}

/* Free a pending send (not waiting: take_waiting took it out). */
static void
free_pending(PendingSend *ps)
{
	Assert(!ps->waiting);
	dlist_delete(&ps->node);
	free(ps->body);
	free(ps->template_id);
	free(ps->user_id);
	free(ps->file_name);
	free(ps->file_data);
	free(ps->consultation);
	free(ps);
}

/*
 * A claimed notification whose request could not even start (out of
 * memory in libcurl, say): it goes back to the queue for a later try, not
 * counted as an attempt, and nothing reached Zalo.
 */
static void
record_not_started(WorkerLoop *w, PendingSend *ps, const char *what)
{
	ZtOutcome  *o = add_outcome(w, ps->outbox_id, ps->attempt, "failed", "none");

	o->outcome = "retry";
	o->refund_attempt = true;
	o->next_attempt_at = backoff_time(1);
	o->last_error = outcome_text(w, psprintf("could not start %s", what));
	note_error(o->last_error);
	free_pending(ps);
}

/*
 * Start the request of a claimed notification, or keep it waiting, in
 * claim order, while every request slot is taken: a claim reads ahead of
 * the wire (fill_pipeline), so that an answer is followed by the next
 * request at once and not by a claim.  False if it could not start.
 */
static bool
start_or_wait(WorkerLoop *w, PendingSend *ps, ZaloEndpoint endpoint, const char *body)
{
	if (w->n_waiting == 0 && zalo_client_in_flight(w->client) < max_requests_in_flight())
		return start_request(w, ps, endpoint, body);
	if (body != NULL && (ps->body = strdup(body)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	ps->endpoint = endpoint;
	ps->waiting = true;
	dlist_push_tail(&w->waiting, &ps->wait_node);
	w->n_waiting++;
	return true;
}

/* The oldest waiting send, no longer waiting. */
static PendingSend *
take_waiting(WorkerLoop *w)
{
	PendingSend *ps = dlist_container(PendingSend, wait_node, dlist_pop_head_node(&w->waiting));

	ps->waiting = false;
	w->n_waiting--;
	return ps;
}

/* Start waiting requests while there is room and sending is on; how many. */
static int
start_waiting(WorkerLoop *w)
{
	int			started = 0;

	while (w->n_waiting > 0 && w->paused_until == 0 && !w->token_refresh_needed &&
		   zalo_client_in_flight(w->client) < max_requests_in_flight())
	{
		PendingSend *ps = take_waiting(w);

		if (!start_request(w, ps, ps->endpoint, ps->body))
			record_not_started(w, ps, "the request to Zalo");
		else
		{
			free(ps->body);
			ps->body = NULL;
			started++;
		}
	}
	return started;
}

/*
 * Sending stopped (a pause, the credentials gone): the notifications
 * claimed ahead go back to the queue as they were, their attempt not
 * counted and nothing logged, since no request was made.
 */
static void
release_waiting(WorkerLoop *w)
{
	if (w->n_waiting > 0)
		elog(LOG, "zalo_tthc worker: %d notifications claimed ahead go back to the queue unsent",
			 w->n_waiting);
	while (w->n_waiting > 0)
	{
		PendingSend *ps = take_waiting(w);
		ZtOutcome  *o = add_outcome(w, ps->outbox_id, ps->attempt,
									ps->attempt > 1 ? "failed" : "pending", "none");

		o->released = true;
		o->refund_attempt = true;
		free_pending(ps);
	}
}

/*
 * A chat message (welcome, phone request, lookup reply): its cs body was
 * built when it was queued.  Not sent to a citizen who unfollowed since.
 */
static void
send_chat_row(WorkerLoop *w, PendingSend *ps, ZtClaimedRow *row)
{
	if (row->user_id != NULL && !row->followed)
	{
		ZtOutcome  *o = add_outcome(w, row->outbox_id, row->attempt, "undeliverable", "none");

		o->outcome = "recipient";
		o->last_error = outcome_text(w, "the citizen no longer follows the Official Account");
		free_pending(ps);
		return;
	}
	/* a free reply that Zalo refuses goes again as a consultation message */
	if (row->user_id != NULL)
		ps->consultation = zt_reply_as_consultation(row->payload, row->user_id);
	if (!start_or_wait(w, ps, ZE_OA_CS, row->payload))
		record_not_started(w, ps, "the chat message request");
}

/*
 * A notice that waits without a request: one more for the LOG line said
 * once per pause for all of them, not once per notice of a backlog.
 */
static void
note_held(WorkerLoop *w, TimestampTz now, const char *why)
{
	w->held_unlogged++;
	if (TimestampDifferenceExceeds(w->hold_logged_at, now, zt_config_error_pause_ms))
	{
		ereport(LOG,
				(errmsg("zalo_tthc worker: %d notifications held for %d s, the latest: %s",
						w->held_unlogged, zt_config_error_pause_ms / 1000, why)));
		w->held_unlogged = 0;
		w->hold_logged_at = now;
	}
}

/* Hold one notice: it is tried again at until, with no attempt burnt. */
static void
hold_outcome(WorkerLoop *w, ZtOutcome *o, TimestampTz now, TimestampTz until, const char *why)
{
	o->status = "failed";
	o->refund_attempt = true;
	o->next_attempt_at = until;
	note_held(w, now, why);
}

/*
 * An account problem on a channel (no balance, OA blocked): its notices
 * wait config_error_pause without a request each; the other channel and
 * the other stages go on.
 */
static void
hold_channel(WorkerLoop *w, int channel, TimestampTz until, const char *why)
{
	if (channel < 0)
		return;
	if (w->channel_held_until[channel] < until)
	{
		if (w->channel_held_until[channel] <= GetCurrentTimestamp())
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("zalo_tthc worker: notices %s are held for %d s by an account problem",
							channel == ZT_CHANNEL_UID ? "to followers" : "by phone",
							zt_config_error_pause_ms / 1000),
					 errdetail("%s", why)));
		w->channel_held_until[channel] = until;
		strlcpy(w->channel_hold_reason[channel], why, ZT_TEXT_LEN);
		SpinLockAcquire(&zt_shared->mutex);
		zt_shared->channels[channel].held_until = until;
		strlcpy(zt_shared->channels[channel].hold_reason, why, ZT_TEXT_LEN);
		SpinLockRelease(&zt_shared->mutex);
	}
}

/*
 * Hold a claimed notice without sending it when its channel or its
 * template is held; false when it may go.
 */
static bool
held_without_request(WorkerLoop *w, PendingSend *ps, const ZtClaimedRow *row, int channel)
{
	const ZtTemplateState *t = zt_template_state(row->template_id);
	TimestampTz now = GetCurrentTimestamp();
	ZtOutcome  *o;

	if (w->channel_held_until[channel] > now)
	{
		o = add_outcome(w, row->outbox_id, row->attempt, "failed", "none");
		o->outcome = "account";
		o->last_error = outcome_text(w, w->channel_hold_reason[channel]);
		hold_outcome(w, o, now, w->channel_held_until[channel], w->channel_hold_reason[channel]);
	}
	else if (t != NULL && t->held)
	{
		o = add_outcome(w, row->outbox_id, row->attempt, "failed", "none");
		o->outcome = "template";
		o->last_error = outcome_text(w, t->problem);
		hold_outcome(w, o, now, TimestampTzPlusMilliseconds(now, zt_config_error_pause_ms), t->problem);
	}
	else
		return false;
	free_pending(ps);
	return true;
}

/* A final outcome decided without a request. */
static void
record_unsent(WorkerLoop *w, PendingSend *ps, const ZtClaimedRow *row, const char *status,
			  const char *why, bool by_phone_next)
{
	ZtOutcome  *o = add_outcome(w, row->outbox_id, row->attempt, status, "none");

	o->outcome = "recipient";
	o->fallback_to_zns = by_phone_next;
	o->last_error = outcome_text(w, why);
	free_pending(ps);
}

/*
 * A receipt file: first ask Zalo when the citizen last wrote to the OA,
 * since a file goes only within 7 days of that and each upload is spent
 * from a monthly quota; the upload follows in handle_finished.
 */
static void
send_receipt_file(WorkerLoop *w, PendingSend *ps, ZtClaimedRow *row)
{
	char	   *body;

	if (row->user_id == NULL || row->file_data == NULL || !row->followed)
	{
		record_unsent(w, ps, row, "undeliverable",
					  row->file_data == NULL ? "the receipt document is gone" :
					  "the citizen no longer follows the Official Account", false);
		return;
	}
	ps->user_id = strdup(row->user_id);
	ps->file_name = strdup(row->file_name ? row->file_name : "phieu-tiep-nhan.pdf");
	ps->file_data = malloc(Max(row->file_len, 1));
	if (ps->user_id == NULL || ps->file_name == NULL || ps->file_data == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	memcpy(ps->file_data, row->file_data, row->file_len);
	ps->file_len = row->file_len;
	body = zt_build_user_id_body(row->user_id);
	if (body == NULL || !start_or_wait(w, ps, ZE_OA_QUOTA, body))
		record_not_started(w, ps, "the citizen's interaction check");
	free(body);
}

/* Build and start the request of one claimed row, or record why not. */
static void
send_claimed_row(WorkerLoop *w, ZtClaimedRow *row)
{
	PendingSend *ps = calloc(1, sizeof(PendingSend));
	ZtMessageParts parts;
	char		err[256] = "";
	char		phone_hash[65];
	char	   *body = NULL;
	ZaloEndpoint endpoint;
	bool		started;

	if (ps == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	dlist_push_tail(&w->in_flight, &ps->node);
	ps->outbox_id = row->outbox_id;
	ps->attempt = row->attempt;
	ps->channel = -1;

	if (row->payload != NULL)
	{
		send_chat_row(w, ps, row);
		return;
	}
	if (strcmp(row->kind, "receipt_file") == 0)
	{
		send_receipt_file(w, ps, row);
		return;
	}

	memset(&parts, 0, sizeof(parts));
	parts.user_id = row->user_id;
	parts.phone = row->phone;
	parts.dossier_code = row->code;
	parts.header = row->header;
	parts.body = row->body;
	parts.table_rows_json = row->table_rows;
	parts.buttons_json = row->buttons;
	parts.status_style = row->status_style;
	parts.template_id = row->template_id;
	parts.template_params_json = row->template_params;
	parts.tracking_id = row->idempotency_key;
	parts.values = row->values;
	parts.n_values = row->n_values;

	if (strcmp(row->channel, "zalo_oa") == 0)
	{
		if (row->user_id == NULL || !row->followed)
		{
			/* unfollowed (or unlinked) since the change was queued */
			record_unsent(w, ps, row, "undeliverable",
						  "the citizen no longer follows the Official Account; trying by phone", true);
			return;
		}
		ps->is_oa_stage = true;
		endpoint = ZE_OA_TEMPLATE;
		ps->channel = ZT_CHANNEL_UID;
		if (zt_follower_message == ZT_FOLLOWER_TRANSACTION)
		{
			if (row->header == NULL)
			{
				record_unsent(w, ps, row, "undeliverable", "the stage has no template", true);
				return;
			}
			endpoint = ZE_OA_TRANSACTION;
			ps->channel = -1;
		}
	}
	else
	{
		if (row->phone == NULL)
		{
			record_unsent(w, ps, row, "undeliverable", "the dossier has no mobile phone", false);
			return;
		}
		parts.user_id = NULL;
		endpoint = ZE_ZNS_TEMPLATE;
		ps->channel = ZT_CHANNEL_PHONE;
		if (zt_phone_channel == ZT_PHONE_HASHED)
		{
			if (!zt_phone_hash(row->phone, phone_hash))
				elog(ERROR, "could not hash a phone number");
			parts.phone = phone_hash;
			endpoint = ZE_ZNS_HASHPHONE;
		}
	}

	if (ps->channel >= 0)
	{
		const ZtTemplateState *t;

		if (row->template_id == NULL)
		{
			record_unsent(w, ps, row, "undeliverable",
						  "the stage has no ZBS template (zalo_tthc.template.zbs_template_id)", false);
			return;
		}
		if (held_without_request(w, ps, row, ps->channel))
			return;
		t = zt_template_state(row->template_id);
		parts.param_limits_json = t ? t->params : NULL;
		ps->template_id = strdup(row->template_id);
		body = zt_build_template_message(&parts, err, sizeof(err));
	}
	else
		body = zt_build_transaction_message(&parts, err, sizeof(err));

	if (body == NULL)
	{
		ZtOutcome  *o = add_outcome(w, row->outbox_id, row->attempt, "dead", "none");

		o->outcome = "bug";
		o->last_error = outcome_text(w, psprintf("the message could not be built: %s", err));
		free_pending(ps);
		return;
	}
	started = start_or_wait(w, ps, endpoint, body);
	free(body);
	if (!started)
		record_not_started(w, ps, "the request to Zalo");
}

static bool zalo_is_reachable(WorkerLoop *w, TimestampTz now);

/* Keep the quota a ZBS send's answer reported, for channel_status(). */
static void
note_quota(int channel, const ZaloResult *r, TimestampTz now)
{
	ZtChannelShared *c;

	if (channel < 0 || (r->quota_remaining[0] == '\0' && r->quota_type[0] == '\0'))
		return;
	c = &zt_shared->channels[channel];
	SpinLockAcquire(&zt_shared->mutex);
	strlcpy(c->quota_type, r->quota_type, sizeof(c->quota_type));
	c->quota_remaining = r->quota_remaining[0] ? strtoll(r->quota_remaining, NULL, 10) : -1;
	c->quota_daily = r->quota_daily[0] ? strtoll(r->quota_daily, NULL, 10) : -1;
	c->quota_at = now;
	SpinLockRelease(&zt_shared->mutex);
}

/*
 * A template problem a send met: the template's stages are held (their
 * notices wait without requests) until a read says it is ENABLE; that read
 * comes config_error_pause from now at the latest.
 */
static void
hold_template(WorkerLoop *w, const char *template_id, const char *why)
{
	const ZtTemplateState *t = zt_template_state(template_id);
	TimestampTz reread = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), zt_config_error_pause_ms);

	if (t == NULL || !t->held)
		zt_template_record_problem(template_id, why);
	if (w->templates_read_at > reread)
		w->templates_read_at = reread;
}

/* Zalo's answer about a template: recorded, and the cache follows. */
static void
finish_template_read(WorkerLoop *w, PendingSend *ps, const ZaloResult *r)
{
	TimestampTz retry = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), TEMPLATE_READ_RETRY_MS);

	w->template_reads--;
	if (r->error_class == ZC_OK && r->template_status[0])
		zt_template_record_detail(ps->template_id, r->template_status, r->template_name,
								  r->template_params, r->price_uid, r->price_phone);
	else if (r->error_class == ZC_TEMPLATE && r->zalo_error == -109)
		zt_template_record_detail(ps->template_id, "UNKNOWN", NULL, "[]", NULL, NULL);
	else
	{
		if (r->error_class == ZC_REFRESH)
			w->token_refresh_needed = true;
		ereport(LOG,
				(errmsg("zalo_tthc worker: could not read ZBS template %s from Zalo; trying again in %d s",
						ps->template_id, TEMPLATE_READ_RETRY_MS / 1000),
				 errdetail("%s", r->error_text[0] ? r->error_text : "the answer has no status")));
		w->templates_read_at = Min(w->templates_read_at, retry);
	}
}

/*
 * Read every template's detail from Zalo when due: at start, every
 * template_check_interval, soon after a webhook said a status changed or
 * a send met a template problem.
 */
static void
read_templates_if_due(WorkerLoop *w)
{
	TimestampTz now = GetCurrentTimestamp();
	uint32		generation = pg_atomic_read_u32(&zt_shared->templates_generation);

	if (generation != w->templates_generation)
	{
		w->templates_generation = generation;
		w->templates_read_at = now;
	}
	if (w->template_reads > 0 || now < w->templates_read_at ||
		zalo_client_in_flight(w->client) >= max_requests_in_flight())
		return;
	zt_templates_load();
	w->templates_read_at = TimestampTzPlusMilliseconds(now, zt_template_check_interval_ms);
	for (int i = 0; i < zt_template_count(); i++)
	{
		PendingSend *ps = calloc(1, sizeof(PendingSend));

		if (ps == NULL || (ps->template_id = strdup(zt_template_at(i)->template_id)) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		dlist_push_tail(&w->in_flight, &ps->node);
		ps->is_template_read = true;
		ps->channel = -1;
		if (start_request(w, ps, ZE_TEMPLATE_INFO, NULL))
			w->template_reads++;
		else
		{
			free_pending(ps);
			w->templates_read_at = TimestampTzPlusMilliseconds(now, TEMPLATE_READ_RETRY_MS);
		}
	}
}

/* Turn one finished request into an outcome (or the next request). */
static void
handle_finished(WorkerLoop *w, ZaloRequest *req)
{
	PendingSend *ps = zalo_request_tag(req);
	const ZaloResult *r = zalo_request_result(req);
	ZaloEndpoint endpoint = zalo_request_endpoint(req);
	ZtOutcome  *o;
	TimestampTz now = GetCurrentTimestamp();

	if (r->http_status > 0)
		w->last_answer_at = now;

	if (ps->is_template_read)
	{
		finish_template_read(w, ps, r);
		zalo_request_free(req);
		free_pending(ps);
		return;
	}

	/* the interaction check of a receipt file: the upload, or not */
	if (endpoint == ZE_OA_QUOTA)
	{
		TimestampTz since = now - (int64) RECEIPT_FILE_INTERACTION_DAYS * USECS_PER_DAY;
		TimestampTz last = r->last_interaction_ms > 0 ?
			time_t_to_timestamptz((pg_time_t) (r->last_interaction_ms / 1000)) : 0;

		zalo_request_free(req);
		if (r->error_class == ZC_OK && last < since)
		{
			o = add_outcome(w, ps->outbox_id, ps->attempt, "undeliverable", "quota");
			o->outcome = "recipient";
			o->last_error = outcome_text(w, last == 0 ?
										 "receipt file skipped: the citizen never wrote to the Official Account, so Zalo would refuse the file; the stage message's lookup button serves the receipt" :
										 "receipt file skipped: the citizen last wrote to the Official Account more than 7 days ago, so Zalo would refuse the file; the stage message's lookup button serves the receipt");
			free_pending(ps);
			return;
		}
		/* recent, or the check failed: the upload says the rest */
		if (!start_request(w, ps, ZE_OA_UPLOAD_FILE, NULL))
			record_not_started(w, ps, "the receipt upload");
		return;
	}

	/*
	 * A free reply (recipient.message_id) that Zalo refused, its quota of
	 * replies used or its 48 hours past: the same text as a consultation
	 * message to the citizen's user id.
	 */
	if (endpoint == ZE_OA_CS && ps->consultation != NULL && r->zalo_error != 0 &&
		(r->error_class == ZC_RECIPIENT || r->error_class == ZC_DEFER || r->error_class == ZC_UNKNOWN ||
		 r->error_class == ZC_BUG))
	{
		char	   *body = ps->consultation;

		ps->consultation = NULL;
		elog(DEBUG1, "zalo_tthc worker: a free reply was refused (%s); sending it as a consultation message",
			 r->error_text);
		zalo_request_free(req);
		if (!start_request(w, ps, ZE_OA_CS, body))
			record_not_started(w, ps, "the consultation message");
		free(body);
		return;
	}

	/* the upload of a receipt is followed by its file message */
	if (endpoint == ZE_OA_UPLOAD_FILE && r->error_class == ZC_OK && r->file_token[0])
	{
		char	   *body = zt_build_file_message(ps->user_id, r->file_token);
		ZaloRequest *next = body ? zalo_request_json(ZE_OA_CS, zt_api_base_url, w->creds.access_token,
													 body, ps) : NULL;

		free(body);
		zalo_request_free(req);
		if (next != NULL && zalo_client_start(w->client, next))
			return;
		if (next != NULL)
			zalo_request_free(next);
		record_not_started(w, ps, "the receipt file message");
		return;
	}

	o = add_outcome(w, ps->outbox_id, ps->attempt, "sent", endpoint_name(endpoint));
	/* an upload without a file token delivered nothing: try again */
	if (endpoint == ZE_OA_UPLOAD_FILE && r->error_class == ZC_OK)
	{
		o->started_at = ps->started_at;
		o->latency_ms = r->latency_ms;
		o->http_status = (int) r->http_status;
		o->outcome = "retry";
		o->last_error = outcome_text(w, "the receipt upload answered success without a file token");
		note_error(o->last_error);
		if (ps->attempt >= zt_max_attempts)
			o->status = "dead";
		else
		{
			o->status = "failed";
			o->next_attempt_at = backoff_time(ps->attempt);
		}
		zalo_request_free(req);
		free_pending(ps);
		return;
	}
	o->started_at = ps->started_at;
	o->latency_ms = r->latency_ms;
	o->http_status = (int) r->http_status;
	o->error_code = r->zalo_error;
	o->sent_unknown = r->sent_unknown;
	o->outcome = zalo_error_class_name(r->error_class);
	if (r->error_text[0])
		o->last_error = outcome_text(w, r->error_text);
	else if (r->times_sent > 1)
		o->last_error = outcome_text(w, "the connection died and libcurl sent the request again: Zalo may have received it twice");

	switch (r->error_class)
	{
		case ZC_OK:
			o->provider_msg_id = r->msg_id[0] ? outcome_text(w, r->msg_id) : NULL;
			w->outage_retries = 0;
			note_quota(ps->channel, r, now);
			break;
		case ZC_REFRESH:
			o->status = "failed";
			o->refund_attempt = true;
			o->next_attempt_at = now;
			w->token_refresh_needed = true;
			break;
		case ZC_RATE_LIMITED:
			o->status = "failed";
			o->refund_attempt = true;
			o->next_attempt_at = TimestampTzPlusMilliseconds(now, zt_rate_limit_backoff_ms);
			pause_sending(w, o->next_attempt_at, ZT_WS_PAUSED, "Zalo rate limit (-32 or HTTP 429)");
			break;
		case ZC_DEFER:
			o->status = "failed";
			o->refund_attempt = true;
			o->next_attempt_at = next_morning_in_vietnam();
			break;
		case ZC_RECIPIENT:
			o->status = "undeliverable";
			o->fallback_to_zns = ps->is_oa_stage;
			break;
		case ZC_CONFIG:
			o->status = "failed";
			o->refund_attempt = true;
			o->next_attempt_at = TimestampTzPlusMilliseconds(now, zt_config_error_pause_ms);
			if (w->paused_until < o->next_attempt_at)
				ereport(WARNING,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("zalo_tthc worker: a request was refused for the Official Account's configuration; sending paused"),
						 errdetail("%s", r->error_text)));
			pause_sending(w, o->next_attempt_at, ZT_WS_PAUSED, r->error_text);
			break;
		case ZC_REFUSED:
			/* the citizen's own choice: not by phone either */
			o->status = "undeliverable";
			break;
		case ZC_UNKNOWN:
			/* a code Zalo documents nowhere: a few tries, then held */
			if (ps->attempt < UNKNOWN_CODE_TRIES)
			{
				o->status = "failed";
				o->next_attempt_at = backoff_time(ps->attempt);
			}
			else
				hold_outcome(w, o, now, TimestampTzPlusMilliseconds(now, zt_config_error_pause_ms),
							 r->error_text);
			break;
		case ZC_ACCOUNT:
		case ZC_TEMPLATE:
		case ZC_HOLD:
			/*
			 * An account or template problem (no balance, a template not
			 * approved): this notice waits, and so do the others of its
			 * channel or of its template's stages, without a request each.
			 */
			hold_outcome(w, o, now, TimestampTzPlusMilliseconds(now, zt_config_error_pause_ms),
						 r->error_text);
			if (r->error_class == ZC_ACCOUNT)
				hold_channel(w, ps->channel, o->next_attempt_at, r->error_text);
			else if (r->error_class == ZC_TEMPLATE && ps->template_id != NULL)
				hold_template(w, ps->template_id, r->error_text);
			break;
		case ZC_BUG:
			o->status = "dead";
			break;
		case ZC_RETRY:
			if (r->times_sent == 0 && zalo_is_reachable(w, now))
			{
				/*
				 * This request could not connect while others do (a full
				 * table of open files, a lost SYN): not an outage.  This
				 * notice alone is tried again soon; nothing is burnt.
				 */
				o->status = "failed";
				o->refund_attempt = true;
				o->next_attempt_at = backoff_time(1);
			}
			else if (r->times_sent == 0)
			{
				/*
				 * Zalo was not reached at all (no connection): an outage, not
				 * this message's fault.  Everything waits; nothing is burnt.
				 */
				if (w->paused_until <= now)
				{
					TimestampTz until = Min(backoff_time(++w->outage_retries),
											TimestampTzPlusMilliseconds(now, 60 * 1000));

					ereport(LOG,
							(errmsg("zalo_tthc worker: Zalo cannot be reached; sending paused for %ld ms",
									(long) ((until - now) / 1000)),
							 errdetail("%s", r->error_text)));
					pause_sending(w, until, ZT_WS_PAUSED, "Zalo cannot be reached");
				}
				o->status = "failed";
				o->refund_attempt = true;
				o->next_attempt_at = w->paused_until;
			}
			else if (ps->attempt >= zt_max_attempts)
				o->status = "dead";
			else
			{
				o->status = "failed";
				o->next_attempt_at = backoff_time(ps->attempt);
			}
			break;
	}
	if (r->error_class != ZC_OK)
		note_error(r->error_text);
	zalo_request_free(req);
	free_pending(ps);
}

/*
 * After a request that could not connect: true when Zalo still answers
 * others, so that the failure is this request's alone.  Other requests are
 * still on the wire, or one was answered within two connect timeouts.
 * Only when none is (every request fails at the transport) is it an
 * outage that pauses all sending.
 */
static bool
zalo_is_reachable(WorkerLoop *w, TimestampTz now)
{
	if (zalo_client_in_flight(w->client) > 0)
		return true;
	return w->last_answer_at != 0 &&
		!TimestampDifferenceExceeds(w->last_answer_at, now, 2 * zt_connect_timeout_ms);
}

/*
 * Queue again the notifications left 'sending' past their lease that this
 * worker does not hold (on the wire, or with an outcome not yet written):
 * an outcome that could not be written, a claim cut short by an error.
 * They count as attempts of unknown outcome, as at a restart.
 */
static void
reclaim_expired_leases(WorkerLoop *w)
{
	int			max_held = w->n_outcomes + 1;
	int64	   *held;
	int			n_held = 0;
	dlist_iter	iter;
	int			n;

	dlist_foreach(iter, &w->in_flight)
		max_held++;
	held = palloc(sizeof(int64) * max_held);
	dlist_foreach(iter, &w->in_flight)
		held[n_held++] = dlist_container(PendingSend, node, iter.cur)->outbox_id;
	for (int i = 0; i < w->n_outcomes; i++)
		held[n_held++] = w->outcomes[i].outbox_id;

	n = zt_reclaim_expired_leases(held, n_held);
	w->lease_check_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), zt_lease_time_ms / 2);
	if (n > 0)
	{
		SpinLockAcquire(&zt_shared->mutex);
		zt_shared->unknown_outcomes += n;
		SpinLockRelease(&zt_shared->mutex);
		elog(LOG, "zalo_tthc worker: %d notifications outlived their lease while being sent; they are queued again", n);
		w->more_work = true;
	}
}

/*
 * How many notifications this worker may hold: the requests in flight and,
 * read ahead, one batch of claimed notifications waiting for a slot.
 */
static int
claim_capacity(void)
{
	return max_requests_in_flight() + zt_batch_size;
}

/*
 * How many notifications a claim may take now (0: none): up to the
 * capacity, once at most half a batch is left waiting, so that claims keep
 * ahead of the answers in batches and not one per answer.
 */
static int
claim_room(WorkerLoop *w)
{
	if (w->n_waiting > zt_batch_size / 2)
		return 0;
	return Max(claim_capacity() - zalo_client_in_flight(w->client) - w->n_waiting, 0);
}

/* Milliseconds until the next claim may run (0: now). */
static long
claim_wait_ms(WorkerLoop *w)
{
	int			spacing;

	if (zalo_client_in_flight(w->client) == 0 && w->n_waiting == 0)
		return 0;
	spacing = claim_room(w) >= Max(claim_capacity() / 4, 1) ? CLAIM_SPACING_MS : CLAIM_WAIT_FOR_ROOM_MS;
	return ms_until(TimestampTzPlusMilliseconds(w->last_claim_at, spacing), GetCurrentTimestamp());
}

/* Claim due notifications and start their requests (or keep them waiting). */
static void
fill_pipeline(WorkerLoop *w)
{
	int			room = claim_room(w);
	int			want;
	int			n;
	ZtClaimedRow *rows;

	if (room <= 0 || !w->more_work)
		return;
	if (claim_wait_ms(w) > 0)
		return;
	want = take_rate_tokens(w, Min(room, zt_batch_size));
	if (want <= 0)
		return;
	/* the claim's now() is later: every row due by this time is covered */
	w->claimed_up_to = GetCurrentTimestamp();
	w->last_claim_at = w->claimed_up_to;
	if (w->own_retry_at != 0 && w->own_retry_at <= w->claimed_up_to)
		w->own_retry_at = 0;
	n = zt_claim_batch(want, zt_lease_time_ms, &rows);
	/* tokens not used go back to the bucket */
	if (zt_rate_limit > 0)
		w->tokens += want - n;
	w->more_work = (n == want);
	for (int i = 0; i < n; i++)
		send_claimed_row(w, &rows[i]);
	if (n > 0)
		elog(DEBUG1, "zalo_tthc worker: claimed %d notifications", n);
}

/*
 * How long to look away from a due notification that the last claim could
 * not take: another transaction holds its row lock (an operator's open
 * transaction, say), and its commit may not wake the worker.
 */
#define LOCKED_ROW_RECHECK_MS 1000

/*
 * The earliest time the queue needs the worker, or 0 if never: the next
 * claimable notification, and the earliest retry this worker wrote itself
 * (in case the queue was read before that outcome was visible).  A time
 * the last claim already covered belongs to a locked row: look again a
 * little later, not in a loop.
 */
static TimestampTz
queue_wake_time(WorkerLoop *w)
{
	TimestampTz due = 0;
	TimestampTz queued;
	TimestampTz lease_end = 0;

	/* idle, the worker holds nothing: any claim left is someone's lost one */
	if (zt_next_due(&queued, &lease_end))
		due = queued;
	if (lease_end != 0)
	{
		w->lease_check_at = Min(w->lease_check_at, lease_end);
		if (due == 0 || lease_end < due)
			due = lease_end;
	}
	if (w->own_retry_at != 0 && (due == 0 || w->own_retry_at < due))
		due = w->own_retry_at;
	if (due != 0 && due <= w->claimed_up_to && due != lease_end)
		due = TimestampTzPlusMilliseconds(w->claimed_up_to, LOCKED_ROW_RECHECK_MS);
	return due;
}

/*
 * How long to sleep when nothing is in flight; -1 for no timeout.  It
 * returns 0 only with more_work set, so that the next turn claims: a turn
 * that neither sleeps nor claims would spin and never send what fell due.
 */
static long
idle_timeout_ms(WorkerLoop *w)
{
	TimestampTz now;
	TimestampTz wake = DT_NOEND;

	if (w->paused_until != 0)
	{
		/* the token is refreshed when the pause ends, not during it */
		if (w->paused_until != DT_NOEND)
			wake = w->paused_until;
	}
	else
	{
		TimestampTz due = queue_wake_time(w);

		if (due != 0)
			wake = due;
		if (w->creds.present && !w->creds.reauthorization_required)
			wake = Min(wake, w->creds.expires_at - (int64) zt_token_refresh_margin_s * USECS_PER_SEC);
	}
	wake = Min(wake, zt_retention_next_at());
	if (wake == DT_NOEND)
		return -1;
	now = GetCurrentTimestamp();
	if (wake <= now)
	{
		w->more_work = true;
		return 0;
	}
	return ms_until(wake, now);
}

/* True when the access token should be refreshed now. */
static bool
token_due_for_refresh(WorkerLoop *w)
{
	TimestampTz now = GetCurrentTimestamp();

	return w->creds.present && !w->creds.reauthorization_required &&
		(w->token_refresh_needed ||
		 w->creds.expires_at - (int64) zt_token_refresh_margin_s * USECS_PER_SEC <= now);
}

/*
 * True when the credentials were stored in this database.  A restored dump
 * or a clone holds credentials bound to another database: it sends
 * nothing, not even a token refresh, and says so once.  Credentials of an
 * older version, bound to no database, are bound to this one.
 */
static bool
credentials_belong_here(WorkerLoop *w)
{
	char		reason[ZT_TEXT_LEN];

	if (w->creds.bound_to == NULL)
	{
		zt_bind_unbound_credentials(w->identity);
		elog(LOG, "zalo_tthc worker: the OA credentials are now bound to this database (%s)", w->identity);
		refresh_credentials_cache(w, true);
	}
	if (w->creds.bound_to == NULL || strcmp(w->creds.bound_to, w->identity) == 0)
		return true;

	snprintf(reason, sizeof(reason),
			 "the OA credentials belong to another database (%s, this is %s): a restored copy or a clone does not send",
			 w->creds.bound_to, w->identity);
	if (!w->copy_warned)
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("zalo_tthc worker: this database is not the one the OA credentials were stored in; nothing is sent"),
				 errdetail("The credentials are bound to %s; this database is %s.", w->creds.bound_to, w->identity),
				 errhint("If this database is now production (new hardware, pg_upgrade), run SELECT zalo_tthc.bind_oa_credentials(); in a copy, store the copy's own credentials with zalo_tthc.set_oa_credentials().")));
	w->copy_warned = true;
	pause_sending(w, DT_NOEND, ZT_WS_PAUSED, reason);
	return false;
}

/* Act on the sockets that are ready, and on the requests that finished. */
static void
drive_requests(WorkerLoop *w)
{
	ZaloRequest *req;

	/* the requests that answers make room for go out in the same turn */
	do
	{
		if (zalo_client_in_flight(w->client) == 0)
			continue;
		set_state(ZT_WS_SENDING);
		zalo_client_work(w->client);
		while ((req = zalo_client_next_done(w->client)) != NULL)
			handle_finished(w, req);
	} while (start_waiting(w) > 0);
}

/*
 * How long to wait with requests on the wire: until a socket needs the
 * worker (the wait watches them), libcurl's own timer, the outcomes'
 * flush, the next claim while there is room and more to claim, or the
 * next lease check.  Zero only when there is work to do now.
 */
static long
sending_timeout_ms(WorkerLoop *w)
{
	TimestampTz now = GetCurrentTimestamp();
	long		timeout = zalo_client_wait_ms(w->client);

	if (w->more_work && w->paused_until == 0 && !w->token_refresh_needed && claim_room(w) > 0)
		timeout = shorter_wait(timeout, Max(Max(ms_until_token(w), 0), claim_wait_ms(w)));
	if (w->n_outcomes > 0)
		timeout = shorter_wait(timeout,
							   ms_until(TimestampTzPlusMilliseconds(w->first_outcome_at, outcome_flush_ms(w)), now));
	if (w->paused_until != 0 && w->paused_until != DT_NOEND)
		timeout = shorter_wait(timeout, ms_until(w->paused_until, now));
	timeout = shorter_wait(timeout, ms_until(w->lease_check_at, now));
	return shorter_wait(timeout, ms_until(zt_retention_next_at(), now));
}

/*
 * Nothing can be sent until the credentials change (none, a
 * re-authorisation, another database's): what was claimed ahead goes back
 * to the queue and the outcomes are written now, since the wait that
 * follows (-1) has no deadline.
 */
static long
sending_stopped(WorkerLoop *w)
{
	release_waiting(w);
	flush_outcomes(w);
	return -1;
}

/* One turn of the loop; returns how long to wait (ms, -1 forever) or 0. */
static long
worker_iteration(WorkerLoop *w)
{
	TimestampTz now;

	/* answers first, whatever else the turn does: they make room to claim */
	drive_requests(w);
	if (w->pair_unstored)
		(void) store_unstored_pair(w);
	refresh_credentials_cache(w, false);
	if (!w->creds.present)
	{
		set_state(ZT_WS_NO_CREDENTIALS);
		return sending_stopped(w);
	}
	if (w->creds.reauthorization_required)
	{
		pause_sending(w, DT_NOEND, ZT_WS_REAUTHORIZATION_REQUIRED,
					  "re-authorisation required: store new tokens with zalo_tthc.set_oa_credentials()");
		return sending_stopped(w);
	}
	if (!credentials_belong_here(w))
		return sending_stopped(w);

	/* an operator's pause() holds until resume(); the only endless pause here */
	if (zt_paused_by_operator())
	{
		if (w->paused_until != DT_NOEND)
			pause_sending(w, DT_NOEND, ZT_WS_PAUSED, "paused by an operator: zalo_tthc.resume() resumes");
	}
	else if (w->paused_until == DT_NOEND)
		resume_sending(w);

	now = GetCurrentTimestamp();
	if (w->paused_until != 0 && w->paused_until <= now)
	{
		elog(LOG, "zalo_tthc worker: pause over, sending resumes");
		resume_sending(w);
	}
	/* what was claimed ahead does not wait out a pause (the outcomes' flush below writes it) */
	if (w->paused_until != 0)
		release_waiting(w);

	/* refresh only with nothing on the wire, so no request uses a dying token */
	if (token_due_for_refresh(w) && zalo_client_in_flight(w->client) == 0 && w->paused_until == 0)
	{
		flush_outcomes(w);
		refresh_access_token(w);
		w->more_work = true;
	}

	if (w->paused_until == 0 && !w->token_refresh_needed)
	{
		read_templates_if_due(w);
		fill_pipeline(w);
		/* and what was claimed goes out now, not after the wait */
		drive_requests(w);
	}
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->in_flight = zalo_client_in_flight(w->client);
	SpinLockRelease(&zt_shared->mutex);

	/*
	 * Outcomes are written in batches, by count or by age: one transaction
	 * for the answers of a while, not one per answer.
	 */
	if (w->n_outcomes >= zt_batch_size ||
		(w->n_outcomes > 0 &&
		 TimestampDifferenceExceeds(w->first_outcome_at, GetCurrentTimestamp(), outcome_flush_ms(w))))
		flush_outcomes(w);

	if (GetCurrentTimestamp() >= w->lease_check_at)
		reclaim_expired_leases(w);
	zt_retention_run_if_due();

	w->claim_on_timeout = false;
	if (zalo_client_in_flight(w->client) > 0 || w->n_outcomes > 0)
		return sending_timeout_ms(w);
	if (w->more_work && w->paused_until == 0)
		return Max(ms_until_token(w), 0);

	/* idle: sleep until woken or the next retry or refresh is due */
	if (w->paused_until == 0)
		set_state(ZT_WS_IDLE);
	w->claim_on_timeout = true;
	return idle_timeout_ms(w);
}

/*
 * Wait until the extension exists in the database at the version this
 * library works with (after a new library is installed, until ALTER
 * EXTENSION ... UPDATE).
 */
static void
wait_for_extension(void)
{
	bool		logged = false;

	while (!zt_extension_ready())
	{
		if (!logged)
			ereport(LOG,
					(errmsg("zalo_tthc worker: extension zalo_tthc %s is not installed in database \"%s\"; waiting",
							ZT_SCHEMA_VERSION, zt_database_name),
					 errhint("CREATE EXTENSION zalo_tthc, or ALTER EXTENSION zalo_tthc UPDATE after installing a new version.")));
		logged = true;
		set_state(ZT_WS_WAITING_FOR_EXTENSION);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
}

/*
 * Where an ERROR in a turn of the loop lands: report it, roll back the
 * transaction it happened in, and go on.  What the worker knows survives:
 * outcomes not yet written are written at the next turn, and requests on
 * the wire go on.  So a routine error (a lock timeout, a statement
 * cancelled by an operator) costs one retry, not a restart that would
 * resend everything in flight as of unknown outcome.  Errors in a row
 * wait longer each time; after MAX_ERRORS_IN_A_ROW the worker exits.
 */
static void
recover_from_error(WorkerLoop *w)
{
	ErrorData  *edata;
	long		wait_ms;
	TimestampTz until;

	/* as PostgresMain and the autovacuum launcher do */
	error_context_stack = NULL;
	HOLD_INTERRUPTS();
	disable_all_timeouts(false);
	QueryCancelPending = false;
	EmitErrorReport();
	MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	AbortCurrentTransaction();
	LWLockReleaseAll();
	pgstat_report_wait_end();
	MemoryContextSwitchTo(TopMemoryContext);
	FlushErrorState();
	RESUME_INTERRUPTS();

	note_error(edata->message);
	FreeErrorData(edata);
	w->errors_in_a_row++;
	if (w->errors_in_a_row >= MAX_ERRORS_IN_A_ROW)
		ereport(FATAL,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("zalo_tthc worker: %d errors in a row; restarting", w->errors_in_a_row),
				 errhint("The errors before this one in the server log say what went wrong.")));

	wait_ms = Min((long) 1000 << Min(w->errors_in_a_row - 1, 5), (long) MAX_ERROR_WAIT_MS);
	elog(LOG, "zalo_tthc worker: continuing after the error in %ld ms", wait_ms);
	until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	for (;;)
	{
		long		left = (long) ((until - GetCurrentTimestamp()) / 1000);

		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	w->more_work = true;
}

/*
 * Asked to stop (SIGTERM) between turns: before the exit, what was claimed
 * ahead goes back to the queue and the outcomes of the answers already in
 * are written, so that neither comes back as an attempt of unknown outcome
 * (sent again, for an answered one) from the next worker.  The requests
 * still on the wire do.  Whatever fails here, the exit goes on.
 */
static void
finish_before_exit(WorkerLoop *w)
{
	DeferredInterrupts deferred = {0};
	MemoryContext cxt = CurrentMemoryContext;

	if (w->n_waiting == 0 && w->n_outcomes == 0)
		return;
	defer_interrupts(&deferred);
	PG_TRY();
	{
		release_waiting(w);
		flush_outcomes(w);
	}
	PG_CATCH();
	{
		ErrorData  *edata = take_error_and_abort(cxt);

		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("zalo_tthc worker: the outcomes could not be recorded before the exit"),
				 errdetail("%s", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	restore_interrupts(&deferred);
}

/* Entry point of the delivery worker. */
void
zt_worker_main(Datum arg)
{
	WorkerLoop *w = &worker_loop;
	sigjmp_buf	local_sigjmp_buf;
	char		errbuf[256];
	int			reclaimed;
	TimestampTz started_at;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	zt_am_delivery_worker = true;

	BackgroundWorkerInitializeConnection(zt_database_name, NULL, 0);
	/* short queue statements only: compiling them would cost far more */
	SetConfigOption("jit", "off", PGC_USERSET, PGC_S_OVERRIDE);
	/*
	 * The worker's own time limits, whatever ALTER DATABASE or ALTER ROLE
	 * set for the application: a statement that waits this long fails and
	 * is tried again at a later turn (the token store waits regardless).
	 */
	SetConfigOption("statement_timeout", "300000", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "60000", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);

	started_at = GetCurrentTimestamp();
	SpinLockAcquire(&zt_shared->mutex);
	zt_shared->worker_pid = MyProcPid;
	zt_shared->database_oid = MyDatabaseId;
	zt_shared->state = ZT_WS_STARTING;
	zt_shared->started_at = started_at;
	zt_shared->rate_limit = zt_rate_limit;
	SpinLockRelease(&zt_shared->mutex);
	pg_atomic_write_u32(&zt_shared->worker_procno, MyProc->pgprocno);
	on_shmem_exit(worker_on_exit, (Datum) 0);

	if (!zalo_client_global_init(errbuf, sizeof(errbuf)))
		ereport(FATAL,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("zalo_tthc worker: could not initialize libcurl"),
				 errdetail("%s", errbuf)));

	memset(w, 0, sizeof(*w));
	fit_requests_to_open_files();
	{
		ZaloClientOptions opts = client_options();

		w->client = zalo_client_create(&opts);
	}
	if (w->client == NULL)
		ereport(FATAL,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("zalo_tthc worker: could not create the HTTP client")));
	w->cycle_cxt = AllocSetContextCreate(TopMemoryContext, "zalo_tthc worker cycle", ALLOCSET_DEFAULT_SIZES);
	w->outcome_cxt = AllocSetContextCreate(TopMemoryContext, "zalo_tthc worker outcomes", ALLOCSET_DEFAULT_SIZES);
	w->creds_cxt = AllocSetContextCreate(TopMemoryContext, "zalo_tthc worker credentials", ALLOCSET_SMALL_SIZES);
	w->max_outcomes = 256;
	w->outcomes = MemoryContextAlloc(w->outcome_cxt, sizeof(ZtOutcome) * w->max_outcomes);
	w->tokens_at = GetCurrentTimestamp();
	w->tokens = Max(zt_rate_limit, 1.0);
	w->more_work = true;
	w->identity = MemoryContextStrdup(TopMemoryContext, zt_database_identity());
	dlist_init(&w->in_flight);
	dlist_init(&w->waiting);
	w->lease_check_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), zt_lease_time_ms / 2);
	w->creds_generation = pg_atomic_read_u32(&zt_shared->credentials_generation) - 1;

	/*
	 * One wait for everything: a commit (the latch), an answer on any
	 * socket (the client's one descriptor), postmaster death.
	 */
	w->wait_set = zt_create_wait_event_set(3);
	AddWaitEventToSet(w->wait_set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(w->wait_set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	if (zalo_client_wait_fd(w->client) >= 0)
		AddWaitEventToSet(w->wait_set, WL_SOCKET_READABLE, zalo_client_wait_fd(w->client), NULL, NULL);

	elog(LOG, "zalo_tthc worker started for database \"%s\"", zt_database_name);
	wait_for_extension();

	reclaimed = zt_reclaim_abandoned();
	if (reclaimed > 0)
	{
		SpinLockAcquire(&zt_shared->mutex);
		zt_shared->unknown_outcomes += reclaimed;
		SpinLockRelease(&zt_shared->mutex);
		elog(LOG, "zalo_tthc worker: %d notifications were being sent when the previous worker stopped; they are queued again",
			 reclaimed);
	}

	/* from here on an ERROR ends the turn of the loop, not the worker */
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
		recover_from_error(w);
	PG_exception_stack = &local_sigjmp_buf;

	for (;;)
	{
		long		timeout;

		if (ProcDiePending)
			finish_before_exit(w);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
			reload_settings(w);

		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(w->cycle_cxt);
		MemoryContextSwitchTo(w->cycle_cxt);
		pg_atomic_fetch_add_u64(&zt_shared->loop_turns, 1);
		timeout = worker_iteration(w);
		/* requests on the wire have their own deadlines, whatever the turn said */
		if (zalo_client_in_flight(w->client) > 0)
			timeout = shorter_wait(timeout, zalo_client_wait_ms(w->client));
		MemoryContextSwitchTo(TopMemoryContext);
		w->errors_in_a_row = 0;

		/*
		 * Report table statistics (at most once a second), so that
		 * autovacuum sees the delivery log and the outbox; with counts
		 * still waiting, wake up to report them.
		 */
		{
			long		stats_ms = pgstat_report_stat(false);

			if (stats_ms > 0 && (timeout < 0 || timeout > stats_ms))
				timeout = stats_ms;
		}

		if (timeout != 0)
		{
			WaitEvent	events[3];
			int			n;

			n = WaitEventSetWait(w->wait_set, timeout, events, lengthof(events), PG_WAIT_EXTENSION);
			for (int i = 0; i < n; i++)
			{
				if (events[i].events & WL_LATCH_SET)
				{
					ResetLatch(MyLatch);
					w->more_work = true;
				}
			}
			if (n == 0 && w->claim_on_timeout)
				w->more_work = true;
		}
		else if (MyLatch->is_set)
		{
			ResetLatch(MyLatch);
			w->more_work = true;
		}
	}
}
