-- Personal data is masked: the name keeps the family name and initials,
-- an ID number its last 4 digits, a phone its first and last 3 digits.
-- A lookup never returns the phone, e-mail, address, birth date or ID.
SELECT n, zalo_tthc.mask_name(n)
FROM unnest(ARRAY['Nguyễn Văn Đức', 'Nguyễn Thị Thanh Mẫn', '  Lê   Ánh ', 'Ánh', 'H''Hen Niê', '']) AS n;
-- white space other than spaces, decomposed (NFD) letters, NULL
SELECT replace(replace(n, E'\t', '<tab>'), E'\n', '<lf>') AS n, zalo_tthc.mask_name(n)
FROM unnest(ARRAY[E'\tNguyễn Văn', E'Nguyễn Văn\t', E'Nguyễn\t\tVăn\nĐức', normalize('Đặng Ẩn', NFD),
	'Nguyễn V. A.', ' ', NULL]) AS n;

SELECT i, zalo_tthc.mask_id_number(i)
FROM unnest(ARRAY['008090000123', '123456789', '001 190 012 345', '12']) AS i;

SELECT p, zalo_tthc.mask_phone(p)
FROM unnest(ARRAY['+84912345678', '0912345678', '84 912 345 678', '091.234.5678']) AS p;

SELECT zalo_tthc.mask_dossier_code('000.00.04.H60-230215-0028'), zalo_tthc.mask_dossier_code('BHXH/2024/91007');

BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number,
	applicant_phone, applicant_email, applicant_address, applicant_birth_date,
	representative_name, submitted_at, due_at)
VALUES ('000.00.95.H60-240301-0001', 'Cấp phiếu lý lịch tư pháp', 'Mạc Thị Huyền Trân', '079190054321',
	'0938123456', 'tran@example.vn', 'Số 5 đường Tân Trào, phường Minh Xuân', '1990-07-21',
	'Mạc Văn Tùng', '2024-03-01 09:00+07', '2099-01-01');

-- every lookup form, every column: nothing personal in clear
SELECT q, r.applicant_name,
	r::text ~ '079190054321|0938123456|938123456|tran@example|Tân Trào|1990|Huyền|Trân|Tùng' AS leaks
FROM unnest(ARRAY['000.00.95.H60-240301-0001', '079190054321', 'Mạc Thị Huyền Trân', 'huyen tran']) AS q,
	LATERAL zalo_tthc.lookup(q) AS r;
SELECT r::text ~ '079190054321|0938123456|1990|Huyền|Trân|Tùng' AS leaks_with_second_factor
FROM zalo_tthc.lookup_by_name('Mạc Thị Huyền Trân', '1990') AS r;

-- the result type has no column for them either
SELECT string_agg(attname, ', ' ORDER BY attnum) AS lookup_result_columns
FROM pg_attribute WHERE attrelid = 'zalo_tthc.lookup_result'::regclass AND attnum > 0;
ROLLBACK;
