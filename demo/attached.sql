-- The second way to use zalo_tthc, run by scripts/demo.sh after flow.sql: a
-- province whose one-stop application already has its own tables
-- (test/onestop: motcua.ho_so with integer status ids, and the table of
-- processing steps), attached with zalo_tthc.attach() and attach_steps().
-- The clerk works in the application as always; zalo_tthc notifies.
\set QUIET on
\pset footer off
\pset pager off

\echo
\echo '--- Hồ sơ 000.00.04.H60-250701-0001 (Nguyễn Văn An): the clerk saves it as "Được tiếp nhận" (status 2) in the application'
UPDATE motcua.ho_so SET trang_thai_id = 2, ngay_tiep_nhan = now(), ngay_cap_nhat = now()
WHERE ma_ho_so = '000.00.04.H60-250701-0001';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
\echo '--- and assigns it to an officer: a row of the application''s step table'
INSERT INTO motcua.qua_trinh_xu_ly (ma_ho_so, ma_buoc, can_bo_xu_ly, noi_dung)
VALUES ('000.00.04.H60-250701-0001', 'PHAN_CONG', 'cv.nguyenlan', 'Giao chuyên viên Nguyễn Lan thụ lý');
\! bash "$ZT_DEMO_DIR/show_messages.sh"

\echo '--- Hồ sơ 000.00.04.H60-250701-0008 (Ma Văn Sơn, a landline): the save commits; zalo_tthc says why nobody can be told'
UPDATE motcua.ho_so SET trang_thai_id = 4, ngay_cap_nhat = now() WHERE ma_ho_so = '000.00.04.H60-250701-0008';
\! bash "$ZT_DEMO_DIR/show_messages.sh"
SELECT dossier_code AS "hồ sơ", field, problem FROM zalo_tthc.attachment_problem
WHERE dossier_code = '000.00.04.H60-250701-0008' ORDER BY id;

\echo
\echo '--- zalo_tthc.attachments: what is attached, and what it has seen'
SELECT source, kind, rows_seen, changes_notified, unmapped_values FROM zalo_tthc.attachments ORDER BY source::text;
