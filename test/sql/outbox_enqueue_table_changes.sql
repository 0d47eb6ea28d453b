-- The enqueue trigger prepares the CHECK constraints and indexes of
-- dossier_event and outbox once per session.  A DBA's change to those
-- tables applies from the next stage change of the same session.
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed_at)
VALUES ('5791781158519420255', '+84935111222', 'Lý Thị Ngọc', now());
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230801-0001', 'Đăng ký kết hôn', 'Lý Thị Ngọc', '0935111222');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230801-0001';

-- a CHECK constraint added now is enforced at the next change
ALTER TABLE zalo_tthc.outbox ADD CONSTRAINT outbox_no_assigned
	CHECK (stage IS DISTINCT FROM 'assigned') NOT VALID;
\set VERBOSITY terse
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230801-0001';
\set VERBOSITY default
ALTER TABLE zalo_tthc.outbox DROP CONSTRAINT outbox_no_assigned;
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230801-0001';

-- indexes created now (plain, partial, on an expression, concurrently)
-- receive the next rows
CREATE INDEX event_note_test_idx ON zalo_tthc.dossier_event (note);
CREATE INDEX outbox_assigned_test_idx ON zalo_tthc.outbox (dossier_id) WHERE stage = 'appraising';
CREATE INDEX outbox_key_test_idx ON zalo_tthc.outbox (upper(idempotency_key));
CREATE INDEX CONCURRENTLY event_actor_test_idx ON zalo_tthc.dossier_event (actor, seq);
UPDATE zalo_tthc.dossier SET stage = 'appraising', stage_actor = 'thamdinh.test@tthc'
WHERE code = '000.00.04.H60-230801-0001';
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung giấy xác nhận tình trạng hôn nhân'
WHERE code = '000.00.04.H60-230801-0001';

-- each index finds the rows written after it was created
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT e.seq FROM zalo_tthc.dossier_event e
WHERE e.note = 'Bổ sung giấy xác nhận tình trạng hôn nhân';
SELECT e.seq, e.stage_after FROM zalo_tthc.dossier_event e
WHERE e.note = 'Bổ sung giấy xác nhận tình trạng hôn nhân';
EXPLAIN (COSTS OFF) SELECT o.channel FROM zalo_tthc.outbox o
WHERE o.stage = 'appraising' AND o.dossier_id = 42;
SELECT o.channel, o.status FROM zalo_tthc.outbox o
WHERE o.stage = 'appraising'
  AND o.dossier_id = (SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230801-0001');
EXPLAIN (COSTS OFF) SELECT o.channel FROM zalo_tthc.outbox o WHERE upper(o.idempotency_key) = 'X';
SELECT regexp_replace(o.idempotency_key, '^[0-9]+', 'ID') AS key FROM zalo_tthc.outbox o
WHERE upper(o.idempotency_key) = (SELECT d.id || '-5-OA' FROM zalo_tthc.dossier d
								  WHERE d.code = '000.00.04.H60-230801-0001');
EXPLAIN (COSTS OFF) SELECT e.stage_after FROM zalo_tthc.dossier_event e
WHERE e.actor = 'thamdinh.test@tthc' AND e.seq = 4;
SELECT e.stage_after FROM zalo_tthc.dossier_event e
WHERE e.actor = 'thamdinh.test@tthc' AND e.seq = 4;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- dropping them is seen too
DROP INDEX zalo_tthc.event_note_test_idx;
DROP INDEX zalo_tthc.outbox_assigned_test_idx;
DROP INDEX zalo_tthc.outbox_key_test_idx;
DROP INDEX CONCURRENTLY zalo_tthc.event_actor_test_idx;
UPDATE zalo_tthc.dossier SET stage = 'supplement_submitted' WHERE code = '000.00.04.H60-230801-0001';
SELECT e.seq, e.stage_after, o.channel, o.status
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230801-0001'
ORDER BY e.seq;

-- a repeated (dossier, stage_seq) that does not come from a second trigger
-- is refused by the event's key, never recorded twice: here the trigger
-- that numbers the changes is switched off by hand
ALTER TABLE zalo_tthc.dossier DISABLE TRIGGER dossier_before_write;
\set VERBOSITY terse
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-230801-0001';
\set VERBOSITY default
ALTER TABLE zalo_tthc.dossier ENABLE TRIGGER dossier_before_write;
SELECT count(*) AS events, max(e.seq) AS last_seq
FROM zalo_tthc.dossier_event e
WHERE e.dossier_id = (SELECT id FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230801-0001');

DELETE FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230801-0001';
DELETE FROM zalo_tthc.recipient WHERE zalo_user_id = '5791781158519420255';
