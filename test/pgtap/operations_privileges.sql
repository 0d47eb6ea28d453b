-- The operations surface belongs to zalo_tthc_operator: the portal role and
-- PUBLIC can neither see the queue nor act on it, the operator reaches the
-- queue only through the views and functions (no personal data, no
-- credentials), and the functions that cross privilege lines are SECURITY
-- DEFINER with a fixed search_path.
BEGIN;
SELECT plan(36);

CREATE ROLE zt_tap_operator NOLOGIN IN ROLE zalo_tthc_operator;
CREATE ROLE zt_tap_portal NOLOGIN IN ROLE zalo_tthc_portal;
CREATE ROLE zt_tap_public NOLOGIN;
GRANT USAGE ON SCHEMA zalo_tthc TO zt_tap_public;

-- a dead notification to retry
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-260710-0001', 'Cấp giấy phép lái xe', 'Trần Văn Long', '0933000010');
UPDATE zalo_tthc.outbox SET status = 'dead' WHERE dossier_id =
	(SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-260710-0001');
CREATE TEMP TABLE dead_id AS SELECT max(o.id) AS id FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d
	ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-260710-0001';
GRANT SELECT ON dead_id TO PUBLIC;

-- what the catalogue says
SELECT function_privs_are('zalo_tthc', f, args, 'public', ARRAY[]::text[], 'PUBLIC cannot execute ' || f)
FROM (VALUES ('worker_status', ARRAY[]::text[]), ('metrics', ARRAY[]::text[]),
			 ('retry', ARRAY['bigint']), ('pause', ARRAY['text']), ('resume', ARRAY[]::text[]),
			 ('purge', ARRAY['interval', 'boolean']),
			 ('retry_dead', ARRAY['zalo_tthc.stage', 'zalo_tthc.channel', 'timestamp with time zone', 'integer', 'boolean']),
			 ('dossier_notifications', ARRAY['text'])) AS f(f, args);
SELECT table_privs_are('zalo_tthc', v, 'zalo_tthc_operator', ARRAY['SELECT'], 'the operator reads ' || v)
FROM unnest(ARRAY['queue_summary', 'delivery_totals', 'operator_log']) v;
SELECT table_privs_are('zalo_tthc', 'oa_credentials', 'zalo_tthc_operator', ARRAY[]::text[],
	'the operator has no privilege on oa_credentials');
SELECT table_privs_are('zalo_tthc', 'queue_summary', 'zalo_tthc_portal', ARRAY[]::text[],
	'the portal has no privilege on queue_summary');
SELECT is(count(*), 0::bigint, 'every operations function that crosses privilege lines is SECURITY DEFINER with search_path = pg_catalog, pg_temp')
FROM pg_proc p
WHERE p.pronamespace = 'zalo_tthc'::regnamespace
  AND p.proname IN ('metrics', 'retry', 'retry_dead', 'pause', 'resume', 'purge', 'dossier_notifications')
  AND NOT (p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']);

-- the operator
SET LOCAL ROLE zt_tap_operator;
SELECT lives_ok('SELECT * FROM zalo_tthc.queue_summary', 'operator: queue_summary');
SELECT lives_ok('SELECT * FROM zalo_tthc.delivery_totals', 'operator: delivery_totals');
SELECT lives_ok('SELECT * FROM zalo_tthc.worker_status()', 'operator: worker_status()');
SELECT lives_ok('SELECT zalo_tthc.metrics()', 'operator: metrics()');
SELECT lives_ok($$SELECT * FROM zalo_tthc.dossier_notifications('000.00.04.H60-260710-0001')$$,
	'operator: dossier_notifications()');
SELECT is(zalo_tthc.retry((SELECT id FROM dead_id)), 'pending'::zalo_tthc.delivery_status, 'operator: retry()');
SELECT lives_ok('SELECT zalo_tthc.retry_dead()', 'operator: retry_dead()');
SELECT lives_ok($$SELECT zalo_tthc.pause('tap')$$, 'operator: pause()');
SELECT lives_ok('SELECT zalo_tthc.resume()', 'operator: resume()');
SELECT lives_ok($$SELECT zalo_tthc.purge('10 years')$$, 'operator: purge()');
SELECT throws_ok('SELECT access_token FROM zalo_tthc.oa_credentials', '42501', NULL,
	'operator: the credentials stay with the owner');
SELECT throws_ok('SELECT applicant_phone FROM zalo_tthc.dossier', '42501', NULL,
	'operator: no personal data');
SELECT throws_ok($$INSERT INTO zalo_tthc.operator_log (action, rows_affected) VALUES ('retry', 0)$$, '42501', NULL,
	'operator: the log is written only by the functions');
SELECT throws_ok('UPDATE zalo_tthc.outbox SET attempts = 0', '42501', NULL,
	'operator: the queue is changed only by the functions');
RESET ROLE;
SELECT is((SELECT string_agg(action || ':' || actor, ',' ORDER BY id) FROM zalo_tthc.operator_log),
	'retry:' || session_user || ',retry_dead:' || session_user || ',pause:' || session_user || ',resume:'
	|| session_user || ',purge:' || session_user, 'each call was logged');

-- the portal and a role with nothing granted
SET LOCAL ROLE zt_tap_portal;
SELECT throws_ok('SELECT * FROM zalo_tthc.queue_summary', '42501', NULL, 'portal: no queue_summary');
SELECT throws_ok('SELECT zalo_tthc.metrics()', '42501', NULL, 'portal: no metrics()');
SELECT throws_ok('SELECT zalo_tthc.retry(1)', '42501', NULL, 'portal: no retry()');
SELECT throws_ok($$SELECT zalo_tthc.pause('x')$$, '42501', NULL, 'portal: no pause()');
RESET ROLE;
SET LOCAL ROLE zt_tap_public;
SELECT throws_ok('SELECT * FROM zalo_tthc.worker_status()', '42501', NULL, 'PUBLIC: no worker_status()');
SELECT throws_ok('SELECT zalo_tthc.retry_dead()', '42501', NULL, 'PUBLIC: no retry_dead()');
SELECT throws_ok($$SELECT zalo_tthc.purge('1 day')$$, '42501', NULL, 'PUBLIC: no purge()');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
