-- Nobody but the owner reads the OA credentials; ordinary roles get no
-- access to the extension's tables by default.
BEGIN;
SELECT plan(12);

CREATE ROLE zt_tap_nobody NOLOGIN;
GRANT USAGE ON SCHEMA zalo_tthc TO zt_tap_nobody;

SELECT set_oa_credentials_done FROM (
	SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_1', 'RT_1',
		now() + interval '25 hours', 'OA_KEY') IS NULL AS set_oa_credentials_done) s;

SELECT table_privs_are('zalo_tthc', 'oa_credentials', 'public', ARRAY[]::text[],
	'PUBLIC has no privilege on oa_credentials');
SELECT table_privs_are('zalo_tthc', 'oa_credentials', 'zt_tap_nobody', ARRAY[]::text[],
	'an ordinary role has no privilege on oa_credentials');
SELECT function_privs_are('zalo_tthc', 'set_oa_credentials',
	ARRAY['text', 'text', 'text', 'text', 'timestamp with time zone', 'text'],
	'zt_tap_nobody', ARRAY[]::text[], 'an ordinary role cannot call set_oa_credentials');
SELECT table_privs_are('zalo_tthc', 'outbox', 'zt_tap_nobody', ARRAY[]::text[],
	'an ordinary role has no privilege on outbox');
SELECT table_privs_are('zalo_tthc', 'dossier', 'zt_tap_nobody', ARRAY[]::text[],
	'an ordinary role has no privilege on dossier');

SET LOCAL ROLE zt_tap_nobody;
SELECT throws_ok('SELECT access_token FROM zalo_tthc.oa_credentials', '42501', NULL,
	'reading credentials is refused');
SELECT throws_ok($$SELECT zalo_tthc.set_oa_credentials('1', 'x', 'x', 'x', now(), 'x')$$, '42501', NULL,
	'replacing credentials is refused');
SELECT throws_ok('SELECT applicant_phone FROM zalo_tthc.dossier', '42501', NULL,
	'reading dossiers is refused');
SELECT throws_ok('SELECT * FROM zalo_tthc.recipient', '42501', NULL,
	'reading recipients is refused');
SELECT lives_ok($$SELECT zalo_tthc.normalize_phone('0912345678')$$,
	'the validation helpers are open to all');
RESET ROLE;

SELECT is((SELECT access_token FROM zalo_tthc.oa_credentials), 'AT_1', 'the owner reads the credentials');
SELECT is((SELECT reauthorization_required FROM zalo_tthc.oa_credentials), false,
	'storing credentials clears reauthorization_required');

SELECT * FROM finish();
ROLLBACK;
