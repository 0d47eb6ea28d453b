-- retry_dead() queues every dead notification again, or only those of a
-- stage, channel, error code or creation time; undeliverable ones only
-- when asked.  It returns the count and logs its filters.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
SELECT format('000.00.04.H60-260703-%s', lpad(i::text, 4, '0')), 'Cấp đổi CCCD', 'Đỗ Văn Nam', '0933000003'
FROM generate_series(1, 4) i;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-260703-%';
UPDATE zalo_tthc.outbox o SET status = 'dead', last_error_code = CASE WHEN d.code LIKE '%1' THEN -124 ELSE -500 END
FROM zalo_tthc.dossier d
WHERE d.id = o.dossier_id AND d.code LIKE '000.00.04.H60-260703-%' AND o.stage = 'received';

SELECT o.stage, o.channel, o.status, count(*)
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code LIKE '000.00.04.H60-260703-%' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

SELECT zalo_tthc.retry_dead(stage => 'submitted') AS other_stage;
SELECT zalo_tthc.retry_dead(channel => 'zalo_oa') AS other_channel;
SELECT zalo_tthc.retry_dead(error_code => -124) AS one_error_code;
SELECT zalo_tthc.retry_dead(since => now() + interval '1 day') AS created_later;
SELECT zalo_tthc.retry_dead(stage => 'received', channel => 'zns') AS the_rest;
SELECT zalo_tthc.retry_dead(since => now(), include_undeliverable => true) AS undeliverable_too;

SELECT o.stage, o.status, o.attempts, count(*)
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code LIKE '000.00.04.H60-260703-%' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT action, rows_affected, details - 'since' AS details_but_since, details ? 'since' AS since
FROM zalo_tthc.operator_log WHERE action = 'retry_dead' ORDER BY id;
ROLLBACK;
