-- receipt(code) returns the receipt slip (Phiếu tiếp nhận) as taken when
-- the dossier entered the received stage: later edits of the dossier do
-- not change it.  The representative's name is masked; the current stage
-- is added apart.  No slip before the received stage.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
	applicant_name, representative_name, return_method, submitted_at, due_at)
VALUES ('000.00.99.H60-240301-0001', 'Cấp giấy phép xây dựng', 'Xây dựng', 'UBND huyện Yên Sơn',
	'Trung tâm PVHCC xã Mỹ Bằng', 'Công ty CP Sông Lô', 'Quan Văn Quyết', 1,
	'2024-03-01 09:00+07', '2099-03-15 17:00+07');
SET LOCAL timezone = 'UTC';

SELECT zalo_tthc.receipt('000.00.99.H60-240301-0001') AS before_received;

UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.99.H60-240301-0001';
SELECT count(*) AS snapshots FROM zalo_tthc.receipt_snapshot s
JOIN zalo_tthc.dossier d ON d.id = s.dossier_id WHERE d.code = '000.00.99.H60-240301-0001';

SELECT jsonb_pretty(zalo_tthc.receipt('000.00.99.H60-240301-0001') - 'ngay_tiep_nhan') AS slip;
SELECT zalo_tthc.receipt('000.00.99.H60-240301-0001')->>'ngay_tiep_nhan'
	= to_char(now() AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY') AS received_today;

-- later edits and stage changes leave the slip alone
UPDATE zalo_tthc.dossier
SET procedure_name = 'Cấp giấy phép sửa chữa nhà ở', representative_name = 'Lò Thị Mai',
	return_method = 2, due_at = '2099-04-30 17:00+07'
WHERE code = '000.00.99.H60-240301-0001';
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.99.H60-240301-0001';
SELECT r->>'ten_thu_tuc' AS ten_thu_tuc, r->>'nguoi_dai_dien' AS nguoi_dai_dien,
	r->>'hinh_thuc_tra_ket_qua' AS hinh_thuc_tra, r->>'ngay_hen_tra' AS ngay_hen_tra,
	r->>'trang_thai' AS trang_thai, r->>'trang_thai_hien_tai' AS trang_thai_hien_tai
FROM zalo_tthc.receipt('tthc 000.00.99.h60-240301-0001') AS r;

-- a dossier inserted directly at the received stage has its slip too
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, stage, submitted_at, due_at)
VALUES ('000.00.99.H60-240301-0002', 'Đăng ký thường trú', 'Nông Văn Dền', 'received', '2024-03-01 09:00+07', '2099-01-01');
SELECT r->>'so_bien_nhan' AS so_bien_nhan, r->>'nguoi_dai_dien' AS nguoi_dai_dien,
	r->>'ten_don_vi' AS ten_don_vi, r->>'hinh_thuc_tra_ket_qua' AS hinh_thuc_tra
FROM zalo_tthc.receipt('000.00.99.H60-240301-0002') AS r;

-- the slip does not depend on the notification: an imported dossier that
-- enters received, and one whose applicant opted out, have theirs
SET LOCAL zalo_tthc.bulk_import = on;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, stage, submitted_at, due_at)
VALUES ('000.00.99.H60-240301-0003', 'Đăng ký khai sinh', 'Vi Thị Hoa', 'submitted', '2024-03-01 09:00+07', '2099-01-01');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.99.H60-240301-0003';
RESET zalo_tthc.bulk_import;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, notify_zalo, submitted_at, due_at)
VALUES ('000.00.99.H60-240301-0004', 'Đăng ký kết hôn', 'Ma Văn Thắng', false, '2024-03-01 09:00+07', '2099-01-01');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.99.H60-240301-0004';
SELECT d.code, e.notify, s.event_seq = e.seq AS slip_of_the_event
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.stage_after = 'received'
LEFT JOIN zalo_tthc.receipt_snapshot s ON s.dossier_id = d.id
WHERE d.code IN ('000.00.99.H60-240301-0003', '000.00.99.H60-240301-0004')
ORDER BY d.code;

-- unknown code: NULL; malformed code: an error
SELECT zalo_tthc.receipt('000.00.99.H60-240301-9999') AS unknown;
SELECT zalo_tthc.receipt('000.00.99.H60-240231-0001');
ROLLBACK;
