-- A change that fires the enqueue trigger twice, or is replayed, never
-- creates a second event or notification: the event is unique per
-- (dossier, stage_seq) and the outbox row per idempotency key.
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230401-0001', 'Cấp giấy chứng nhận quyền sử dụng đất', 'Bùi Văn Long', '0977123456');

-- the same trigger function attached a second time fires twice per change
CREATE TRIGGER dossier_enqueue_again
	AFTER INSERT OR UPDATE OF stage ON zalo_tthc.dossier
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.dossier_enqueue();

UPDATE zalo_tthc.dossier SET stage = 'rejected', stage_note = 'Sai thẩm quyền'
WHERE code = '000.00.04.H60-230401-0001';
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230401-0002', 'Cấp giấy chứng nhận quyền sử dụng đất', 'Bùi Văn Long', '0977123456');

DROP TRIGGER dossier_enqueue_again ON zalo_tthc.dossier;

SELECT d.code, e.seq, e.stage_after, count(o.id) AS outbox_rows
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code LIKE '000.00.04.H60-230401-%'
GROUP BY d.code, e.seq, e.stage_after
ORDER BY d.code, e.seq;

-- replaying the recorded change by hand is refused by the keys
INSERT INTO zalo_tthc.dossier_event (dossier_id, seq, stage_before, stage_after,
	status_before, status_after, actor, notify)
SELECT dossier_id, seq, stage_before, stage_after, status_before, status_after, actor, notify
FROM zalo_tthc.dossier_event e
WHERE e.dossier_id = (SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230401-0001')
  AND e.seq = 2
ON CONFLICT (dossier_id, seq) DO NOTHING;

\set VERBOSITY terse
INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, idempotency_key)
SELECT event_id, dossier_id, stage, channel, idempotency_key
FROM zalo_tthc.outbox
WHERE dossier_id = (SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230401-0001');
-- another key text does not make it another notification
INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, idempotency_key)
SELECT event_id, dossier_id, stage, channel, idempotency_key || '-again'
FROM zalo_tthc.outbox
WHERE dossier_id = (SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230401-0001');
\set VERBOSITY default

SELECT count(*) AS outbox_rows FROM zalo_tthc.outbox
WHERE dossier_id = (SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230401-0001');

-- stage_seq cannot be set by hand to collide with an earlier change
UPDATE zalo_tthc.dossier SET stage_seq = 1 WHERE code = '000.00.04.H60-230401-0001';
SELECT stage_seq FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230401-0001';

-- the same stage entered again later is a new change with its own key
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, stage)
VALUES ('000.00.04.H60-230401-0003', 'Đăng ký thường trú', 'Bùi Văn Long', '0977123456', 'received');
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung sổ hộ khẩu'
WHERE code = '000.00.04.H60-230401-0003';
UPDATE zalo_tthc.dossier SET stage = 'supplement_submitted' WHERE code = '000.00.04.H60-230401-0003';
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung giấy xác nhận'
WHERE code = '000.00.04.H60-230401-0003';
SELECT e.seq, e.stage_after, regexp_replace(o.idempotency_key, '^[0-9]+', 'ID') AS key
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230401-0003'
ORDER BY e.seq;
