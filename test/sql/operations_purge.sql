-- purge(older_than) deletes old notifications in a final state and old
-- delivery attempts; dead and undeliverable ones only with include_dead;
-- open ones (pending, sending, failed) never.
BEGIN;
DELETE FROM zalo_tthc.outbox;
DELETE FROM zalo_tthc.delivery_attempt;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
SELECT format('000.00.04.H60-260704-%s', lpad(i::text, 4, '0')), 'Cấp phiếu lý lịch tư pháp', 'Vũ Thị Lan', '0933000004'
FROM generate_series(1, 7) i;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-260704-%';
-- one received notification per status, all a year old
UPDATE zalo_tthc.outbox o SET created_at = now() - interval '1 year',
	status = (ARRAY['pending', 'sending', 'failed', 'sent', 'seen', 'dead', 'undeliverable'])[right(d.code, 1)::int]::zalo_tthc.delivery_status
FROM zalo_tthc.dossier d WHERE d.id = o.dossier_id AND o.stage = 'received';
DELETE FROM zalo_tthc.outbox WHERE stage = 'submitted';
INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at, outcome)
VALUES (1, 1, 'zns', now() - interval '1 year', 'ok'), (2, 1, 'zns', now() - interval '1 day', 'ok');

SELECT * FROM zalo_tthc.purge('90 days');
SELECT status FROM zalo_tthc.outbox ORDER BY status;
SELECT * FROM zalo_tthc.purge('90 days', include_dead => true);
SELECT status FROM zalo_tthc.outbox ORDER BY status;
SELECT count(*) AS attempts_left FROM zalo_tthc.delivery_attempt;
SELECT action, rows_affected, details FROM zalo_tthc.operator_log WHERE action = 'purge' ORDER BY id;
SELECT * FROM zalo_tthc.purge('-1 day');
ROLLBACK;
