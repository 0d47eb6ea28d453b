-- Folding diacritics merges names that differ only by them (Đức, Dực,
-- Đục); the spelling the citizen typed comes first, then names that
-- contain it spelt exactly, then the others, shortest names first.
-- (Without a second factor the last 4 characters of each code are hidden;
-- the date in each code tells the rows apart.)
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, submitted_at, due_at)
VALUES ('000.00.94.H60-240304-0001', 'x', 'Dặng Văn Dực', '2024-03-04 09:00+07', '2099-01-01'),
	('000.00.94.H60-240303-0002', 'x', 'Đặng Văn Đục', '2024-03-03 09:00+07', '2099-01-01'),
	('000.00.94.H60-240301-0003', 'x', 'Đặng Văn Đức', '2024-03-01 09:00+07', '2099-01-01'),
	('000.00.94.H60-240302-0004', 'x', 'ĐẶNG VĂN ĐỨC', '2024-03-02 09:00+07', '2099-01-01'),
	('000.00.94.H60-240305-0005', 'x', 'Đặng Văn Đức Anh', '2024-03-05 09:00+07', '2099-01-01'),
	('000.00.94.H60-240306-0006', 'x', 'Đặng Văn Đục Anh', '2024-03-06 09:00+07', '2099-01-01');

-- a full name: the applicants of that name, exact spelling (any case)
-- first, then newest first
SELECT code, applicant_name FROM zalo_tthc.lookup('Đặng Văn Đức');
SELECT code, applicant_name FROM zalo_tthc.lookup('Dặng Văn Dực');
SELECT code, applicant_name FROM zalo_tthc.lookup('dang van duc');

-- part of a name: exact spelling inside the name first, then shortest
SELECT code, applicant_name FROM zalo_tthc.lookup('Văn Đức');
SELECT code, applicant_name FROM zalo_tthc.lookup('Văn Đục');
ROLLBACK;
