-- Values are stored in one normalised form, and the columns that follow
-- the stage (status code, stage timestamps, original due date) are kept in
-- step by the extension.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number,
	applicant_phone, representative_name)
VALUES (' tthc 000.00.04.h60-230601-0001 ', 'Cấp giấy phép xây dựng',
		E'  Nguye\u0302\u0303n   Thi\u0323  Thanh  Ma\u0302\u0303n ', '038 185 000 123',
		'+84 (98) 765-4321', 'Nguyễn  Văn  Quang');

SELECT code, code_standard, applicant_name, applicant_name = 'Nguyễn Thị Thanh Mẫn' AS nfc,
	   length(applicant_name) AS chars, applicant_id_number, applicant_phone,
	   representative_name, stage, status_code, stage_seq, stage_actor = current_user AS actor_ok
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230601-0001';

-- non-standard codes from sector systems are accepted and flagged
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name)
VALUES ('03706/2026/07906', 'Cấp sổ BHXH', 'Phan Văn Sơn'),
	   ('000.00.04.H60-230601-12345', 'Cấp sổ BHXH', 'Phan Văn Sơn');
SELECT code, code_standard FROM zalo_tthc.dossier
WHERE code IN ('03706/2026/07906', '000.00.04.H60-230601-12345') ORDER BY code;

-- the SQL helpers share the rules
SELECT zalo_tthc.normalize_dossier_code('TTHC  000.00.04.h60-230215-0028') AS code,
	   zalo_tthc.is_standard_dossier_code('000.00.04.H60-230215-0028') AS standard,
	   zalo_tthc.is_standard_dossier_code('000.00.04.H60-230230-0028') AS bad_date,
	   zalo_tthc.is_standard_dossier_code('03706/2026/07906') AS sector_code,
	   zalo_tthc.normalize_phone('84 912 345 678') AS phone,
	   zalo_tthc.normalize_id_number('001 099 012 345') AS cccd,
	   zalo_tthc.normalize_id_number('123456789') AS cmnd;

-- stage timestamps are stamped once, original_due_at survives an apology
UPDATE zalo_tthc.dossier SET stage = 'received', due_at = '2026-12-20 17:00+07'
WHERE code = '000.00.04.H60-230601-0001';
SELECT received_at IS NOT NULL AS received_stamped, due_at, original_due_at
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230601-0001';

UPDATE zalo_tthc.dossier SET stage = 'assigned', stage_note = 'Giao chuyên viên Lê Thu'
WHERE code = '000.00.04.H60-230601-0001';
UPDATE zalo_tthc.dossier SET stage = 'overdue_apology', due_at = '2026-12-27 17:00+07',
	stage_note = 'Chờ ý kiến của Sở Xây dựng'
WHERE code = '000.00.04.H60-230601-0001';
SELECT stage, status_code, due_at, original_due_at, stage_note
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230601-0001';
SELECT seq, stage_after, status_after, due_before, due_after, note
FROM zalo_tthc.dossier_event e
JOIN zalo_tthc.dossier d ON d.id = e.dossier_id
WHERE d.code = '000.00.04.H60-230601-0001' ORDER BY seq;

-- a note belongs to one change: the next change without a note has none
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-230601-0001';
SELECT stage_note IS NULL AS note_cleared FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230601-0001';
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230601-0001';
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-230601-0001';
UPDATE zalo_tthc.dossier SET stage = 'result_returned', stage_actor = 'cb_motcua_01'
WHERE code = '000.00.04.H60-230601-0001';
SELECT status_code, result_at IS NOT NULL AS result_stamped, returned_at IS NOT NULL AS returned_stamped,
	   stage_seq, updated_at >= created_at AS updated
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230601-0001';
SELECT seq, stage_after, actor = current_user AS by_session_user, actor
FROM zalo_tthc.dossier_event e
JOIN zalo_tthc.dossier d ON d.id = e.dossier_id
WHERE d.code = '000.00.04.H60-230601-0001' AND seq >= 6 ORDER BY seq;

-- code_standard describes the code and cannot be set by hand
UPDATE zalo_tthc.dossier SET code_standard = false WHERE code = '000.00.04.H60-230601-0001';
SELECT code_standard FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230601-0001';
ROLLBACK;
