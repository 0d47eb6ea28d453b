-- dossier_notifications(code): every stage change of a dossier, what it
-- did about the notification (notify) and each notification's status and
-- error; the code may be written as the citizen reads it.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-260706-0001', 'Đăng ký hộ kinh doanh', 'Mai Văn Tú', '0933000006');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-260706-0001';
UPDATE zalo_tthc.dossier SET stage = 'assigned', notify_zalo = false WHERE code = '000.00.04.H60-260706-0001';
UPDATE zalo_tthc.outbox o SET status = 'dead', attempts = 8, last_error = 'HTTP 503', last_error_code = NULL
FROM zalo_tthc.dossier d WHERE d.id = o.dossier_id AND d.code = '000.00.04.H60-260706-0001' AND o.stage = 'received';

SELECT seq, stage, notify, channel, kind, status, attempts, last_error
FROM zalo_tthc.dossier_notifications(' tthc 000.00.04.h60-260706-0001 ');
ROLLBACK;
