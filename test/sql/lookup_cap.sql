-- A lookup returns at most zalo_tthc.lookup_max_results dossiers (default
-- 10), newest first; only a superuser may change the cap.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number, submitted_at, due_at)
SELECT format('000.00.96.H60-2403%s-00%s', lpad(i::text, 2, '0'), lpad(i::text, 2, '0')), 'Chứng thực bản sao',
	'Âu Dương Phong', '038090077777', timestamptz '2024-03-01 09:00+07' + (i - 1) * interval '1 day', '2099-01-01'
FROM generate_series(1, 15) AS i;

SHOW zalo_tthc.lookup_max_results;
SELECT count(*) AS by_name, min(code), max(code) FROM zalo_tthc.lookup('Âu Dương Phong');
SELECT count(*) AS by_part_of_name FROM zalo_tthc.lookup('duong phong');
SELECT count(*) AS by_id_number, min(code), max(code) FROM zalo_tthc.lookup('038090077777');

SET zalo_tthc.lookup_max_results = 3;
SELECT code FROM zalo_tthc.lookup('038090077777');
SELECT count(*) AS by_name FROM zalo_tthc.lookup('Âu Dương Phong');
RESET zalo_tthc.lookup_max_results;
ROLLBACK;

-- an ordinary role cannot raise it
CREATE ROLE zt_regress_cap NOLOGIN;
SET ROLE zt_regress_cap;
SET zalo_tthc.lookup_max_results = 100;
RESET ROLE;
DROP ROLE zt_regress_cap;
