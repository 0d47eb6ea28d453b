-- The outbox is written in the transaction of the stage change: a
-- rolled-back change leaves nothing, a no-op update leaves nothing.
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230301-0001', 'Đăng ký kết hôn', 'Võ Thị Hạnh', '0901234567');

SELECT count(*) AS outbox_before FROM zalo_tthc.outbox o
JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-230301-0001';

-- rolled back: no event, no outbox row
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230301-0001';
SELECT count(*) AS outbox_inside FROM zalo_tthc.outbox o
JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-230301-0001';
ROLLBACK;

SELECT d.stage, d.stage_seq,
	   (SELECT count(*) FROM zalo_tthc.dossier_event e WHERE e.dossier_id = d.id) AS events,
	   (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.dossier_id = d.id) AS outbox_rows
FROM zalo_tthc.dossier d WHERE d.code = '000.00.04.H60-230301-0001';

-- rolled back to a savepoint: only the change that stayed is notified
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230301-0001';
SAVEPOINT s;
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230301-0001';
ROLLBACK TO SAVEPOINT s;
COMMIT;

SELECT e.seq, e.stage_after, o.stage AS notified_stage
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230301-0001' ORDER BY e.seq;

-- no-op updates: same stage, or other columns only
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230301-0001';
UPDATE zalo_tthc.dossier SET summary = 'Đăng ký kết hôn có yếu tố nước ngoài',
	due_at = now() + interval '20 days' WHERE code = '000.00.04.H60-230301-0001';
UPDATE zalo_tthc.dossier SET stage = stage WHERE code = '000.00.04.H60-230301-0001';

SELECT d.stage_seq,
	   (SELECT count(*) FROM zalo_tthc.dossier_event e WHERE e.dossier_id = d.id) AS events,
	   (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.dossier_id = d.id) AS outbox_rows
FROM zalo_tthc.dossier d WHERE d.code = '000.00.04.H60-230301-0001';

-- a failed statement in a transaction leaves nothing either
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230301-0001';
UPDATE zalo_tthc.dossier SET stage = 'submitted' WHERE code = '000.00.04.H60-230301-0001';
COMMIT;
SELECT d.stage, (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.dossier_id = d.id) AS outbox_rows
FROM zalo_tthc.dossier d WHERE d.code = '000.00.04.H60-230301-0001';

-- several dossiers in one statement: one row each
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
SELECT format('000.00.04.H60-230302-%s', lpad(i::text, 4, '0')), 'Cấp đổi giấy phép lái xe',
	   'Đỗ Văn Khánh', '0901234567'
FROM generate_series(1, 5) AS i;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-230302-%';
SELECT count(*) AS events, count(o.id) AS outbox_rows
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code LIKE '000.00.04.H60-230302-%';
