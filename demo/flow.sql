-- The main job of `make demo`: dossiers move through their stages, and
-- every change enqueues the citizen's Zalo notification in the same
-- transaction.  Run by scripts/demo.sh with psql.
\set QUIET on
\pset footer off

CREATE TEMP VIEW last_notification AS
SELECT d.code, e.stage_after AS stage, s.label_vi AS "giai đoạn", e.notify,
	   o.channel, o.status, coalesce(r.display_name, '') AS "người nhận Zalo",
	   coalesce(o.last_error, '') AS reason
FROM zalo_tthc.dossier_event e
JOIN zalo_tthc.dossier d ON d.id = e.dossier_id
JOIN zalo_tthc.stage_info s ON s.stage = e.stage_after
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
LEFT JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
WHERE e.id = (SELECT max(id) FROM zalo_tthc.dossier_event);

\echo
\echo '--- Hồ sơ 0001 (Nguyễn Văn An, follower linked by phone): the whole flow'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0001';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'assigned', stage_actor = 'cv.tranlan' WHERE code = '000.00.04.H60-261124-0001';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-261124-0001';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-261124-0001';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-261124-0001';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'result_returned' WHERE code = '000.00.04.H60-261124-0001';
TABLE last_notification;

\echo
\echo '--- Hồ sơ 0002 (Trần Thị Bình, follower linked by CCCD): a supplement is requested'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0002';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung bản sao giấy chứng sinh',
	supplement_due_at = now() + interval '5 days' WHERE code = '000.00.04.H60-261124-0002';
TABLE last_notification;
UPDATE zalo_tthc.dossier SET stage = 'supplement_submitted' WHERE code = '000.00.04.H60-261124-0002';
TABLE last_notification;

\echo
\echo '--- Hồ sơ 0003 (Phạm Thị Dung, not a follower): ZNS by phone where the stage has a ZNS template'
UPDATE zalo_tthc.dossier SET stage = 'rejected', stage_note = 'Hồ sơ thuộc thẩm quyền Sở Tư pháp tỉnh khác'
WHERE code = '000.00.04.H60-261124-0003';
TABLE last_notification;

\echo
\echo '--- Hồ sơ 0004 (Lê Hoàng Cường): late, the agency apologises with a new date'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0004';
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-261124-0004';
UPDATE zalo_tthc.dossier SET stage = 'overdue_apology', due_at = due_at + interval '7 days',
	stage_note = 'Chờ kết quả đo đạc thửa đất' WHERE code = '000.00.04.H60-261124-0004';
TABLE last_notification;

\echo
\echo '--- Hồ sơ 0005 (Đặng Thị Hương, no Zalo, no phone): returned, and why nobody could be told'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0005';
UPDATE zalo_tthc.dossier SET stage = 'returned', stage_note = 'Công dân đề nghị dừng giải quyết'
WHERE code = '000.00.04.H60-261124-0005';
TABLE last_notification;

\echo
\echo '--- A refused change: a returned result cannot go back to appraisal'
\set ON_ERROR_STOP off
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-261124-0001';
\set ON_ERROR_STOP on

\echo
\echo '--- Summary: notifications by channel and status'
SELECT channel, status, count(*) AS notifications
FROM zalo_tthc.outbox GROUP BY channel, status ORDER BY channel, status;

\echo '--- Summary: dossiers'
SELECT d.code, s.label_vi AS "giai đoạn hiện tại", d.status_code AS "trạng thái",
	   count(e.id) AS events, count(o.id) AS notifications
FROM zalo_tthc.dossier d
JOIN zalo_tthc.stage_info s ON s.stage = d.stage
LEFT JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
GROUP BY d.code, s.label_vi, d.status_code ORDER BY d.code;
