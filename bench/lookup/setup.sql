-- Dossiers for the lookup benchmark: :rows dossiers of 0.7 x :rows
-- applicants with realistic Vietnamese names.  Family names follow their
-- real frequencies (Nguyễn about 38 %), middle and given names are drawn
-- from the common ones with skewed weights, so a full name is shared by
-- many people and the name index meets real collisions.  bench.applicant
-- keeps each applicant's name, CCCD and birth year for the query scripts.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS zalo_tthc CASCADE;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- name parts and their weights (family names per mille)
CREATE TABLE bench.name_part (kind text, part text, weight integer, ord serial);
INSERT INTO bench.name_part (kind, part, weight) VALUES
	('family', 'Nguyễn', 380), ('family', 'Trần', 110), ('family', 'Lê', 95), ('family', 'Phạm', 70),
	('family', 'Hoàng', 35), ('family', 'Huỳnh', 20), ('family', 'Phan', 45), ('family', 'Vũ', 25),
	('family', 'Võ', 25), ('family', 'Đặng', 21), ('family', 'Bùi', 20), ('family', 'Đỗ', 14),
	('family', 'Hồ', 13), ('family', 'Ngô', 13), ('family', 'Dương', 10), ('family', 'Lý', 5),
	('family', 'Trương', 12), ('family', 'Đinh', 10), ('family', 'Lâm', 8), ('family', 'Mai', 8),
	('family', 'Đào', 8), ('family', 'Cao', 6), ('family', 'Hà', 6), ('family', 'Lương', 5),
	('family', 'Trịnh', 5), ('family', 'Tô', 4), ('family', 'Tạ', 4), ('family', 'La', 3),
	('family', 'Kiều', 3), ('family', 'Thái', 3), ('family', 'Châu', 3), ('family', 'Quách', 2),
	('family', 'Triệu', 1), ('family', 'Khổng', 1),
	('middle_m', 'Văn', 60), ('middle_m', 'Đức', 8), ('middle_m', 'Minh', 8), ('middle_m', 'Quốc', 5),
	('middle_m', 'Hữu', 5), ('middle_m', 'Công', 4), ('middle_m', 'Thanh', 4), ('middle_m', 'Xuân', 3),
	('middle_m', 'Ngọc', 2), ('middle_m', 'Quang', 3), ('middle_m', 'Trọng', 2), ('middle_m', 'Đình', 3),
	('middle_f', 'Thị', 65), ('middle_f', 'Ngọc', 6), ('middle_f', 'Thu', 5), ('middle_f', 'Thanh', 5),
	('middle_f', 'Kim', 4), ('middle_f', 'Minh', 3), ('middle_f', 'Phương', 3), ('middle_f', 'Bảo', 2),
	('middle_f', 'Diệu', 2), ('middle_f', 'Hồng', 3), ('middle_f', 'Mỹ', 2),
	('second_m', 'Minh', 5), ('second_m', 'Anh', 4), ('second_m', 'Quốc', 3), ('second_m', 'Thanh', 3),
	('second_m', 'Hoàng', 3), ('second_m', 'Tuấn', 2), ('second_m', 'Gia', 2), ('second_m', 'Hải', 2),
	('second_f', 'Thanh', 5), ('second_f', 'Thu', 4), ('second_f', 'Ngọc', 4), ('second_f', 'Minh', 3),
	('second_f', 'Kim', 3), ('second_f', 'Bích', 2), ('second_f', 'Thùy', 3), ('second_f', 'Hoài', 2),
	('given_m', 'Anh', 30), ('given_m', 'Minh', 25), ('given_m', 'Hùng', 20), ('given_m', 'Dũng', 20),
	('given_m', 'Tuấn', 20), ('given_m', 'Hải', 15), ('given_m', 'Nam', 15), ('given_m', 'Long', 15),
	('given_m', 'Huy', 15), ('given_m', 'Đức', 12), ('given_m', 'Thành', 12), ('given_m', 'Sơn', 12),
	('given_m', 'Cường', 10), ('given_m', 'Hiếu', 10), ('given_m', 'Quân', 10), ('given_m', 'Trung', 10),
	('given_m', 'Bình', 8), ('given_m', 'Khánh', 8), ('given_m', 'Phúc', 8), ('given_m', 'Thắng', 8),
	('given_m', 'Tùng', 8), ('given_m', 'Việt', 6), ('given_m', 'Vinh', 6), ('given_m', 'Đạt', 8),
	('given_m', 'Duy', 6), ('given_m', 'Hưng', 6), ('given_m', 'Phong', 6), ('given_m', 'Quang', 6),
	('given_m', 'Tài', 5), ('given_m', 'Thịnh', 5), ('given_m', 'Toàn', 5), ('given_m', 'An', 8),
	('given_m', 'Khoa', 5), ('given_m', 'Lâm', 4), ('given_m', 'Tâm', 5), ('given_m', 'Mạnh', 6),
	('given_f', 'Anh', 25), ('given_f', 'Linh', 25), ('given_f', 'Hương', 20), ('given_f', 'Trang', 20),
	('given_f', 'Hà', 15), ('given_f', 'Lan', 15), ('given_f', 'Mai', 15), ('given_f', 'Hoa', 12),
	('given_f', 'Thảo', 12), ('given_f', 'Thủy', 12), ('given_f', 'Hằng', 10), ('given_f', 'Nga', 10),
	('given_f', 'Phương', 10), ('given_f', 'Hạnh', 8), ('given_f', 'Hiền', 8), ('given_f', 'Hồng', 8),
	('given_f', 'Dung', 8), ('given_f', 'Giang', 8), ('given_f', 'Ngân', 6), ('given_f', 'Nhung', 6),
	('given_f', 'Quỳnh', 6), ('given_f', 'Thu', 6), ('given_f', 'Vân', 6), ('given_f', 'Yến', 6),
	('given_f', 'Chi', 5), ('given_f', 'Châu', 4), ('given_f', 'Huệ', 4), ('given_f', 'Loan', 5),
	('given_f', 'My', 5), ('given_f', 'Oanh', 4), ('given_f', 'Trinh', 4), ('given_f', 'Tuyết', 4),
	('given_f', 'Uyên', 4), ('given_f', 'Xuân', 4), ('given_f', 'Mẫn', 2), ('given_f', 'Hường', 3);

-- cumulative ranges: a draw r in [0, total) picks the part with lo <= r < hi
CREATE TABLE bench.name_range AS
SELECT kind, part,
	sum(weight) OVER w - weight AS lo, sum(weight) OVER w AS hi,
	sum(weight) OVER (PARTITION BY kind) AS total
FROM bench.name_part
WINDOW w AS (PARTITION BY kind ORDER BY ord);

-- a deterministic draw in [0, n) for applicant a and attribute k
CREATE FUNCTION bench.draw(a bigint, k integer, n bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT abs(hashint8(a * 31 + k)::bigint) % n $$;

CREATE FUNCTION bench.pick(a bigint, k integer, name_kind text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT part FROM bench.name_range
	WHERE kind = name_kind AND bench.draw(a, k, total) >= lo AND bench.draw(a, k, total) < hi
$$;

CREATE TABLE bench.applicant AS
SELECT a,
	concat_ws(' ',
		bench.pick(a, 2, 'family'),
		bench.pick(a, 3, 'middle_' || sex),
		CASE WHEN bench.draw(a, 4, 4) = 0 THEN bench.pick(a, 5, 'second_' || sex) END,
		bench.pick(a, 6, 'given_' || sex)) AS name,
	(ARRAY['001', '008', '019', '025', '026', '038', '079'])[1 + bench.draw(a, 7, 7)]
		|| ((CASE WHEN birth_year >= 2000 THEN 2 ELSE 0 END) + (sex = 'f')::integer)::text
		|| lpad((birth_year % 100)::text, 2, '0') || lpad(a::text, 6, '0') AS id_number,
	'09' || lpad(bench.draw(a, 8, 100000000)::text, 8, '0') AS phone,
	make_date(birth_year, 1 + bench.draw(a, 9, 12)::integer, 1 + bench.draw(a, 10, 28)::integer) AS birth_date
FROM (SELECT a, CASE WHEN bench.draw(a, 1, 2) = 0 THEN 'm' ELSE 'f' END AS sex,
		1945 + bench.draw(a, 11, 60)::integer AS birth_year
	  FROM generate_series(0, (:rows * 7 / 10) - 1) AS a) s;
ALTER TABLE bench.applicant ADD PRIMARY KEY (a);

-- the applicant of dossier i (some applicants have several dossiers)
SELECT format('CREATE FUNCTION bench.applicant_of(i bigint) RETURNS bigint '
	'LANGUAGE sql IMMUTABLE AS %L', format('SELECT bench.draw(i, 12, %s)', :rows * 7 / 10))
\gexec

-- the code of dossier i: 2,000 dossiers a day from 2023-01-01
CREATE FUNCTION bench.code_of(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT format('000.00.%s.H60-%s-%s', lpad((i % 24 + 1)::text, 2, '0'),
		to_char(date '2023-01-01' + ((i - 1) / 2000)::integer, 'YYMMDD'),
		lpad(((i - 1) % 2000 + 1)::text, 4, '0'))
$$;

SET zalo_tthc.bulk_import = on;
INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
	channel, applicant_name, applicant_id_number, applicant_phone, applicant_birth_date,
	stage, submitted_at, due_at)
SELECT bench.code_of(i),
	(ARRAY['Cấp giấy phép xây dựng', 'Đăng ký khai sinh', 'Đăng ký kết hôn', 'Cấp đổi giấy phép lái xe',
		   'Chứng thực bản sao từ bản chính', 'Cấp phiếu lý lịch tư pháp', 'Đăng ký thường trú',
		   'Cấp giấy chứng nhận quyền sử dụng đất'])[1 + i % 8],
	(ARRAY['Xây dựng', 'Hộ tịch', 'Hộ tịch', 'Giao thông vận tải', 'Chứng thực', 'Lý lịch tư pháp',
		   'Đăng ký, quản lý cư trú', 'Đất đai'])[1 + i % 8],
	'UBND huyện ' || (ARRAY['Yên Sơn', 'Sơn Dương', 'Hàm Yên', 'Chiêm Hóa', 'Na Hang'])[1 + i % 5],
	'Trung tâm Phục vụ hành chính công xã ' || (ARRAY['Mỹ Bằng', 'Thái Bình', 'Tân Long', 'An Tường'])[1 + i % 4],
	1 + (i % 3)::integer,
	a.name, a.id_number, a.phone, a.birth_date,
	(ARRAY['result_returned', 'result_returned', 'result_returned', 'result_returned', 'result_ready',
		   'appraising', 'received', 'supplement_requested', 'rejected', 'submitted'])[1 + i % 10]::zalo_tthc.stage,
	submitted, submitted + interval '15 days'
FROM generate_series(1::bigint, :rows) AS i
JOIN bench.applicant a ON a.a = bench.applicant_of(i),
	LATERAL (SELECT timestamptz '2023-01-01 08:00+07' + ((i - 1) / 2000) * interval '1 day'
			+ ((i - 1) % 2000) * interval '15 seconds' AS submitted) t;
RESET zalo_tthc.bulk_import;
VACUUM ANALYZE zalo_tthc.dossier;
VACUUM ANALYZE bench.applicant;
