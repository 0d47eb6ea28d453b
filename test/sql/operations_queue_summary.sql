-- queue_summary: open notifications per status and channel (every pair,
-- zero when empty), the age of the oldest and the earliest next attempt;
-- final states are left to delivery_totals.
BEGIN;
DELETE FROM zalo_tthc.outbox;
SELECT status, channel, notifications, oldest_age IS NULL AS no_oldest FROM zalo_tthc.queue_summary;

INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
VALUES ('3000000000000000001', '+84933000001', 'Phan Văn Đức');
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
SELECT format('000.00.04.H60-260701-%s', lpad(i::text, 4, '0')), 'Đăng ký kết hôn', 'Phan Văn Đức',
	   CASE WHEN i <= 3 THEN '0933000001' ELSE '0933000099' END
FROM generate_series(1, 5) i;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-260701-%';
UPDATE zalo_tthc.outbox SET created_at = created_at - interval '2 hours' WHERE stage = 'received' AND channel = 'zns';
UPDATE zalo_tthc.outbox SET status = 'failed', next_attempt_at = now() + interval '10 minutes'
WHERE stage = 'received' AND channel = 'zalo_oa';
UPDATE zalo_tthc.outbox SET status = 'sent', sent_at = now() WHERE stage = 'submitted' AND channel = 'zalo_oa';

SELECT status, channel, notifications,
	   oldest_age > interval '1 hour' AS older_than_an_hour,
	   next_attempt_at > now() + interval '9 minutes' AS retry_in_about_10_min
FROM zalo_tthc.queue_summary;
-- the undeliverable and sent rows are not in the queue
SELECT status, count(*) FROM zalo_tthc.outbox GROUP BY status ORDER BY status;
ROLLBACK;
