-- lookup() finds a dossier by its code however it is typed: exact,
-- lower case, with spaces, after the SMS keyword "TTHC"; lookup_by_code()
-- does the same explicitly.  An unknown code is an empty result.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
	channel, applicant_name, applicant_id_number, applicant_phone, organization_name,
	submitted_at, due_at)
VALUES ('000.00.91.H60-240301-0007', 'Cấp giấy phép xây dựng', 'Xây dựng', 'UBND huyện Yên Sơn',
	'Trung tâm PVHCC xã Mỹ Bằng', 2, 'Trịnh Thị Khánh Vân', '008190004321', '0912345678',
	'Công ty TNHH Khánh Vân', '2024-03-01 09:00+07', '2099-03-15 17:00+07'),
	('BHXH/2024/91007', 'Cấp sổ BHXH', 'Bảo hiểm xã hội', 'BHXH huyện Yên Sơn', NULL,
	3, 'Kiều Văn Thạch', NULL, NULL, NULL, '2024-03-01 09:00+07', '2024-03-05 17:00+07');

\x on
SELECT * FROM zalo_tthc.lookup('000.00.91.H60-240301-0007');
\x off

SELECT q, code, procedure_name, applicant_name, verified
FROM unnest(ARRAY['000.00.91.h60-240301-0007', '  000.00.91.H60 - 240301 - 0007  ',
	'TTHC 000.00.91.H60-240301-0007', 'tthc   000.00.91.h60-240301-0007',
	E'000.00.91.H60-240301-0007\n']) AS q,
	LATERAL zalo_tthc.lookup(q);

-- a non-standard code, and its overdue flag (due date passed, no result)
SELECT code, channel, procedure_name, applicant_name, receiving_unit, status_label, overdue
FROM zalo_tthc.lookup('bhxh/2024/91007');

SELECT code, stage_label FROM zalo_tthc.lookup_by_code('tthc 000.00.91.h60-240301-0007');

-- unknown codes
SELECT count(*) AS unknown_standard FROM zalo_tthc.lookup('000.00.91.H60-240301-9999');
SELECT count(*) AS unknown_other FROM zalo_tthc.lookup_by_code('XYZ-123456');
SELECT count(*) AS null_code FROM zalo_tthc.lookup_by_code(NULL);
ROLLBACK;
