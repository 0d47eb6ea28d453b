-- The allowed transitions are data: a DBA's change takes effect at the
-- next statement, without reconnecting.
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, stage)
VALUES ('000.00.04.H60-230701-0001', 'Cấp giấy phép xây dựng', 'Đặng Thị Hương', 'received');
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230701-0001';

-- not allowed by default
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230701-0001';

-- a DBA allows assigned -> signing (small procedures signed without appraisal)
INSERT INTO zalo_tthc.stage_transition VALUES ('assigned', 'signing');
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230701-0001';
SELECT stage, status_code FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230701-0001';

-- and takes it back: refused again
DELETE FROM zalo_tthc.stage_transition WHERE from_stage = 'assigned' AND to_stage = 'signing';
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, stage)
VALUES ('000.00.04.H60-230701-0002', 'Cấp giấy phép xây dựng', 'Đặng Thị Hương', 'received');
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230701-0002';
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230701-0002';

-- a stage that stops notifying is recorded as such
UPDATE zalo_tthc.stage_info SET notifies = false WHERE stage = 'appraising';
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-230701-0002';
UPDATE zalo_tthc.stage_info SET notifies = true WHERE stage = 'appraising';
SELECT e.stage_after, e.notify, count(o.id) AS outbox_rows
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230701-0002'
GROUP BY e.seq, e.stage_after, e.notify ORDER BY e.seq;

-- a change made in a transaction that rolls back leaves the rules as they were
BEGIN;
DELETE FROM zalo_tthc.stage_transition WHERE from_stage = 'appraising' AND to_stage = 'signing';
ROLLBACK;
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230701-0002';
SELECT stage FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230701-0002';

-- a stage whose row in stage_info is missing cannot be entered: the rules
-- are not configured (55000), the dossier broke no rule
BEGIN;
DELETE FROM zalo_tthc.stage_info WHERE stage = 'result_ready';
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-230701-0002';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
