-- lookup() finds the dossiers of a 12-digit CCCD or 9-digit CMND number,
-- typed with or without spaces, newest first; lookup_by_id_number() does
-- the same explicitly.  The number itself is never returned.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number,
	applicant_phone, submitted_at, due_at)
VALUES ('000.00.92.H60-240301-0001', 'Đăng ký khai sinh', 'Lương Thị Diệu Linh', '001190012345', '0987000111',
	'2024-03-01 09:00+07', '2099-03-15 17:00+07'),
	('000.00.92.H60-240405-0002', 'Đăng ký kết hôn', 'Lương Thị Diệu Linh', '001190012345', '0987000111',
	'2024-04-05 09:00+07', '2099-04-20 17:00+07'),
	('000.00.92.H60-240301-0003', 'Cấp phiếu lý lịch tư pháp', 'Tạ Văn Lộc', '123456782', NULL,
	'2024-03-01 10:00+07', '2099-03-15 17:00+07');

SELECT q, code, procedure_name, applicant_name, status_label, verified
FROM unnest(ARRAY['001190012345', '001 190 012 345', ' 001190012345 ']) AS q,
	LATERAL zalo_tthc.lookup(q);

-- CMND (9 digits)
SELECT code, procedure_name, applicant_name FROM zalo_tthc.lookup('123 456 782');
SELECT code, procedure_name, applicant_name FROM zalo_tthc.lookup_by_id_number('123456782');

-- no dossier for that number
SELECT count(*) AS unknown FROM zalo_tthc.lookup('001190099999');

-- no column of the result holds the number, the phone or the birth date
SELECT bool_and(r::text !~ '001190012345|0987000111|987000111') AS nothing_personal
FROM zalo_tthc.lookup('001190012345') AS r;
ROLLBACK;
