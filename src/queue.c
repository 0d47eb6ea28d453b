/*
 * queue.c
 *		SPI access of the delivery worker to zalo_tthc.outbox,
 *		delivery_attempt and oa_credentials.
 *
 * Each function is one short transaction.  Claims use FOR UPDATE SKIP
 * LOCKED and a lease; a notification is claimable only when every earlier
 * notification of its dossier is final, so citizens get stages in order.
 */
#include "zalo_tthc.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "queue.h"
#include "template_values.h"

/* The caller's memory context, current again after each transaction. */
static MemoryContext caller_cxt = NULL;

/* Begin a worker transaction with a snapshot and SPI. */
static void
begin_work(const char *activity)
{
	caller_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commit the worker transaction. */
static void
end_work(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	/* the commit leaves TopMemoryContext current, where nothing is freed */
	MemoryContextSwitchTo(caller_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Make the planner walk outbox_claim_idx in order, stop after the batch,
 * and reach every other row by an index probe (the claim, the next-due
 * query, the outcomes).  Statistics of the outbox
 * are often stale (a backlog grows within seconds while Zalo is down, or
 * after a bulk import) and the plan is generic (the batch size is a
 * parameter, estimated at a tenth of the table): then a bitmap scan and a
 * sort of every due row, a sequential scan of the outbox in the
 * per-dossier order check, or hash joins that read every dossier look
 * cheaper, and each claim costs O(backlog).  With these the generic plan
 * is the right one whatever the statistics, and the claim and outcome
 * statements keep it (CURSOR_OPT_GENERIC_PLAN) instead of being planned
 * again at every batch.  A memo of probes by id would never hit: each id
 * of a batch is probed once.  Local to the worker's transaction.
 */
static void
guard_queue_plan(void)
{
	static const char *const off[] = {
		"enable_sort", "enable_bitmapscan", "enable_seqscan", "enable_hashjoin", "enable_mergejoin",
		"enable_memoize"
	};

	for (int i = 0; i < (int) lengthof(off); i++)
		set_config_option(off[i], "off", PGC_USERSET, PGC_S_SESSION,
						  GUC_ACTION_LOCAL, true, 0, false);
}

/* True when the extension is installed in the worker's database. */
bool
zt_extension_ready(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	const char *version;
	bool		ready;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	version = zt_installed_schema_version();
	ready = version != NULL && strcmp(version, ZT_SCHEMA_VERSION) == 0;
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	return ready;
}

/*
 * The installed version of the extension in this database, or NULL when it
 * is not installed (in a transaction; the result lives in its context).
 */
const char *
zt_installed_schema_version(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("zalo_tthc"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/* A copy of a text column in the caller's context, NULL for NULL. */
static char *
copy_text(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	char	   *s = SPI_getvalue(tup, desc, col);
	char	   *copy;

	if (s == NULL)
		return NULL;
	copy = MemoryContextStrdup(cxt, s);
	pfree(s);
	return copy;
}

/*
 * A notification o is claimable when no notification of an earlier event of
 * its dossier is still open.  The earlier events come from dossier_event's
 * key (dossier_id, seq), a handful per dossier, and their notifications
 * from the outbox key (event_id, channel, kind): the outbox has no index by
 * dossier, which every stage change would pay for.  Event ids grow with
 * each change of a dossier (the row lock orders them).  Inside the CASE the
 * subqueries stay per-candidate probes; see guard_queue_plan for the order.
 * A chat message (no event) waits for the citizen's earlier chat messages
 * instead (outbox_chat_open_idx).  Whatever the statistics say, only those
 * indexes serve: "pe.id + 0" keeps dossier_event's primary key from a walk
 * of every earlier event, and the chat check's order (with sorts off) is
 * outbox_chat_open_idx's, not that of the index of every chat message.
 */
#define FIRST_OPEN_OF_ITS_DOSSIER \
"CASE WHEN o.event_id IS NULL THEN NOT EXISTS (SELECT FROM (SELECT p.id FROM zalo_tthc.outbox p" \
"              WHERE p.recipient_id = o.recipient_id AND p.event_id IS NULL" \
"                AND p.status IN ('pending', 'sending', 'failed')" \
"              ORDER BY p.recipient_id, p.id LIMIT 1) f WHERE f.id < o.id) ELSE " \
"NOT EXISTS (SELECT FROM zalo_tthc.outbox p" \
"            WHERE p.event_id = ANY (ARRAY(SELECT pe.id FROM zalo_tthc.dossier_event pe" \
"                                          WHERE pe.dossier_id = o.dossier_id AND pe.id + 0 < o.event_id))" \
"              AND p.status IN ('pending', 'sending', 'failed')) END"

static const char *const claim_sql =
"WITH due AS ("
"  SELECT o.id FROM zalo_tthc.outbox o"
"  WHERE o.status IN ('pending', 'failed') AND o.next_attempt_at <= now()"
"    AND " FIRST_OPEN_OF_ITS_DOSSIER
"  ORDER BY o.next_attempt_at, o.id"
"  LIMIT $1"
"  FOR UPDATE OF o SKIP LOCKED), "
"claimed AS ("
"  UPDATE zalo_tthc.outbox o SET status = 'sending', attempts = o.attempts + 1,"
"         lease_until = now() + $2 * interval '1 millisecond'"
/* an index probe per claimed id, not a walk of the outbox against them */
"  WHERE o.id = ANY (ARRAY(SELECT id FROM due))"
"  RETURNING o.id, o.attempts, o.kind, o.channel, o.idempotency_key, o.dossier_id, o.event_id,"
"            o.recipient_id, o.stage, o.payload) "
"SELECT c.id, c.attempts, c.kind::text, c.channel::text, c.idempotency_key,"
"       r.zalo_user_id, coalesce(r.followed, false),"
"       '84' || substr(dd.applicant_phone, 4),"
"       dd.code, t.header, t.body, t.table_rows::text, t.buttons::text, t.status_style,"
"       t.zns_template_id, t.zns_params::text,"
"       doc.file_name, doc.content, c.payload::text, "
ZT_VALUE_COLUMNS " "
"FROM claimed c "
/* one index probe per claimed row for each, whatever the statistics say */
"LEFT JOIN LATERAL (SELECT d.* FROM zalo_tthc.dossier d WHERE d.id = c.dossier_id OFFSET 0) dd ON true "
"LEFT JOIN LATERAL (SELECT e.* FROM zalo_tthc.dossier_event e WHERE e.id = c.event_id OFFSET 0) ee ON true "
"LEFT JOIN LATERAL (SELECT s.label_vi FROM zalo_tthc.stage_info s WHERE s.stage = ee.stage_after OFFSET 0) si"
"       ON true "
"LEFT JOIN LATERAL (SELECT r.zalo_user_id, r.followed FROM zalo_tthc.recipient r"
"                   WHERE r.id = c.recipient_id OFFSET 0) r ON true "
"LEFT JOIN LATERAL (SELECT t.header, t.body, t.table_rows, t.buttons, t.status_style, t.zns_template_id,"
"                          t.zns_params"
"                   FROM zalo_tthc.template t WHERE t.stage = c.stage OFFSET 0) t ON true "
"LEFT JOIN LATERAL (SELECT doc.file_name, doc.content FROM zalo_tthc.dossier_document doc"
"                   WHERE c.kind = 'receipt_file' AND doc.dossier_id = c.dossier_id AND doc.kind = 'receipt'"
"                   OFFSET 0) doc ON true "
"ORDER BY c.id";

/* The column of the claim where the ZT_VALUE_COLUMNS start. */
#define CLAIM_VALUES_FIRST_COLUMN 20

/*
 * The template values of a claimed row as JSON text in cxt; NULL for a
 * notification without a stage (a chat message).
 */
static char *
claimed_values(HeapTuple tup, TupleDesc desc, int first, MemoryContext cxt)
{
	Datum		values[ZT_VF_COUNT];
	bool		isnull[ZT_VF_COUNT];
	StringInfoData out;

	for (int f = 0; f < ZT_VF_COUNT; f++)
		values[f] = SPI_getbinval(tup, desc, first + f, &isnull[f]);
	if (isnull[ZT_VF_STAGE_LABEL])
		return NULL;
	/* built in the transaction's memory, which the commit frees */
	initStringInfo(&out);
	zt_append_template_values(&out, values, isnull);
	return MemoryContextStrdup(cxt, out.data);
}

/*
 * Claim up to limit due notifications; the rows are copied into the
 * caller's memory context.  Returns how many.
 */
int
zt_claim_batch(int limit, int lease_ms, ZtClaimedRow **rows)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext cxt = CurrentMemoryContext;
	Datum		args[2] = {Int32GetDatum(limit), Int32GetDatum(lease_ms)};
	int			n;

	begin_work("zalo_tthc: claiming notifications");
	guard_queue_plan();

	if (plan == NULL)
	{
		Oid			types[2] = {INT4OID, INT4OID};

		plan = SPI_prepare_cursor(claim_sql, 2, types, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "could not prepare the claim query: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not claim notifications");

	n = (int) SPI_processed;
	*rows = MemoryContextAllocZero(cxt, sizeof(ZtClaimedRow) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ZtClaimedRow *row = &(*rows)[i];
		bool		isnull;
		Datum		content;

		row->outbox_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		row->attempt = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		row->kind = copy_text(tup, desc, 3, cxt);
		row->channel = copy_text(tup, desc, 4, cxt);
		row->idempotency_key = copy_text(tup, desc, 5, cxt);
		row->user_id = copy_text(tup, desc, 6, cxt);
		row->followed = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
		row->zns_phone = copy_text(tup, desc, 8, cxt);
		row->code = copy_text(tup, desc, 9, cxt);
		row->header = copy_text(tup, desc, 10, cxt);
		row->body = copy_text(tup, desc, 11, cxt);
		row->table_rows = copy_text(tup, desc, 12, cxt);
		row->buttons = copy_text(tup, desc, 13, cxt);
		row->status_style = copy_text(tup, desc, 14, cxt);
		row->zns_template_id = copy_text(tup, desc, 15, cxt);
		row->zns_params = copy_text(tup, desc, 16, cxt);
		row->file_name = copy_text(tup, desc, 17, cxt);
		content = SPI_getbinval(tup, desc, 18, &isnull);
		if (!isnull)
		{
			bytea	   *b = DatumGetByteaPP(content);

			row->file_len = VARSIZE_ANY_EXHDR(b);
			row->file_data = MemoryContextAlloc(cxt, Max(row->file_len, 1));
			memcpy(row->file_data, VARDATA_ANY(b), row->file_len);
		}
		row->payload = copy_text(tup, desc, 19, cxt);
		row->vars = claimed_values(tup, desc, CLAIM_VALUES_FIRST_COLUMN, cxt);
	}
	end_work();
	return n;
}

/* A text[] of n strings (NULL entries allowed). */
static Datum
text_array(const char **values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = values[i] == NULL;
		elems[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(values[i]);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

/* An array of n fixed-width values of a type. */
static Datum
scalar_array(Datum *values, bool *nulls, int n, Oid type, int len, bool byval, char align)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type, len, byval, align));
}

static const char *const complete_sql =
"WITH r AS ("
"  SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int4[], $5::text[],"
"                       $6::timestamptz[], $7::bool[], $8::bool[])"
"         AS r(id, status, last_error, error_code, msg_id, next_at, refund, fallback)), "
"upd AS ("
"  UPDATE zalo_tthc.outbox o SET"
"    status = r.status::zalo_tthc.delivery_status, last_error = r.last_error, last_error_code = r.error_code,"
"    provider_msg_id = coalesce(r.msg_id, o.provider_msg_id),"
"    sent_at = CASE WHEN r.status = 'sent' THEN now() ELSE o.sent_at END,"
"    next_attempt_at = coalesce(r.next_at, o.next_attempt_at),"
"    attempts = o.attempts - CASE WHEN r.refund THEN 1 ELSE 0 END,"
"    lease_until = NULL"
/* a primary key probe per outcome: "::text" keeps the planner from reading
 * every 'sending' row of the partial index outbox_sending_idx instead */
"  FROM r WHERE o.id = r.id AND o.status::text = 'sending'"
"  RETURNING o.event_id, o.dossier_id, o.stage, o.status, o.kind, o.channel, o.recipient_id,"
"            r.fallback), "
"zns AS ("
"  INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, kind, idempotency_key,"
"                                status, last_error)"
"  SELECT u.event_id, u.dossier_id, u.stage, 'zns', 'stage', u.dossier_id || '-' || e.seq || '-zns',"
"         CASE WHEN t.zns_template_id IS NOT NULL AND d.applicant_phone IS NOT NULL"
"              THEN 'pending' ELSE 'undeliverable' END::zalo_tthc.delivery_status,"
"         CASE WHEN t.zns_template_id IS NULL"
"              THEN 'the Zalo OA could not reach the citizen and stage ' || u.stage || ' has no ZNS template'"
"              WHEN d.applicant_phone IS NULL"
"              THEN 'the Zalo OA could not reach the citizen and the dossier has no mobile phone' END"
"  FROM upd u"
"  CROSS JOIN LATERAL (SELECT e.seq FROM zalo_tthc.dossier_event e WHERE e.id = u.event_id OFFSET 0) e"
"  CROSS JOIN LATERAL (SELECT d.applicant_phone FROM zalo_tthc.dossier d WHERE d.id = u.dossier_id OFFSET 0) d"
"  LEFT JOIN LATERAL (SELECT t.zns_template_id FROM zalo_tthc.template t WHERE t.stage = u.stage OFFSET 0) t"
"         ON true"
"  WHERE u.fallback AND u.channel = 'zalo_oa' AND u.kind = 'stage'"
"  ON CONFLICT (event_id, channel, kind) DO NOTHING), "
"receipt AS ("
"  INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, kind, recipient_id,"
"                                idempotency_key)"
"  SELECT u.event_id, u.dossier_id, u.stage, 'zalo_oa', 'receipt_file', u.recipient_id,"
"         u.dossier_id || '-' || e.seq || '-file'"
"  FROM upd u"
"  CROSS JOIN LATERAL (SELECT e.seq FROM zalo_tthc.dossier_event e WHERE e.id = u.event_id OFFSET 0) e"
"  CROSS JOIN LATERAL (SELECT FROM zalo_tthc.dossier_document doc"
"                      WHERE doc.dossier_id = u.dossier_id AND doc.kind = 'receipt' LIMIT 1) doc"
"  WHERE u.status = 'sent' AND u.kind = 'stage' AND u.channel = 'zalo_oa' AND u.stage = 'received'"
"  ON CONFLICT (event_id, channel, kind) DO NOTHING) "
"INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at, latency_ms,"
"                                       http_status, zalo_error, outcome, sent_unknown, error_text)"
"SELECT * FROM unnest($1::int8[], $9::int4[], $10::text[], $11::timestamptz[], $12::float4[],"
"                     $13::int4[], $14::int4[], $15::text[], $16::bool[], $3::text[])";

/*
 * Record a batch of outcomes in one statement: the outbox rows, the ZNS
 * fallbacks, the receipt file that follows a received message, and the
 * delivery log.
 */
void
zt_record_outcomes(ZtOutcome *outcomes, int n)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[16];
	Datum	   *ids = palloc(sizeof(Datum) * n);
	const char **statuses = palloc(sizeof(char *) * n);
	const char **errors = palloc(sizeof(char *) * n);
	Datum	   *codes = palloc(sizeof(Datum) * n);
	bool	   *code_nulls = palloc(sizeof(bool) * n);
	const char **msg_ids = palloc(sizeof(char *) * n);
	Datum	   *next_at = palloc(sizeof(Datum) * n);
	bool	   *next_nulls = palloc(sizeof(bool) * n);
	Datum	   *refunds = palloc(sizeof(Datum) * n);
	Datum	   *fallbacks = palloc(sizeof(Datum) * n);
	Datum	   *attempts = palloc(sizeof(Datum) * n);
	const char **endpoints = palloc(sizeof(char *) * n);
	Datum	   *started = palloc(sizeof(Datum) * n);
	Datum	   *latency = palloc(sizeof(Datum) * n);
	bool	   *latency_nulls = palloc(sizeof(bool) * n);
	Datum	   *http = palloc(sizeof(Datum) * n);
	bool	   *http_nulls = palloc(sizeof(bool) * n);
	const char **kinds = palloc(sizeof(char *) * n);
	Datum	   *unknown = palloc(sizeof(Datum) * n);

	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
	{
		ZtOutcome  *o = &outcomes[i];

		ids[i] = Int64GetDatum(o->outbox_id);
		statuses[i] = o->status;
		errors[i] = o->last_error;
		codes[i] = Int32GetDatum(o->error_code);
		code_nulls[i] = o->error_code == 0;
		msg_ids[i] = o->provider_msg_id;
		next_at[i] = TimestampTzGetDatum(o->next_attempt_at);
		next_nulls[i] = o->next_attempt_at == 0;
		refunds[i] = BoolGetDatum(o->refund_attempt);
		fallbacks[i] = BoolGetDatum(o->fallback_to_zns);
		attempts[i] = Int32GetDatum(o->attempt);
		endpoints[i] = o->endpoint;
		started[i] = TimestampTzGetDatum(o->started_at);
		latency[i] = Float4GetDatum((float4) o->latency_ms);
		latency_nulls[i] = o->latency_ms < 0;
		http[i] = Int32GetDatum(o->http_status);
		http_nulls[i] = o->http_status == 0;
		kinds[i] = o->outcome;
		unknown[i] = BoolGetDatum(o->sent_unknown);
	}

	begin_work("zalo_tthc: recording outcomes");
	guard_queue_plan();
	if (plan == NULL)
	{
		Oid			types[16] = {
			INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
			TIMESTAMPTZARRAYOID, BOOLARRAYOID, BOOLARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
			TIMESTAMPTZARRAYOID, FLOAT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
			BOOLARRAYOID
		};

		plan = SPI_prepare_cursor(complete_sql, 16, types, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "could not prepare the outcome statement: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	args[0] = scalar_array(ids, NULL, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	args[1] = text_array(statuses, n);
	args[2] = text_array(errors, n);
	args[3] = scalar_array(codes, code_nulls, n, INT4OID, 4, true, TYPALIGN_INT);
	args[4] = text_array(msg_ids, n);
	args[5] = scalar_array(next_at, next_nulls, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	args[6] = scalar_array(refunds, NULL, n, BOOLOID, 1, true, TYPALIGN_CHAR);
	args[7] = scalar_array(fallbacks, NULL, n, BOOLOID, 1, true, TYPALIGN_CHAR);
	args[8] = scalar_array(attempts, NULL, n, INT4OID, 4, true, TYPALIGN_INT);
	args[9] = text_array(endpoints, n);
	args[10] = scalar_array(started, NULL, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	args[11] = scalar_array(latency, latency_nulls, n, FLOAT4OID, 4, true, TYPALIGN_INT);
	args[12] = scalar_array(http, http_nulls, n, INT4OID, 4, true, TYPALIGN_INT);
	args[13] = scalar_array(codes, code_nulls, n, INT4OID, 4, true, TYPALIGN_INT);
	args[14] = text_array(kinds, n);
	args[15] = scalar_array(unknown, NULL, n, BOOLOID, 1, true, TYPALIGN_CHAR);

	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record delivery outcomes");
	zt_add_delivery_totals(args[0], args[1]);
	end_work();
}

/*
 * At worker start: every row still 'sending' was claimed by a worker that
 * is gone, and may or may not have reached Zalo.  Put them back in the
 * queue and log each as an attempt of unknown outcome.  Returns how many.
 */
int
zt_reclaim_abandoned(void)
{
	int			n;

	begin_work("zalo_tthc: reclaiming abandoned claims");
	if (SPI_execute("WITH r AS ("
					"  UPDATE zalo_tthc.outbox SET status = 'failed', next_attempt_at = now(),"
					"         lease_until = NULL,"
					"         last_error = 'outcome unknown: the worker stopped while sending'"
					"  WHERE status = 'sending' RETURNING id, attempts) "
					"INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at,"
					"       outcome, sent_unknown, error_text) "
					"SELECT id, attempts, 'unknown', now(), 'unknown', true,"
					"       'the worker stopped while this attempt was on the wire' FROM r",
					false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not reclaim abandoned notifications");
	n = (int) SPI_processed;
	end_work();
	return n;
}

/*
 * Queue again the notifications still 'sending' after their lease, but for
 * those in held (on the wire or with an outcome not yet written); each is
 * logged as an attempt of unknown outcome.  Returns how many.
 */
int
zt_reclaim_expired_leases(const int64 *held, int n_held)
{
	Datum	   *ids = palloc(sizeof(Datum) * Max(n_held, 1));
	Oid			types[1] = {INT8ARRAYOID};
	Datum		args[1];
	int			n;

	for (int i = 0; i < n_held; i++)
		ids[i] = Int64GetDatum(held[i]);
	args[0] = scalar_array(ids, NULL, n_held, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);

	begin_work("zalo_tthc: reclaiming expired leases");
	if (SPI_execute_with_args("WITH r AS ("
							  "  UPDATE zalo_tthc.outbox SET status = 'failed', next_attempt_at = now(),"
							  "         lease_until = NULL,"
							  "         last_error = 'outcome unknown: the lease ran out while it was being sent'"
							  "  WHERE status = 'sending' AND lease_until < now() AND id <> ALL ($1)"
							  "  RETURNING id, attempts) "
							  "INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at,"
							  "       outcome, sent_unknown, error_text) "
							  "SELECT id, attempts, 'unknown', now(), 'unknown', true,"
							  "       'the lease of this attempt ran out before its outcome was written' FROM r",
							  1, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not reclaim notifications whose lease ran out");
	n = (int) SPI_processed;
	end_work();
	return n;
}

/*
 * The earliest time a claimable notification is due; false if none.  A
 * notification waiting behind an earlier one of its dossier does not count:
 * the earlier one's retry time does.  *lease_end is the earliest end of a
 * lease of a notification being sent (0 if none).
 */
bool
zt_next_due(TimestampTz *when, TimestampTz *lease_end)
{
	bool		found = false;
	bool		isnull;
	Datum		d;

	begin_work("zalo_tthc: next due notification");
	guard_queue_plan();
	if (SPI_execute("SELECT o.next_attempt_at FROM zalo_tthc.outbox o"
					" WHERE o.status IN ('pending', 'failed')"
					"   AND " FIRST_OPEN_OF_ITS_DOSSIER
					" ORDER BY o.next_attempt_at, o.id LIMIT 1", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the queue");
	if (SPI_processed == 1)
	{
		bool		isnull;

		*when = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		found = true;
	}
	if (SPI_execute("SELECT min(lease_until) FROM zalo_tthc.outbox WHERE status = 'sending'", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the queue");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	*lease_end = isnull ? 0 : DatumGetTimestampTz(d);
	end_work();
	return found;
}

/* Read the OA credentials into the caller's memory context. */
void
zt_load_credentials(ZtCredentials *creds)
{
	MemoryContext cxt = CurrentMemoryContext;

	memset(creds, 0, sizeof(*creds));
	begin_work("zalo_tthc: loading credentials");
	if (SPI_execute("SELECT app_id, app_secret, access_token, refresh_token, expires_at,"
					" reauthorization_required, bound_to FROM zalo_tthc.oa_credentials", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read zalo_tthc.oa_credentials");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		creds->present = true;
		creds->app_id = copy_text(tup, desc, 1, cxt);
		creds->app_secret = copy_text(tup, desc, 2, cxt);
		creds->access_token = copy_text(tup, desc, 3, cxt);
		creds->refresh_token = copy_text(tup, desc, 4, cxt);
		creds->expires_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 5, &isnull));
		creds->reauthorization_required = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		creds->bound_to = copy_text(tup, desc, 7, cxt);
	}
	end_work();
}

/*
 * Store a refreshed token pair, committed before it is used.  The update
 * applies only if the refresh token is still the one we used, so an
 * operator's new credentials are never overwritten.
 */
bool
zt_store_refreshed_tokens(const char *old_refresh_token, const char *access_token,
						  const char *refresh_token, long expires_in)
{
	Oid			types[4] = {TEXTOID, TEXTOID, TEXTOID, INT8OID};
	Datum		args[4] = {
		CStringGetTextDatum(old_refresh_token), CStringGetTextDatum(access_token),
		CStringGetTextDatum(refresh_token), Int64GetDatum(expires_in)
	};
	bool		stored;

	begin_work("zalo_tthc: storing refreshed token");
	/* the old token is consumed: wait for the row lock rather than fail */
	set_config_option("lock_timeout", "0", PGC_SUSET, PGC_S_SESSION,
					  GUC_ACTION_LOCAL, true, 0, false);
	set_config_option("statement_timeout", "0", PGC_SUSET, PGC_S_SESSION,
					  GUC_ACTION_LOCAL, true, 0, false);
	if (SPI_execute_with_args("UPDATE zalo_tthc.oa_credentials SET access_token = $2,"
							  " refresh_token = $3, expires_at = now() + $4 * interval '1 second',"
							  " reauthorization_required = false, updated_at = now()"
							  " WHERE refresh_token = $1",
							  4, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not store the refreshed token");
	stored = SPI_processed == 1;
	end_work();
	return stored;
}

/*
 * Bind credentials stored before they recorded their database (an older
 * version's) to this one, the database whose worker first reads them.
 */
void
zt_bind_unbound_credentials(const char *identity)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(identity)};

	begin_work("zalo_tthc: binding the credentials to this database");
	if (SPI_execute_with_args("UPDATE zalo_tthc.oa_credentials SET bound_to = $1 WHERE bound_to IS NULL",
							  1, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not bind the credentials to this database");
	end_work();
}

/*
 * Mark the credentials whose refresh token Zalo refused as needing a new
 * authorisation by the operator; credentials stored since stay usable.
 */
void
zt_flag_reauthorization(const char *refused_refresh_token)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(refused_refresh_token)};

	begin_work("zalo_tthc: flagging re-authorisation");
	if (SPI_execute_with_args("UPDATE zalo_tthc.oa_credentials SET reauthorization_required = true,"
							  " updated_at = now() WHERE refresh_token = $1",
							  1, types, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not flag re-authorisation");
	end_work();
}

/*
 * The same short transaction with SPI, for the worker's other jobs
 * (retention, the operator's pause).
 */
void
zt_worker_begin(const char *activity)
{
	begin_work(activity);
}

/* Commit a transaction started by zt_worker_begin(). */
void
zt_worker_end(void)
{
	end_work();
}
