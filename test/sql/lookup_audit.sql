-- Every lookup writes an audit row: who, when, which kind, whether a
-- second factor was given, how many dossiers came back, and a salted
-- SHA-256 of the normalised key (never the key in clear).  Rows older
-- than zalo_tthc.lookup_audit_retention are removed by
-- purge_lookup_audit().
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number, submitted_at, due_at)
VALUES ('000.00.98.H60-240301-0001', 'Đăng ký khai sinh', 'Khúc Thị Ngà', '024190008888', '2024-03-01 09:00+07', '2099-01-01');
SET LOCAL application_name = 'portal-session-42';
DELETE FROM zalo_tthc.lookup_audit;

SELECT count(*) FROM zalo_tthc.lookup('000.00.98.h60-240301-0001');
SELECT count(*) FROM zalo_tthc.lookup('024 190 008 888');
SELECT count(*) FROM zalo_tthc.lookup('KHÚC THỊ NGÀ');
SELECT count(*) FROM zalo_tthc.lookup_by_name('khuc thi nga', '8888');
SELECT count(*) FROM zalo_tthc.lookup('000.00.98.H60-240301-0002');
SELECT zalo_tthc.receipt('000.00.98.H60-240301-0001') IS NULL AS no_receipt_yet;

SELECT kind, role_name, application_name, second_factor, results,
	octet_length(key_hash) AS hash_bytes,
	looked_up_at = now() AS at_this_time
FROM zalo_tthc.lookup_audit ORDER BY id;

-- the same key gives the same hash however it was typed
SELECT count(DISTINCT key_hash) AS name_hashes FROM zalo_tthc.lookup_audit WHERE kind = 'name';
SELECT key_hash = zalo_tthc.lookup_key_hash('024190008888') AS id_hash_matches,
	key_hash <> sha256(convert_to('024190008888', 'UTF8')) AS salted
FROM zalo_tthc.lookup_audit WHERE kind = 'id_number';

-- nothing in the audit table holds a key in clear
SELECT count(*) AS rows_with_a_key_in_clear FROM zalo_tthc.lookup_audit a
WHERE a::text ~* '024190008888|khuc|ngà|000\.00\.98';

-- retention
SHOW zalo_tthc.lookup_audit_retention;
UPDATE zalo_tthc.lookup_audit SET looked_up_at = now() - interval '91 days' WHERE kind = 'code';
UPDATE zalo_tthc.lookup_audit SET looked_up_at = now() - interval '89 days' WHERE kind = 'id_number';
SELECT zalo_tthc.purge_lookup_audit() AS purged;
SELECT kind, count(*) FROM zalo_tthc.lookup_audit GROUP BY kind ORDER BY kind;
SET LOCAL zalo_tthc.lookup_audit_retention = '30d';
SELECT zalo_tthc.purge_lookup_audit() AS purged;
SET LOCAL zalo_tthc.lookup_audit_retention = 0;
UPDATE zalo_tthc.lookup_audit SET looked_up_at = now() - interval '10 years';
SELECT zalo_tthc.purge_lookup_audit() AS purged_when_kept_forever;
ROLLBACK;
