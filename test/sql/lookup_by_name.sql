-- lookup() finds a name however the citizen types it: without
-- diacritics, in capitals, in decomposed Unicode (NFD), with đ typed as d,
-- with extra spaces, or only some of its words; each word must be a whole
-- word of the name (not a prefix).  lookup_by_name() does the same.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, submitted_at, due_at)
VALUES ('000.00.93.H60-240301-0001', 'Đăng ký khai sinh', 'Nguyễn Thị Thanh Mẫn', '2024-03-01 09:00+07', '2099-01-01'),
	('000.00.93.H60-240301-0002', 'Đăng ký khai sinh', 'Đoàn Đức Đạt', '2024-03-01 09:00+07', '2099-01-01'),
	('000.00.93.H60-240301-0003', 'Đăng ký khai sinh', 'Lục Văn Mạnh', '2024-03-01 09:00+07', '2099-01-01');

SELECT q AS typed, q IS NOT NFC NORMALIZED AS nfd, r.code, r.applicant_name
FROM unnest(ARRAY[
	'Nguyễn Thị Thanh Mẫn',
	'nguyen thi thanh man',
	'NGUYỄN THỊ THANH MẪN',
	'NGUYEN THI THANH MAN',
	normalize('Nguyễn Thị Thanh Mẫn', NFD),
	normalize('NGUYỄN THỊ THANH MẪN', NFD),
	E'  nguyen   thi\tthanh  man ',
	'thanh man',
	'nguyen man',
	'doan duc dat',
	'ĐOÀN ĐỨC ĐẠT',
	'dat',
	'lục mạnh']) AS q,
	LATERAL zalo_tthc.lookup(q) AS r
ORDER BY q, r.code;

-- the decomposed spelling really differs from the composed one
SELECT normalize('Mẫn', NFD) <> 'Mẫn' AS nfd_differs;

-- words match whole words only, in order
SELECT count(*) AS man_is_not_manh FROM zalo_tthc.lookup('luc man');
SELECT count(*) AS prefix_is_not_a_word FROM zalo_tthc.lookup('nguy');
SELECT count(*) AS out_of_order FROM zalo_tthc.lookup('man thanh');

SELECT code, applicant_name FROM zalo_tthc.lookup_by_name('đoàn đạt');

-- names where the words are neighbours or the first and last word come
-- first; names with the words elsewhere are added only when those are
-- fewer than a page of results (zalo_tthc.lookup_max_results, 10)
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, submitted_at, due_at)
SELECT format('000.00.93.H60-240302-%s', lpad(i::text, 4, '0')), 'Chứng thực',
	CASE WHEN i = 1 THEN 'Hà Mạc Thị Tú Linh' ELSE 'Mạc Văn Tú' END,
	'2024-03-02 09:00+07', '2099-01-01'
FROM generate_series(1, 12) AS i;
SELECT count(*) AS results, count(*) FILTER (WHERE applicant_name = 'Hà M** T** T** L**') AS words_elsewhere
FROM zalo_tthc.lookup('mac tu');
DELETE FROM zalo_tthc.dossier WHERE code BETWEEN '000.00.93.H60-240302-0005' AND '000.00.93.H60-240302-0012';
SELECT count(*) AS results, count(*) FILTER (WHERE applicant_name = 'Hà M** T** T** L**') AS words_elsewhere
FROM zalo_tthc.lookup('mac tu');
ROLLBACK;
