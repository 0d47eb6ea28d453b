-- A row inserted into a shipped configuration table with the key of an
-- existing row replaces it (how pg_restore brings back edited templates
-- and stage rules, see README.md): no duplicate key error, no second row.
BEGIN;
INSERT INTO zalo_tthc.template (stage, header, body)
VALUES ('assigned', 'Tiêu đề mới', 'Nội dung mới');
SELECT stage, header, body, status_style FROM zalo_tthc.template WHERE stage = 'assigned';
SELECT count(*) AS templates FROM zalo_tthc.template;
INSERT INTO zalo_tthc.stage_transition VALUES ('submitted', 'received');
SELECT count(*) AS submitted_to_received FROM zalo_tthc.stage_transition
WHERE from_stage = 'submitted' AND to_stage = 'received';
ROLLBACK;
