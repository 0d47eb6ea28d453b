-- The main job of `make demo`: dossiers move through their stages, every
-- change enqueues the citizen's Zalo notification in the same transaction,
-- and the delivery worker sends it to the mock Zalo API.  Run by
-- scripts/demo.sh with psql; after each change, demo/show_messages.sh waits
-- for the worker and shows what the citizen received.
\set QUIET on
\pset footer off
\pset pager off

\echo
\echo '--- Hồ sơ 0001 (Nguyễn Văn An, follower linked by phone): the whole flow, with the receipt PDF'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'assigned', stage_actor = 'cv.tranlan' WHERE code = '000.00.04.H60-261124-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-261124-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-261124-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-261124-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'result_returned' WHERE code = '000.00.04.H60-261124-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"

\echo '--- Hồ sơ 0002 (Trần Thị Bình, follower linked by CCCD): a supplement is requested'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0002';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung bản sao giấy chứng sinh',
	supplement_due_at = now() + interval '5 days' WHERE code = '000.00.04.H60-261124-0002';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'supplement_submitted' WHERE code = '000.00.04.H60-261124-0002';
\! bash "$ZT_DEMO_DIR/show_messages.sh"

\echo '--- Hồ sơ 0003 (Phạm Thị Dung, not a follower): the same ZBS template by phone, for a stage sent by phone'
UPDATE zalo_tthc.dossier SET stage = 'rejected', stage_note = 'Hồ sơ thuộc thẩm quyền Sở Tư pháp tỉnh khác'
WHERE code = '000.00.04.H60-261124-0003';
\! bash "$ZT_DEMO_DIR/show_messages.sh"

\echo '--- Hồ sơ 0004 (Lê Hoàng Cường): late, the agency apologises with a new date'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0004';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-261124-0004';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'overdue_apology', due_at = due_at + interval '7 days',
	stage_note = 'Chờ kết quả đo đạc thửa đất' WHERE code = '000.00.04.H60-261124-0004';
\! bash "$ZT_DEMO_DIR/show_messages.sh"

\echo '--- Hồ sơ 0005 (Đặng Thị Hương, no Zalo, no phone): returned, and why nobody could be told'
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261124-0005';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
UPDATE zalo_tthc.dossier SET stage = 'returned', stage_note = 'Công dân đề nghị dừng giải quyết'
WHERE code = '000.00.04.H60-261124-0005';
\! bash "$ZT_DEMO_DIR/show_messages.sh"

\echo '--- A refused change: a returned result cannot go back to appraisal'
\set ON_ERROR_STOP off
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-261124-0001';
\set ON_ERROR_STOP on
\echo
