-- metrics(): every family has HELP and TYPE lines, queue depth for every
-- open status and channel, and the outcome totals the worker keeps.
-- (The live worker's values and a real Prometheus parser: test/t/022.)
BEGIN;
DELETE FROM zalo_tthc.outbox;
DELETE FROM zalo_tthc.delivery_total;
INSERT INTO zalo_tthc.delivery_total (stage, channel, status, notifications)
VALUES ('received', 'zalo_oa', 'sent', 41), ('received', 'zns', 'dead', 2);
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-260705-0001', 'Đăng ký khai tử', 'Ngô Văn Bình', '0933000005');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-260705-0001';

SELECT line FROM regexp_split_to_table(zalo_tthc.metrics(), E'\n') AS line
WHERE line ~ '^# TYPE|^zalo_tthc_(queue_depth|notifications_total)';
SELECT right(zalo_tthc.metrics(), 1) = E'\n' AS ends_with_newline;
ROLLBACK;
