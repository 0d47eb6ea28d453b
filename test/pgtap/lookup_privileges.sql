-- The portal role may call the lookup functions and nothing else: every
-- direct read of the dossiers, the receipt snapshots, the audit or its
-- salt is refused; the lookups run as their owner (SECURITY DEFINER with a
-- pinned search_path).  Operators read the audit and purge it.
BEGIN;
SELECT plan(33);

CREATE ROLE zt_tap_portal_app LOGIN IN ROLE zalo_tthc_portal;
CREATE ROLE zt_tap_operator_app LOGIN IN ROLE zalo_tthc_operator;
CREATE ROLE zt_tap_other NOLOGIN;
GRANT USAGE ON SCHEMA zalo_tthc TO zt_tap_other;

INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number, stage, due_at)
VALUES ('000.00.87.H60-240301-0001', 'Đăng ký khai sinh', 'Hứa Văn Quế', '008090001234', 'received', now() + interval '10 days');

-- the lookup functions: SECURITY DEFINER, pinned search_path, portal only
SELECT is_definer('zalo_tthc', f, args, f || ' is SECURITY DEFINER')
FROM (VALUES ('lookup', ARRAY['text']), ('lookup_by_code', ARRAY['text']),
	('lookup_by_id_number', ARRAY['text']), ('lookup_by_name', ARRAY['text', 'text']),
	('receipt', ARRAY['text'])) AS t(f, args);
SELECT is((SELECT count(*)::integer FROM pg_proc p
		   WHERE p.pronamespace = 'zalo_tthc'::regnamespace AND p.prosecdef
			 AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
	0, 'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');
SELECT function_privs_are('zalo_tthc', 'lookup', ARRAY['text'], 'zalo_tthc_portal', ARRAY['EXECUTE'],
	'the portal may call lookup');
SELECT function_privs_are('zalo_tthc', 'receipt', ARRAY['text'], 'zalo_tthc_portal', ARRAY['EXECUTE'],
	'the portal may call receipt');
SELECT function_privs_are('zalo_tthc', 'lookup', ARRAY['text'], 'public', ARRAY[]::text[],
	'PUBLIC may not call lookup');
SELECT function_privs_are('zalo_tthc', 'lookup_by_name', ARRAY['text', 'text'], 'public', ARRAY[]::text[],
	'PUBLIC may not call lookup_by_name');
SELECT function_privs_are('zalo_tthc', 'name_terms_query', ARRAY['text', 'boolean'], 'public', ARRAY[]::text[],
	'PUBLIC may not call name_terms_query');
-- the name index evaluates name_terms as whoever writes a dossier
SELECT function_privs_are('zalo_tthc', 'name_terms', ARRAY['text'], 'public', ARRAY['EXECUTE'],
	'PUBLIC may call name_terms (an index expression)');

SET SESSION AUTHORIZATION zt_tap_portal_app;
SELECT is((SELECT count(*)::integer FROM zalo_tthc.lookup('000.00.87.H60-240301-0001')), 1,
	'the portal finds a dossier by code');
SELECT is((SELECT applicant_name FROM zalo_tthc.lookup('008090001234')), 'Hứa V** Q**',
	'the portal finds a dossier by ID number, name masked');
SELECT is((SELECT count(*)::integer FROM zalo_tthc.lookup_by_name('hua van que')), 1,
	'the portal finds a dossier by name');
SELECT isnt(zalo_tthc.receipt('000.00.87.H60-240301-0001'), NULL, 'the portal reads a receipt');
SELECT is(zalo_tthc.mask_phone('+84912345678'), '091****678', 'the portal may use the masks');
SELECT throws_ok('SELECT * FROM zalo_tthc.dossier', '42501', NULL, 'the portal cannot read dossiers');
SELECT throws_ok('SELECT * FROM zalo_tthc.dossier_event', '42501', NULL, 'the portal cannot read the history');
SELECT throws_ok('SELECT * FROM zalo_tthc.receipt_snapshot', '42501', NULL, 'the portal cannot read receipt snapshots');
SELECT throws_ok('SELECT * FROM zalo_tthc.lookup_audit', '42501', NULL, 'the portal cannot read the audit');
SELECT throws_ok('SELECT * FROM zalo_tthc.lookup_secret', '42501', NULL, 'the portal cannot read the salt');
SELECT throws_ok('SELECT * FROM zalo_tthc.oa_credentials', '42501', NULL, 'the portal cannot read credentials');
SELECT throws_ok('DELETE FROM zalo_tthc.lookup_audit', '42501', NULL, 'the portal cannot erase the audit');
SELECT throws_ok('SELECT zalo_tthc.purge_lookup_audit()', '42501', NULL, 'the portal cannot purge the audit');
SELECT throws_ok($$SELECT * FROM zalo_tthc.lookup_present(ARRAY[1]::bigint[], true)$$, '42501', NULL,
	'the portal cannot call the internal presenter');
SELECT throws_ok($$SELECT zalo_tthc.lookup_key_hash('008090001234')$$, '42501', NULL,
	'the portal cannot compute audit hashes');
SELECT throws_ok('SET zalo_tthc.lookup_max_results = 100', '42501', NULL, 'the portal cannot raise the cap');
RESET SESSION AUTHORIZATION;

SET LOCAL ROLE zt_tap_operator_app;
SELECT ok((SELECT count(*) FROM zalo_tthc.lookup_audit) >= 4, 'operators read the audit');
SELECT lives_ok('SELECT zalo_tthc.purge_lookup_audit()', 'operators purge the audit');
SELECT throws_ok($$SELECT * FROM zalo_tthc.lookup('000.00.87.H60-240301-0001')$$, '42501', NULL,
	'operators do not look dossiers up');
RESET ROLE;

SET LOCAL ROLE zt_tap_other;
SELECT throws_ok($$SELECT * FROM zalo_tthc.lookup('000.00.87.H60-240301-0001')$$, '42501', NULL,
	'an ordinary role cannot look dossiers up');
RESET ROLE;

SELECT is((SELECT role_name::text FROM zalo_tthc.lookup_audit WHERE kind = 'id_number' ORDER BY id DESC LIMIT 1),
	'zt_tap_portal_app', 'the audit names the login role, not the function owner');

SELECT * FROM finish();
ROLLBACK;
