-- A name alone is enumerable, so a name search without a second factor
-- hides the procedure (it can reveal sensitive facts) and the end of the
-- code (which would serve as the second factor).  With a second factor
-- that matches (the dossier code, the birth year, or the last 4 digits of
-- the CCCD/CMND or phone) only the matching dossiers are returned, in full.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number,
	applicant_phone, applicant_birth_date, submitted_at, due_at)
VALUES ('000.00.97.H60-240301-0001', 'Cấp phiếu lý lịch tư pháp', 'Ninh Văn Hiển', '026085001122',
	'0912000333', '1985-02-01', '2024-03-01 09:00+07', '2099-01-01'),
	('000.00.97.H60-240302-0002', 'Đăng ký kết hôn', 'Ninh Văn Hiển', '026092004455',
	'0977000666', '1992-11-30', '2024-03-02 09:00+07', '2099-01-01');

-- name only
SELECT code, procedure_name, applicant_name, verified FROM zalo_tthc.lookup('Ninh Văn Hiển');
SELECT code, procedure_name, verified FROM zalo_tthc.lookup_by_name('ninh hien');

-- each kind of second factor
SELECT f AS second_factor, r.code, r.procedure_name, r.verified
FROM unnest(ARRAY['1985', '1122', '0333', '000.00.97.H60-240302-0002', 'tthc 000.00.97.h60-240302-0002',
	'4455', '1992']) AS f,
	LATERAL zalo_tthc.lookup_by_name('Ninh Văn Hiển', f) AS r
ORDER BY f, r.code;

-- the same typed after the name in the one search box
SELECT code, procedure_name, verified FROM zalo_tthc.lookup('ninh van hien 1985');
SELECT code, procedure_name, verified FROM zalo_tthc.lookup('Ninh Hiển 0666');

-- a factor that matches nothing: nothing, not the unconfirmed rows
SELECT count(*) AS wrong_year FROM zalo_tthc.lookup_by_name('Ninh Văn Hiển', '1986');
SELECT count(*) AS other_code FROM zalo_tthc.lookup_by_name('Ninh Văn Hiển', '000.00.97.H60-240303-0003');
ROLLBACK;

-- a factor of another shape is an error
SELECT * FROM zalo_tthc.lookup_by_name('Ninh Văn Hiển', '85');
SELECT * FROM zalo_tthc.lookup_by_name('Ninh Văn Hiển', '');
