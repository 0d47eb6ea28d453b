-- attach() on an application's own dossier table: the mapping checked, the
-- rows already there recorded without notifying, each later change copied
-- into zalo_tthc.dossier and notified; bad data (a landline, a malformed
-- CCCD, a status with no mapping, a transition the model does not list, a
-- missing note) recorded as a problem while the application's write
-- commits; a rolled-back write leaves nothing; attach_steps(); detach().
\set VERBOSITY terse
CREATE SCHEMA motcua_test;
CREATE TABLE motcua_test.ho_so (
	id serial PRIMARY KEY,
	ma_ho_so varchar(50) NOT NULL UNIQUE,
	trang_thai_id integer NOT NULL,
	chu_ho_so varchar(200),
	so_giay_to varchar(20),
	so_dien_thoai varchar(30),
	ten_thu_tuc varchar(500),
	ngay_nop timestamp,
	ngay_hen_tra date,
	ghi_chu text,
	dia_chi text,
	ngay_sinh date
);
CREATE TABLE motcua_test.qua_trinh (ma_ho_so varchar(50), ma_buoc varchar(30), can_bo varchar(100), noi_dung text);
CREATE VIEW motcua_test.v_ho_so AS SELECT * FROM motcua_test.ho_so;
INSERT INTO motcua_test.ho_so (ma_ho_so, trang_thai_id, chu_ho_so, so_giay_to, so_dien_thoai, ten_thu_tuc,
	ngay_nop, ngay_hen_tra, dia_chi, ngay_sinh)
VALUES ('000.00.04.H60-261201-0001', 4, 'Nguyễn Văn Cũ', '001088001234', '0912 345 601', 'Cấp giấy phép xây dựng',
	'2026-12-01 08:00', '2026-12-20', 'Số 1 đường A', '1988-01-01');

-- the mapping is checked
SELECT zalo_tthc.attach('motcua_test.ho_so', '{"stage": "trang_thai_id"}', '{"1": "submitted"}');
SELECT zalo_tthc.attach('motcua_test.ho_so', '{"code": "ma_ho_so", "stage": "tinh_trang"}', '{"1": "submitted"}');
SELECT zalo_tthc.attach('motcua_test.ho_so', '{"code": "ma_ho_so", "stage": "trang_thai_id"}', '{"1": "nop"}');
SELECT zalo_tthc.attach('motcua_test.ho_so', '{"code": "ma_ho_so", "stage": "trang_thai_id", "address": "dia_chi"}', '{"1": "submitted"}');
SELECT zalo_tthc.attach('motcua_test.ho_so', '{"code": "ma_ho_so", "stage": "trang_thai_id", "due_at": "ghi_chu"}', '{"1": "submitted"}');
SELECT zalo_tthc.attach('motcua_test.v_ho_so', '{"code": "ma_ho_so", "stage": "trang_thai_id"}', '{"1": "submitted"}');
SELECT zalo_tthc.attach('zalo_tthc.dossier', '{"code": "code", "stage": "stage"}', '{"1": "submitted"}');
SELECT zalo_tthc.detach('motcua_test.ho_so');

-- attached: the row already there is recorded, nobody is notified
SELECT zalo_tthc.attach('motcua_test.ho_so',
	'{"code": "ma_ho_so", "stage": "trang_thai_id", "applicant_name": "chu_ho_so",
	  "applicant_id_number": "so_giay_to", "applicant_phone": "so_dien_thoai", "procedure_name": "ten_thu_tuc",
	  "submitted_at": "ngay_nop", "due_at": "ngay_hen_tra", "stage_note": "ghi_chu"}',
	'{"1": "submitted", "2": "received", "3": "rejected", "4": "assigned", "5": "supplement_requested",
	  "8": "returned", "9": "result_ready", "10": "result_returned"}');
SELECT zalo_tthc.attach('motcua_test.ho_so', '{"code": "ma_ho_so", "stage": "trang_thai_id"}', '{"1": "submitted"}');
SELECT d.code, d.stage, d.applicant_phone, d.applicant_id_number, d.applicant_address, d.applicant_birth_date,
	   d.source, e.notify, (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.dossier_id = d.id) AS notifications
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
WHERE d.code = '000.00.04.H60-261201-0001';

-- a new dossier and its changes are notified
INSERT INTO motcua_test.ho_so (ma_ho_so, trang_thai_id, chu_ho_so, so_giay_to, so_dien_thoai, ten_thu_tuc, ngay_nop, ngay_hen_tra)
VALUES ('000.00.04.H60-261202-0002', 1, 'Trần Thị Bình', '001190002345', '+84 912 345 602', 'Đăng ký khai sinh',
	'2026-12-02 09:00', '2026-12-10');
UPDATE motcua_test.ho_so SET trang_thai_id = 2 WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT e.seq, e.stage_after, e.notify, o.channel, o.status, d.applicant_phone
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id AND o.kind = 'stage'
WHERE d.code = '000.00.04.H60-261202-0002' ORDER BY e.seq;

-- bad data: the application's write commits, the problems are readable
INSERT INTO motcua_test.ho_so (ma_ho_so, trang_thai_id, chu_ho_so, so_giay_to, so_dien_thoai, ten_thu_tuc)
VALUES ('000.00.04.H60-261203-0003', 2, 'Lê Văn Cường', '12345', '024 3825 1234', NULL);
UPDATE motcua_test.ho_so SET trang_thai_id = 7 WHERE ma_ho_so = '000.00.04.H60-261203-0003';
-- received straight to result_ready: settled on the spot, not in the model
UPDATE motcua_test.ho_so SET trang_thai_id = 9 WHERE ma_ho_so = '000.00.04.H60-261203-0003';
-- rejected without a note
INSERT INTO motcua_test.ho_so (ma_ho_so, trang_thai_id, chu_ho_so, so_dien_thoai, ten_thu_tuc)
VALUES ('HS-2019-000123', 1, 'Phạm Thị Dung', '0987654321', 'Chứng thực bản sao');
UPDATE motcua_test.ho_so SET trang_thai_id = 3 WHERE ma_ho_so = 'HS-2019-000123';
SELECT ma_ho_so, trang_thai_id FROM motcua_test.ho_so ORDER BY id;
SELECT d.code, d.stage, d.code_standard, d.applicant_phone, d.applicant_id_number, d.procedure_name
FROM zalo_tthc.dossier d WHERE d.source IS NOT NULL ORDER BY d.id;
SELECT source, dossier_code, field, problem FROM zalo_tthc.attachment_problem ORDER BY id;
-- a bad value is reported when it is written, not again by the saves that
-- keep it (above: the landline and the short ID number of -0003, once);
-- another bad value is
SELECT max(id) AS problems_before FROM zalo_tthc.attachment_problem \gset
UPDATE motcua_test.ho_so SET so_dien_thoai = '028 3829 5555' WHERE ma_ho_so = '000.00.04.H60-261203-0003';
SELECT dossier_code, field, problem FROM zalo_tthc.attachment_problem WHERE id > :problems_before ORDER BY id;

-- a rolled-back application transaction leaves nothing
BEGIN;
INSERT INTO motcua_test.ho_so (ma_ho_so, trang_thai_id, chu_ho_so, ten_thu_tuc)
VALUES ('000.00.04.H60-261204-0004', 1, 'Hoàng Văn Em', 'Cấp đổi CCCD');
ROLLBACK;
SELECT count(*) AS after_rollback FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-261204-0004';

-- an update of columns zalo_tthc does not copy changes nothing there
SELECT count(*) AS events_before FROM zalo_tthc.dossier_event \gset
UPDATE motcua_test.ho_so SET dia_chi = 'Số 2 đường B' WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT count(*) - :events_before AS new_events FROM zalo_tthc.dossier_event;

-- the table of processing steps
SELECT zalo_tthc.attach_steps('motcua_test.qua_trinh', 'ma_ho_so', 'ma_buoc',
	'{"PHAN_CONG": "assigned", "THAM_DINH": "appraising", "TRINH_KY": "signing"}',
	'{"stage_note": "noi_dung", "stage_actor": "can_bo"}');
INSERT INTO motcua_test.qua_trinh VALUES
	('000.00.04.H60-261202-0002', 'PHAN_CONG', 'cv.tranlan', 'Giao chuyên viên Trần Lan'),
	('000.00.04.H60-261202-0002', 'THAM_DINH', 'cv.tranlan', NULL),
	('000.00.04.H60-261202-0002', 'LUU_TRU', 'vt.hoa', NULL),
	('000.00.04.H60-261231-9999', 'TRINH_KY', 'cv.tranlan', NULL);
SELECT e.seq, e.stage_after, e.actor, e.note
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
WHERE d.code = '000.00.04.H60-261202-0002' ORDER BY e.seq;
-- an edit of the dossier that keeps its status keeps the stage the steps
-- set: no move back, nothing sent
UPDATE motcua_test.ho_so SET so_dien_thoai = '0912 345 699' WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT d.stage, d.applicant_phone, (SELECT count(*) FROM zalo_tthc.dossier_event e WHERE e.dossier_id = d.id) AS events
FROM zalo_tthc.dossier d WHERE d.code = '000.00.04.H60-261202-0002';

SELECT source, kind, rows_seen, changes_notified, unmapped_values, latest_problem
FROM zalo_tthc.attachments ORDER BY source::text;

-- lookups find an attached dossier by the keyed hash of its CCCD, and by
-- name with the CCCD's last 4 digits
SELECT code FROM zalo_tthc.lookup('001190002345');
SELECT code, verified FROM zalo_tthc.lookup('Tran Thi Binh 2345');
SELECT applicant_id_number, applicant_id_key = zalo_tthc.lookup_key_hash('001190002345') AS keyed, applicant_id_last4
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-261202-0002';
-- a new CCCD in the application: lookups find the dossier by it, not by the old one
UPDATE motcua_test.ho_so SET so_giay_to = '001190009876' WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT code FROM zalo_tthc.lookup('001190009876');
SELECT count(*) AS by_old_cccd FROM zalo_tthc.lookup('001190002345');

-- detach: the trigger goes, what was recorded stays
SELECT zalo_tthc.detach('motcua_test.ho_so');
SELECT zalo_tthc.detach('motcua_test.qua_trinh');
SELECT zalo_tthc.detach('motcua_test.qua_trinh');
UPDATE motcua_test.ho_so SET trang_thai_id = 9 WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT d.stage, (SELECT count(*) FROM zalo_tthc.dossier_event e WHERE e.dossier_id = d.id) AS events
FROM zalo_tthc.dossier d WHERE d.code = '000.00.04.H60-261202-0002';
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid IN ('motcua_test.ho_so'::regclass, 'motcua_test.qua_trinh'::regclass);

-- the CCCD changed while detached, attached again without backfill: the
-- next save copies the new number's keyed hash
UPDATE motcua_test.ho_so SET so_giay_to = '001190004321' WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT zalo_tthc.attach('motcua_test.ho_so',
	'{"code": "ma_ho_so", "stage": "trang_thai_id", "applicant_name": "chu_ho_so",
	  "applicant_id_number": "so_giay_to", "applicant_phone": "so_dien_thoai", "procedure_name": "ten_thu_tuc"}',
	'{"1": "submitted", "2": "received", "9": "result_ready", "10": "result_returned"}', false);
UPDATE motcua_test.ho_so SET trang_thai_id = 10 WHERE ma_ho_so = '000.00.04.H60-261202-0002';
SELECT stage, applicant_id_key = zalo_tthc.lookup_key_hash('001190004321') AS keyed, applicant_id_last4
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-261202-0002';
SELECT zalo_tthc.detach('motcua_test.ho_so');

DROP SCHEMA motcua_test CASCADE;
