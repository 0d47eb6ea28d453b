-- Schema objects of zalo_tthc: tables, columns, types, functions,
-- triggers, and a comment on every table and column.
BEGIN;
SELECT plan(63);

SELECT has_schema('zalo_tthc');
SELECT has_extension('zalo_tthc');
SELECT has_enum('zalo_tthc'::name, 'stage'::name, 'enum zalo_tthc.stage exists');
SELECT enum_has_labels('zalo_tthc', 'stage', ARRAY[
	'submitted', 'received', 'rejected', 'assigned', 'appraising', 'interoperating',
	'signing', 'supplement_requested', 'supplement_submitted', 'payment_requested',
	'payment_confirmed', 'withdrawal_requested', 'overdue_apology', 'result_ready',
	'result_returned', 'returned']);

SELECT tables_are('zalo_tthc', ARRAY[
	'stage_info', 'stage_transition', 'dossier', 'dossier_event', 'recipient',
	'template', 'outbox', 'oa_credentials', 'delivery_attempt', 'dossier_document',
	'chat_template', 'webhook_event', 'webhook_pending_receipt', 'receipt_snapshot', 'lookup_audit', 'lookup_secret',
	'delivery_total', 'operator_log', 'worker_control', 'zbs_template', 'attachment', 'attachment_problem']);

SELECT columns_are('zalo_tthc', 'outbox', ARRAY[
	'id', 'event_id', 'dossier_id', 'stage', 'channel', 'kind', 'recipient_id', 'idempotency_key',
	'status', 'attempts', 'next_attempt_at', 'lease_until', 'last_error', 'last_error_code',
	'provider_msg_id', 'created_at', 'sent_at', 'delivered_at', 'seen_at', 'payload']);
SELECT columns_are('zalo_tthc', 'recipient', ARRAY[
	'id', 'zalo_user_id', 'phone', 'id_number', 'display_name', 'followed', 'followed_at',
	'unfollowed_at', 'created_at', 'updated_at']);

-- the dossier columns named in the public interface
SELECT has_column('zalo_tthc', 'dossier', c, 'dossier has ' || c)
FROM unnest(ARRAY['id', 'code', 'procedure_name', 'field_name', 'agency_name',
	'receiving_unit', 'applicant_name', 'applicant_id_number', 'applicant_phone', 'stage',
	'status_code', 'submitted_at', 'received_at', 'due_at', 'result_at', 'returned_at']) AS c;

-- the indexes the enqueue path of src/outbox.c probes by name (src/outbox.h)
SELECT has_index('zalo_tthc', 'dossier_event', 'dossier_event_dossier_id_seq_key',
	'the (dossier, seq) key of dossier_event');
SELECT has_index('zalo_tthc', 'recipient', 'recipient_phone_idx', 'followers by phone');
SELECT has_index('zalo_tthc', 'recipient', 'recipient_id_number_idx', 'followers by CCCD/CMND');
SELECT has_index('zalo_tthc', 'template', 'template_pkey', 'templates by stage');

-- the indexes the worker's claim (src/claim.c) walks or probes by name: it
-- keys each on its first column (the claim and sending indexes carry the
-- columns queue_summary counts)
SELECT has_index('zalo_tthc', 'outbox', 'outbox_claim_idx',
	ARRAY['next_attempt_at', 'id', 'status', 'channel', 'created_at'], 'the queue in claim order');
SELECT has_index('zalo_tthc', 'outbox', 'outbox_sending_idx', ARRAY['id', 'channel', 'created_at', 'next_attempt_at'],
	'the notifications being sent');
SELECT has_index('zalo_tthc', 'outbox', 'outbox_event_id_channel_kind_key', ARRAY['event_id', 'channel', 'kind'],
	'the notifications of a stage event');
SELECT has_index('zalo_tthc', 'outbox', 'outbox_chat_open_idx', ARRAY['recipient_id', 'id'],
	'a citizen''s open chat messages');
SELECT has_index('zalo_tthc', 'dossier_event', 'dossier_event_pkey', ARRAY['id'], 'stage events by id');
SELECT has_index('zalo_tthc', 'dossier', 'dossier_pkey', ARRAY['id'], 'dossiers by id');
SELECT has_index('zalo_tthc', 'recipient', 'recipient_pkey', ARRAY['id'], 'followers by id');
SELECT has_index('zalo_tthc', 'dossier_document', 'dossier_document_dossier_id_kind_key', ARRAY['dossier_id', 'kind'],
	'a dossier''s documents');
SELECT has_index('zalo_tthc', 'stage_info', 'stage_info_pkey', ARRAY['stage'], 'stage labels by stage');

SELECT col_type_is('zalo_tthc'::name, 'dossier'::name, 'stage'::name, 'zalo_tthc'::name, 'stage'::name, 'dossier.stage is zalo_tthc.stage');
SELECT col_type_is('zalo_tthc'::name, 'recipient'::name, 'zalo_user_id'::name, 'text', 'Zalo user ids are text, never numbers');
SELECT col_is_unique('zalo_tthc'::name, 'dossier'::name, ARRAY['code']::name[], 'dossier codes are unique');
SELECT col_is_unique('zalo_tthc'::name, 'outbox'::name, ARRAY['event_id', 'channel', 'kind']::name[],
	'one notification per stage event, channel and kind');
SELECT index_is_unique('zalo_tthc'::name, 'outbox'::name, 'outbox_chat_key_idx'::name,
	'chat messages have unique idempotency keys');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'zalo_tthc.outbox_chat_key_idx'::regclass),
	'(event_id IS NULL)', 'the chat key index covers chat messages only');
SELECT hasnt_index('zalo_tthc'::name, 'outbox'::name, 'outbox_idempotency_key_key'::name,
	'stage notifications add no index entry for their key text');
-- what a stage change pays for: a new notification enters outbox_pkey, the
-- event key and the claim index; the others are partial on other rows
SELECT indexes_are('zalo_tthc'::name, 'outbox'::name, ARRAY[
	'outbox_pkey', 'outbox_event_id_channel_kind_key', 'outbox_claim_idx', 'outbox_sending_idx',
	'outbox_sent_idx', 'outbox_provider_msg_idx', 'outbox_chat_key_idx', 'outbox_chat_open_idx']::name[],
	'the outbox has no index of open notifications by dossier');
SELECT triggers_are('zalo_tthc'::name, 'dossier'::name, ARRAY[
	'dossier_before_write', 'dossier_enqueue', 'dossier_deleted', 'dossier_truncated']::name[],
	'a stage change runs two row triggers (the receipt slip is taken by dossier_enqueue)');
SELECT trigger_is('zalo_tthc', 'dossier', 'dossier_deleted', 'zalo_tthc', 'dossier_deleted');
SELECT trigger_is('zalo_tthc', 'dossier_event', 'dossier_event_deleted', 'zalo_tthc', 'dossier_event_deleted');
SELECT trigger_is('zalo_tthc', 'recipient', 'recipient_deleted', 'zalo_tthc', 'recipient_deleted');
SELECT trigger_is('zalo_tthc', 'template', 'template_changed', 'zalo_tthc', 'stage_rules_changed');
SELECT col_is_pk('zalo_tthc'::name, 'stage_transition'::name, ARRAY['from_stage', 'to_stage']::name[], 'a transition is listed once');

SELECT trigger_is('zalo_tthc', 'dossier', 'dossier_before_write', 'zalo_tthc', 'dossier_before_write');
SELECT trigger_is('zalo_tthc', 'dossier', 'dossier_enqueue', 'zalo_tthc', 'dossier_enqueue');
SELECT trigger_is('zalo_tthc', 'dossier_event', 'dossier_event_append_only', 'zalo_tthc', 'forbid_event_change');
SELECT function_lang_is('zalo_tthc'::name, 'dossier_enqueue'::name, ARRAY[]::name[], 'c'::name, 'the enqueue trigger is written in C');
SELECT function_lang_is('zalo_tthc'::name, 'dossier_before_write'::name, ARRAY[]::name[], 'c'::name, 'the validation trigger is written in C');
SELECT has_function('zalo_tthc', 'set_oa_credentials',
	ARRAY['text', 'text', 'text', 'text', 'timestamp with time zone', 'text']);
SELECT has_function('zalo_tthc', 'normalize_phone', ARRAY['text']);
SELECT has_function('zalo_tthc', 'normalize_dossier_code', ARRAY['text']);
SELECT volatility_is('zalo_tthc', 'normalize_phone', ARRAY['text'], 'immutable');

SELECT is((SELECT count(*)::int FROM pg_class c
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		   WHERE n.nspname = 'zalo_tthc' AND c.relkind = 'r'
			 AND obj_description(c.oid, 'pg_class') IS NULL),
		  0, 'every table has a comment');

SELECT is(array_agg(c.relname || '.' || a.attname ORDER BY 1), NULL, 'every column has a comment')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'zalo_tthc' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND col_description(c.oid, a.attnum) IS NULL;

SELECT is((SELECT count(*)::int FROM pg_proc p
		   JOIN pg_namespace n ON n.oid = p.pronamespace
		   WHERE n.nspname = 'zalo_tthc' AND obj_description(p.oid, 'pg_proc') IS NULL
			 AND p.proname <> 'forbid_event_change'),
		  0, 'every function has a comment');

SELECT is((SELECT count(*)::int FROM zalo_tthc.stage_info WHERE label_vi !~ '[^[:ascii:]]'),
		  0, 'every stage label is Vietnamese');

SELECT * FROM finish();
ROLLBACK;
