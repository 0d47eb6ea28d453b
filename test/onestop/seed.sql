-- Deterministic dossiers for the one-stop schema of schema.sql:
-- motcua.seed(n) inserts n generated dossiers of Tuyên Quang (H60) and
-- their processing steps, then the named dossiers below, and returns the
-- number of dossiers inserted (n + 17).  Every value is a function of the
-- row number, so two calls of seed(n) on empty tables give the same rows
-- (ids included when the tables are truncated with RESTART IDENTITY), and
-- row i of seed(n) is row i of seed(m) for any m >= i.
--
-- Generated dossiers (ids 1..n in fresh tables):
--  - statuses over 1..10: 8 % Mới đăng ký, 10 % Được tiếp nhận, 5 % Không
--    được tiếp nhận, 19 % Đang xử lý, 6 % Yêu cầu bổ sung, 3 % nghĩa vụ tài
--    chính (procedures with fees only), 2 % rút hồ sơ, 3 % Dừng xử lý, 9 %
--    Đã xử lý xong, 35 % Đã trả kết quả.  Closed dossiers were submitted
--    between 2019-07-01 and 2024-12-29, open ones (1, 2, 4, 5, 6, 7, 9:
--    56 % of them) between 2024-12-30 and 2025-06-27;
--  - codes in the standard form <receiving unit>-YYMMDD-NNNN (the date is
--    ngay_nop), except about a quarter of the closed dossiers submitted
--    before 2021, migrated from the older local system: MC-2019-000123,
--    000123/2019/TNHS, H60.31.2019.000123 (all of them valid non-standard
--    codes: letters, digits, . / -);
--  - 14 procedures of commune, district and province level with weights
--    close to a real one-stop centre's (chứng thực and hộ tịch first), the
--    receiving unit and resolving agency of that level;
--  - applicants with family names at their Vietnamese frequencies plus the
--    Tày and Dao names of the province (Ma, Nông, Triệu, Bàn…), middle and
--    given names by sex, a birth date, a CCCD consistent with both
--    (province, century and sex digit, year of birth);
--  - phones: 40 % "0912345678", 12 % "0912 345 678", 10 % "+84 912345678",
--    8 % "0912.345.678", 5 % "84912345678", 3 % "(+84) 912-345-678",
--    5 % landlines ("0207 3822 456", "024 3825 1234"), 3 % retired 11-digit
--    mobiles ("0168 234 5678"), 6 % NULL, 4 % empty, 2 % nine digits,
--    2 % text ("0912 345 678 (con trai)", "không có", two numbers);
--  - identity numbers: 80 % CCCD, 3 % CCCD written with spaces, 9 % CMND
--    (9 digits), 4 % NULL, 1 % empty, 1 % too short ("12345"), 1 % with a
--    letter (a passport number "C1234567", "00809000123A"), 1 % with a
--    prefix ("CCCD 008090001234");
--  - steps in motcua.qua_trinh_xu_ly consistent with the status (about 3.5
--    per dossier): TIEP_NHAN, PHAN_CONG, THAM_DINH, TRINH_KY, KY_DUYET,
--    TRA_KET_QUA, YEU_CAU_BO_SUNG, TU_CHOI.
--
-- Named dossiers (inserted after the generated ones, in this order: ids
-- n+1..n+17 in fresh tables; tests refer to them by code).
-- All but the old Sở Tư pháp one were submitted on 2025-07-01, after every
-- generated dossier, at Trung tâm Phục vụ hành chính công tỉnh (unit
-- 000.00.04.H60, whose generated codes never carry that date):
--
--   code                          applicant            status  what it is for
--   000.00.04.H60-250701-0001     Nguyễn Văn An          1     clean; online, not yet received
--   000.00.04.H60-250701-0002     Lê Thị Bích Ngọc       2     clean; received
--   000.00.04.H60-250701-0003     Hoàng Đức Thắng        4     clean; steps TIEP_NHAN, PHAN_CONG (next: THAM_DINH)
--   000.00.04.H60-250701-0004     Phạm Thị Thu Hà        9     clean; steps up to KY_DUYET, result ready
--   000.00.04.h60-250701-0005     Đỗ Minh Khoa           2     code in lower case (normalised to upper case)
--   000.00.04.H60-250230-0006     Bùi Văn Hải            2     code with an impossible date (30 February): not a code
--   000.00.04.H60–250701–0007     Ngô Thị Lan            4     code with en dashes (pasted from a word processor): not a code
--   000.00.04.H60-250701-0008     Ma Văn Sơn             2     landline phone "0207 3822 456"
--   000.00.04.H60-250701-0009     Nông Thị Hoa           2     retired 11-digit mobile "0168 234 5678"
--   000.00.04.H60-250701-0010     Triệu Văn Long         2     CCCD "12345" (too short), phone "" (empty)
--   000.00.04.H60-250701-0011     Lương Thị Thanh Huyền  2     passport number "C1234567" in so_giay_to
--   000.00.04.H60-250701-0012     Công ty TNHH Chè Mỹ Lâm 4    an organisation: tax code "5000123456" in so_giay_to
--   000.00.04.H60-250701-0013     "Trần Thị<TAB>Hoa"     2     a tab in the name (pasted from a spreadsheet)
--   000.00.04.H60-250701-0014     Nguyễn Thị Hương (NFD) 2     name in decomposed Unicode (normalised to NFC)
--   000.00.04.H60-250701-0015     Đặng Văn Bình          2     ngay_hen_tra 2024-07-15, a year before ngay_nop
--   000.00.04.H60-250701-0016     "" (empty)             2     empty chu_ho_so (copied from a paper logbook)
--   STP/LLTP/2019/00042           Vũ Thị Mai             9     old local code of Sở Tư pháp (valid, non-standard); CMND 9 digits
--
-- Apart from what the table says, the named dossiers are clean: a
-- 12-digit CCCD consistent with the birth date and a mobile phone.

-- A deterministic number in 0..m-1 for row i and a salt (one salt per
-- column, so that the columns do not move together).
CREATE FUNCTION motcua.seed_pick(i bigint, salt integer, m integer)
RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (abs(hashint8extended(i, salt) % m))::integer $$;
COMMENT ON FUNCTION motcua.seed_pick(bigint, integer, integer) IS
	'Số giả ngẫu nhiên xác định 0..m-1 cho dòng i (dùng khi sinh dữ liệu mẫu).';

-- The i-th element of arr, for i counted from 0 and wrapped around.
CREATE FUNCTION motcua.seed_elem(arr text[], i integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT arr[1 + i % cardinality(arr)] $$;

-- An array holding each value of vals as many times as its weight says.
CREATE FUNCTION motcua.seed_weighted(vals text[], weights integer[])
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT
AS $$
	SELECT array_agg(v ORDER BY k, r)
	FROM unnest(vals, weights) WITH ORDINALITY AS u(v, w, k), generate_series(1, w) AS r
$$;

-- jit off: compiling the one large generating expression would take far
-- longer than running it.
CREATE FUNCTION motcua.seed(n integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
SET jit = off
SET work_mem = '256MB'
AS $$
DECLARE
	-- 'Vietnamese|ascii' (the ascii form makes e-mail addresses)
	family text[] := motcua.seed_weighted(
		ARRAY['Nguyễn|nguyen', 'Trần|tran', 'Lê|le', 'Phạm|pham', 'Hoàng|hoang', 'Phan|phan', 'Vũ|vu',
			  'Đặng|dang', 'Bùi|bui', 'Đỗ|do', 'Hồ|ho', 'Ngô|ngo', 'Dương|duong', 'Lý|ly', 'Huỳnh|huynh',
			  'Võ|vo', 'Ma|ma', 'Hà|ha', 'Nông|nong', 'Triệu|trieu', 'Bàn|ban', 'Lương|luong', 'Quan|quan'],
		ARRAY[36, 11, 9, 7, 5, 4, 4, 2, 2, 2, 1, 1, 1, 1, 1, 1, 3, 3, 2, 1, 1, 1, 1]);
	middle_m text[] := motcua.seed_weighted(
		ARRAY['Văn', 'Đức', 'Hữu', 'Quang', 'Minh', 'Xuân', 'Thanh', 'Công', 'Ngọc', 'Mạnh', 'Văn Minh', 'Đình'],
		ARRAY[40, 8, 6, 6, 8, 4, 4, 4, 2, 2, 2, 3]);
	middle_f text[] := motcua.seed_weighted(
		ARRAY['Thị', 'Thu', 'Ngọc', 'Hồng', 'Thanh', 'Minh', 'Phương', 'Bích', 'Kim', 'Thị Thu', 'Thị Thanh'],
		ARRAY[45, 6, 6, 5, 5, 3, 3, 2, 3, 3, 3]);
	given_m text[] := ARRAY['An|an', 'Bình|binh', 'Cường|cuong', 'Dũng|dung', 'Đức|duc', 'Hải|hai', 'Hiếu|hieu',
		'Hoàng|hoang', 'Hùng|hung', 'Huy|huy', 'Khánh|khanh', 'Khoa|khoa', 'Long|long', 'Minh|minh', 'Nam|nam',
		'Phong|phong', 'Quân|quan', 'Sơn|son', 'Tâm|tam', 'Thắng|thang', 'Thành|thanh', 'Trung|trung',
		'Tuấn|tuan', 'Việt|viet', 'Vinh|vinh'];
	given_f text[] := ARRAY['Anh|anh', 'Chi|chi', 'Dung|dung', 'Giang|giang', 'Hà|ha', 'Hạnh|hanh', 'Hằng|hang',
		'Hoa|hoa', 'Huyền|huyen', 'Hương|huong', 'Lan|lan', 'Liên|lien', 'Linh|linh', 'Loan|loan', 'Mai|mai',
		'Nga|nga', 'Ngọc|ngoc', 'Nhung|nhung', 'Oanh|oanh', 'Phương|phuong', 'Quỳnh|quynh', 'Thảo|thao',
		'Thủy|thuy', 'Trang|trang', 'Vân|van', 'Yến|yen'];
	-- ma_tthc|ten_thu_tuc|ma_linh_vuc|ten_linh_vuc|level|working days|fee|agency code|agency
	-- (agency given for province-level procedures only; mã TTHC as on the
	-- national database, for illustration)
	procedures text[] := motcua.seed_weighted(ARRAY[
		'2.000815|Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan tổ chức có thẩm quyền của Việt Nam cấp hoặc chứng nhận|CT|Chứng thực|xa|0|2000||',
		'1.001193|Đăng ký khai sinh|HT|Hộ tịch|xa|0|0||',
		'1.001022|Cấp bản sao trích lục hộ tịch|HT|Hộ tịch|xa|0|8000||',
		'1.000894|Đăng ký kết hôn|HT|Hộ tịch|xa|1|0||',
		'1.000656|Đăng ký khai tử|HT|Hộ tịch|xa|1|0||',
		'1.004873|Cấp Giấy xác nhận tình trạng hôn nhân|HT|Hộ tịch|xa|3|0||',
		'2.000720|Đăng ký thành lập hộ kinh doanh|HKD|Thành lập và hoạt động của hộ kinh doanh|huyen|3|100000||',
		'1.009994|Cấp giấy phép xây dựng đối với công trình, nhà ở riêng lẻ|XD|Hoạt động xây dựng|huyen|15|75000||',
		'1.001776|Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng, hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng|BTXH|Bảo trợ xã hội|huyen|20|0||',
		'2.000633|Cấp Giấy phép bán lẻ rượu|LTHH|Lưu thông hàng hóa trong nước|huyen|10|1200000||',
		'1.004227|Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất trong các trường hợp chuyển nhượng, cho thuê, cho thuê lại, thừa kế, tặng cho, góp vốn bằng quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất|DD|Đất đai|tinh|10|500000|000.16.04.H60|Chi nhánh Văn phòng Đăng ký đất đai thành phố Tuyên Quang',
		'1.003010|Cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất lần đầu đối với tổ chức, cơ sở tôn giáo; người Việt Nam định cư ở nước ngoài thực hiện dự án đầu tư; tổ chức nước ngoài, cá nhân nước ngoài; doanh nghiệp có vốn đầu tư nước ngoài thực hiện dự án đầu tư|DD|Đất đai|tinh|20|500000|000.00.16.H60|Sở Tài nguyên và Môi trường tỉnh Tuyên Quang',
		'2.000488|Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam|LLTP|Lý lịch tư pháp|tinh|10|200000|000.00.12.H60|Sở Tư pháp tỉnh Tuyên Quang',
		'1.002804|Đổi giấy phép lái xe do ngành Giao thông vận tải cấp|DB|Đường bộ|tinh|5|135000|000.00.15.H60|Sở Giao thông vận tải tỉnh Tuyên Quang'],
		ARRAY[20, 14, 6, 6, 4, 6, 6, 5, 4, 2, 10, 1, 8, 8]);
	-- code|agency|receiving unit|place (for addresses)
	communes text[] := ARRAY[
		'000.20.31.H60|UBND phường Minh Xuân|Bộ phận Một cửa UBND phường Minh Xuân|phường Minh Xuân, thành phố Tuyên Quang',
		'000.21.31.H60|UBND phường Phan Thiết|Bộ phận Một cửa UBND phường Phan Thiết|phường Phan Thiết, thành phố Tuyên Quang',
		'000.22.31.H60|UBND phường Tân Quang|Bộ phận Một cửa UBND phường Tân Quang|phường Tân Quang, thành phố Tuyên Quang',
		'000.23.31.H60|UBND xã An Tường|Bộ phận Một cửa UBND xã An Tường|xã An Tường, thành phố Tuyên Quang',
		'000.30.35.H60|UBND xã Thắng Quân|Bộ phận Một cửa UBND xã Thắng Quân|xã Thắng Quân, huyện Yên Sơn',
		'000.31.35.H60|UBND xã Lang Quán|Bộ phận Một cửa UBND xã Lang Quán|xã Lang Quán, huyện Yên Sơn',
		'000.40.36.H60|UBND thị trấn Sơn Dương|Bộ phận Một cửa UBND thị trấn Sơn Dương|thị trấn Sơn Dương, huyện Sơn Dương',
		'000.41.36.H60|UBND xã Tân Trào|Bộ phận Một cửa UBND xã Tân Trào|xã Tân Trào, huyện Sơn Dương'];
	districts text[] := ARRAY[
		'000.00.31.H60|UBND thành phố Tuyên Quang|Bộ phận Tiếp nhận và Trả kết quả UBND thành phố Tuyên Quang',
		'000.00.35.H60|UBND huyện Yên Sơn|Bộ phận Tiếp nhận và Trả kết quả UBND huyện Yên Sơn',
		'000.00.36.H60|UBND huyện Sơn Dương|Bộ phận Tiếp nhận và Trả kết quả UBND huyện Sơn Dương',
		'000.00.37.H60|UBND huyện Hàm Yên|Bộ phận Tiếp nhận và Trả kết quả UBND huyện Hàm Yên'];
	province_unit text := '000.00.04.H60|Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang';
	streets text[] := ARRAY['Bình Thuận', 'Quang Trung', 'Lê Lợi', 'Tân Trào', '17 Tháng 8', 'Chiến Thắng Sông Lô',
		'Trường Chinh', 'Nguyễn Trãi', 'Phan Thiết', 'Lý Thái Tổ'];
	villages text[] := ARRAY['Cầu Trôi', 'Đồng Bằng', 'Khuôn Khán', 'Làng Ngòi', 'Tân Lập', 'Đồng Giàn', 'Nà Lừa',
		'Gò Chè', 'Trung Thu', 'Đồng Đình'];
	-- Viettel, Vinaphone, MobiFone, Vietnamobile, Gmobile (the digits after 0)
	mobile_prefixes text[] := ARRAY['96', '97', '98', '86', '32', '33', '34', '35', '36', '37', '38', '39',
		'91', '94', '88', '81', '82', '83', '84', '85', '90', '93', '89', '70', '76', '77', '78', '79',
		'92', '56', '58', '99', '59'];
	-- CCCD province codes: Tuyên Quang mostly, then neighbours and Hà Nội
	id_provinces text[] := motcua.seed_weighted(
		ARRAY['008', '001', '002', '006', '010', '019', '025', '038'], ARRAY[75, 6, 4, 3, 3, 3, 3, 3]);
	statuses text[] := motcua.seed_weighted(
		ARRAY['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'], ARRAY[8, 10, 5, 18, 6, 4, 2, 3, 9, 35]);
	-- name|account of the one-stop clerks and specialists
	staff text[] := ARRAY['Nguyễn Thị Lan|lannt', 'Trần Văn Hùng|hungtv', 'Lê Thu Trang|tranglt',
		'Phạm Quang Minh|minhpq', 'Hà Thị Nga|ngaht', 'Ma Văn Thành|thanhmv', 'Đỗ Thị Hạnh|hanhdt',
		'Hoàng Văn Tuấn|tuanhv'];
	last_generated bigint;
	dossiers bigint;
BEGIN
	IF n IS NULL OR n < 0 OR n > 1600000 THEN
		RAISE EXCEPTION 'motcua.seed(%): n must be between 0 and 1600000', n
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Generated codes number at most 9999 dossiers a day.';
	END IF;
	IF EXISTS (SELECT FROM motcua.ho_so) OR EXISTS (SELECT FROM motcua.qua_trinh_xu_ly) THEN
		RAISE EXCEPTION 'motcua.seed(%): motcua.ho_so or motcua.qua_trinh_xu_ly is not empty', n
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'TRUNCATE motcua.ho_so, motcua.qua_trinh_xu_ly RESTART IDENTITY first.';
	END IF;

	INSERT INTO motcua.ho_so (ma_ho_so, ma_thu_tuc, ten_thu_tuc, ma_linh_vuc, ten_linh_vuc, ma_co_quan,
		co_quan_giai_quyet, ma_noi_tiep_nhan, noi_tiep_nhan, kenh_nop, loai_doi_tuong, chu_ho_so, gioi_tinh,
		ngay_sinh, loai_giay_to, so_giay_to, so_dien_thoai, email, dia_chi, uy_quyen, nguoi_nop, trich_yeu,
		trang_thai_id, ngay_nop, ngay_tiep_nhan, ngay_hen_tra, ngay_ket_thuc_xu_ly, ngay_tra, hinh_thuc_tra,
		phi_le_phi, da_thanh_toan, ghi_chu, nguoi_tao, ngay_tao, nguoi_cap_nhat, ngay_cap_nhat)
	SELECT
		CASE WHEN old_code = 0 THEN unit_code || '-' || to_char(day, 'YYMMDD') || '-' || lpad(seq::text, 4, '0')
			 WHEN old_code = 1 THEN 'MC-' || to_char(day, 'YYYY') || '-' || lpad(i::text, 6, '0')
			 WHEN old_code = 2 THEN lpad(i::text, 6, '0') || '/' || to_char(day, 'YYYY') || '/TNHS'
			 ELSE 'H60.' || split_part(unit_code, '.', 3) || '.' || to_char(day, 'YYYY') || '.' || lpad(i::text, 6, '0')
		END,
		split_part(proc, '|', 1), split_part(proc, '|', 2), split_part(proc, '|', 3), split_part(proc, '|', 4),
		agency_code, agency, unit_code, receiving,
		channel, 1, full_name, CASE WHEN female THEN 2 ELSE 1 END,
		birth,
		CASE WHEN id_kind < 83 THEN 1 WHEN id_kind < 92 THEN 2 WHEN id_kind = 98 THEN 3 END,
		CASE WHEN id_kind < 80 THEN cccd
			 WHEN id_kind < 83 THEN substr(cccd, 1, 3) || ' ' || substr(cccd, 4, 3) || ' ' || substr(cccd, 7, 3) || ' ' || substr(cccd, 10, 3)
			 WHEN id_kind < 92 THEN '07' || substr(cccd, 6, 7)
			 WHEN id_kind < 96 THEN NULL
			 WHEN id_kind = 96 THEN ''
			 WHEN id_kind = 97 THEN substr(cccd, 8, 5)
			 WHEN id_kind = 98 THEN CASE WHEN i % 2 = 0 THEN 'C' || substr(cccd, 6, 7) ELSE substr(cccd, 1, 11) || 'A' END
			 ELSE 'CCCD ' || cccd
		END,
		CASE WHEN phone_kind < 40 THEN mobile
			 WHEN phone_kind < 52 THEN substr(mobile, 1, 4) || ' ' || substr(mobile, 5, 3) || ' ' || substr(mobile, 8, 3)
			 WHEN phone_kind < 62 THEN '+84 ' || substr(mobile, 2)
			 WHEN phone_kind < 70 THEN substr(mobile, 1, 4) || '.' || substr(mobile, 5, 3) || '.' || substr(mobile, 8, 3)
			 WHEN phone_kind < 75 THEN '84' || substr(mobile, 2)
			 WHEN phone_kind < 78 THEN '(+84) ' || substr(mobile, 2, 3) || '-' || substr(mobile, 5, 3) || '-' || substr(mobile, 8, 3)
			 WHEN phone_kind < 81 THEN '0207 38' || substr(mobile, 5, 2) || ' ' || substr(mobile, 7, 3)
			 WHEN phone_kind < 83 THEN '024 38' || substr(mobile, 5, 2) || ' ' || substr(mobile, 7, 4)
			 WHEN phone_kind < 86 THEN '016' || substr(mobile, 4, 1) || ' ' || substr(mobile, 5, 3) || ' ' || substr(mobile, 8, 3) || substr(mobile, 3, 1)
			 WHEN phone_kind < 92 THEN NULL
			 WHEN phone_kind < 96 THEN ''
			 WHEN phone_kind < 98 THEN substr(mobile, 1, 9)
			 WHEN i % 3 = 0 THEN substr(mobile, 1, 4) || ' ' || substr(mobile, 5, 3) || ' ' || substr(mobile, 8, 3) || ' (con trai)'
			 WHEN i % 3 = 1 THEN 'không có'
			 ELSE mobile || ' / 09' || substr(mobile, 5, 6) || substr(mobile, 3, 2)
		END,
		CASE WHEN mail_kind < 35 THEN given_ascii || family_ascii || to_char(birth, 'YY') || '@gmail.com'
			 WHEN mail_kind < 40 THEN family_ascii || '.' || given_ascii || '@yahoo.com.vn'
		END,
		CASE WHEN place LIKE 'xã%'
			 THEN 'Thôn ' || motcua.seed_elem(villages, motcua.seed_pick(i, 30, 1000)) || ', ' || place || ', tỉnh Tuyên Quang'
			 ELSE 'Số ' || (1 + motcua.seed_pick(i, 31, 250)) || ', đường ' || motcua.seed_elem(streets, motcua.seed_pick(i, 30, 1000))
				  || ', tổ ' || (1 + motcua.seed_pick(i, 32, 25)) || ', ' || place || ', tỉnh Tuyên Quang'
		END,
		proxy, CASE WHEN proxy THEN proxy_name END,
		split_part(proc, '|', 2) || ' - ' || full_name,
		status, submitted, received, due, result_at, returned_at,
		CASE WHEN channel = 2 AND motcua.seed_pick(i, 33, 10) < 3 THEN 2
			 WHEN motcua.seed_pick(i, 33, 10) = 9 THEN 1 ELSE 0 END,
		fee, fee > 0 AND status IN (9, 10),
		CASE status
			WHEN 3 THEN 'Hồ sơ không đủ thành phần theo quy định: thiếu bản sao giấy tờ tùy thân'
			WHEN 5 THEN 'Đề nghị bổ sung giấy tờ theo Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ'
			WHEN 6 THEN 'Đề nghị nộp phí, lệ phí theo thông báo'
			WHEN 7 THEN 'Công dân nộp đơn đề nghị rút hồ sơ'
			WHEN 8 THEN 'Dừng xử lý theo đề nghị rút hồ sơ của công dân'
		END,
		'mc.' || split_part(clerk, '|', 2), submitted,
		'mc.' || split_part(clerk, '|', 2), coalesce(returned_at, result_at, received, submitted)
	-- OFFSET 0 keeps each step a subquery computed once per row, instead of
	-- copies of its expressions in every later use
	FROM generate_series(1, n) AS g(i)
	CROSS JOIN LATERAL (
		SELECT motcua.seed_pick(i, 1, 2) = 1 AS female,
			   motcua.seed_elem(family, motcua.seed_pick(i, 2, 1000000)) AS family_pair,
			   motcua.seed_elem(procedures, motcua.seed_pick(i, 3, 1000000)) AS proc,
			   motcua.seed_elem(statuses, motcua.seed_pick(i, 4, 1000000))::integer AS drawn_status,
			   make_date(1950 + motcua.seed_pick(i, 5, 56), 1 + motcua.seed_pick(i, 6, 12), 1 + motcua.seed_pick(i, 7, 28)) AS birth,
			   motcua.seed_pick(i, 8, 100) AS id_kind,
			   motcua.seed_pick(i, 9, 100) AS phone_kind,
			   motcua.seed_pick(i, 10, 100) AS mail_kind,
			   CASE WHEN motcua.seed_pick(i, 11, 100) < 40 THEN 2 WHEN motcua.seed_pick(i, 11, 100) < 45 THEN 3 ELSE 1 END AS channel,
			   '0' || motcua.seed_elem(mobile_prefixes, motcua.seed_pick(i, 12, 1000)) || lpad(motcua.seed_pick(i, 13, 10000000)::text, 7, '0') AS mobile,
			   motcua.seed_pick(i, 14, 100) < 8 AS proxy,
			   motcua.seed_elem(staff, motcua.seed_pick(i, 15, 1000)) AS clerk
		OFFSET 0
	) a
	CROSS JOIN LATERAL (
		SELECT split_part(family_pair, '|', 1) || ' ' ||
			   CASE WHEN female THEN motcua.seed_elem(middle_f, motcua.seed_pick(i, 16, 1000000))
					ELSE motcua.seed_elem(middle_m, motcua.seed_pick(i, 16, 1000000)) END || ' ' ||
			   split_part(CASE WHEN female THEN motcua.seed_elem(given_f, motcua.seed_pick(i, 17, 1000))
							   ELSE motcua.seed_elem(given_m, motcua.seed_pick(i, 17, 1000)) END, '|', 1) AS full_name,
			   split_part(family_pair, '|', 2) AS family_ascii,
			   split_part(CASE WHEN female THEN motcua.seed_elem(given_f, motcua.seed_pick(i, 17, 1000))
							   ELSE motcua.seed_elem(given_m, motcua.seed_pick(i, 17, 1000)) END, '|', 2) AS given_ascii,
			   motcua.seed_elem(id_provinces, motcua.seed_pick(i, 18, 1000000))
				   || (CASE WHEN extract(year FROM birth) < 2000 THEN 0 ELSE 2 END + CASE WHEN female THEN 1 ELSE 0 END)
				   || to_char(birth, 'YY') || lpad(motcua.seed_pick(i, 19, 1000000)::text, 6, '0') AS cccd,
			   motcua.seed_elem(family, motcua.seed_pick(i, 20, 1000000)) AS proxy_family,
			   split_part(proc, '|', 5) AS level,
			   split_part(proc, '|', 6)::integer AS days,
			   split_part(proc, '|', 7)::numeric AS fee,
			   -- no financial obligation on a procedure without fees
			   CASE WHEN drawn_status = 6 AND split_part(proc, '|', 7) = '0' THEN 4 ELSE drawn_status END AS status
		OFFSET 0
	) b
	CROSS JOIN LATERAL (
		SELECT CASE level WHEN 'xa' THEN motcua.seed_elem(communes, motcua.seed_pick(i, 21, 1000))
						  WHEN 'huyen' THEN motcua.seed_elem(districts, motcua.seed_pick(i, 21, 1000))
						  ELSE province_unit END AS unit,
			   motcua.seed_elem(communes, motcua.seed_pick(i, 22, 1000)) AS home,
			   -- open and closed dossiers on days of their own, each day's
			   -- sequence a function of i: codes are unique
			   date '2019-07-01' + CASE WHEN status IN (1, 2, 4, 5, 6, 7, 9) THEN 2010 + i % 180 ELSE i % 2010 END AS day,
			   CASE WHEN status IN (1, 2, 4, 5, 6, 7, 9) THEN 1 + i / 180 ELSE 1 + i / 2010 END AS seq,
			   split_part(proxy_family, '|', 1) || ' ' || motcua.seed_elem(middle_f, motcua.seed_pick(i, 23, 1000000)) || ' '
				   || split_part(motcua.seed_elem(given_f, motcua.seed_pick(i, 24, 1000)), '|', 1) AS proxy_name
		OFFSET 0
	) c
	CROSS JOIN LATERAL (
		SELECT split_part(unit, '|', 1) AS unit_code,
			   CASE WHEN level = 'tinh' THEN split_part(proc, '|', 8) ELSE split_part(unit, '|', 1) END AS agency_code,
			   CASE WHEN level = 'tinh' THEN split_part(proc, '|', 9) ELSE split_part(unit, '|', 2) END AS agency,
			   CASE WHEN level = 'tinh' THEN split_part(unit, '|', 2) ELSE split_part(unit, '|', 3) END AS receiving,
			   split_part(CASE WHEN level = 'xa' THEN unit ELSE home END, '|', 4) AS place,
			   CASE WHEN day >= date '2021-01-01' OR motcua.seed_pick(i, 25, 4) > 0 THEN 0
					ELSE 1 + motcua.seed_pick(i, 26, 3) END AS old_code,
			   CASE WHEN channel = 2 THEN day + make_interval(mins => motcua.seed_pick(i, 27, 1440))
					ELSE day + time '07:30' + make_interval(mins => motcua.seed_pick(i, 27, 510)) END AS submitted
		OFFSET 0
	) d
	CROSS JOIN LATERAL (
		SELECT CASE WHEN status IN (1, 3) THEN NULL
					WHEN channel = 2 THEN submitted::date + 1 + time '08:00' + make_interval(mins => motcua.seed_pick(i, 28, 240))
					ELSE submitted + make_interval(mins => 2 + motcua.seed_pick(i, 28, 18)) END AS received
		OFFSET 0
	) e
	CROSS JOIN LATERAL (
		SELECT CASE WHEN received IS NULL THEN NULL
					WHEN days = 0 THEN received + interval '2 hours'
					ELSE received::date + ceil(days * 1.4)::integer + time '16:30' END AS due
		OFFSET 0
	) f
	CROSS JOIN LATERAL (
		-- mostly on time, one in ten two days late
		SELECT CASE WHEN status IN (9, 10) THEN
						greatest(received + interval '30 minutes',
								 due - make_interval(days => motcua.seed_pick(i, 29, 3), mins => motcua.seed_pick(i, 34, 420))
									 + CASE WHEN motcua.seed_pick(i, 37, 10) = 0 THEN interval '2 days' ELSE interval '0' END)
			   END AS result_at
		OFFSET 0
	) h
	CROSS JOIN LATERAL (
		SELECT CASE WHEN status = 10 THEN
						greatest(result_at + interval '10 minutes',
								 result_at::date + motcua.seed_pick(i, 35, 4) + time '07:30'
									 + make_interval(mins => motcua.seed_pick(i, 38, 540)))
			   END AS returned_at
		OFFSET 0
	) r
	ORDER BY i;

	-- the steps each generated dossier has been through, by its status
	INSERT INTO motcua.qua_trinh_xu_ly (ma_ho_so, ma_buoc, ten_buoc, can_bo_xu_ly, don_vi_xu_ly, noi_dung, han_xu_ly, thoi_gian)
	SELECT h.ma_ho_so, s.ma_buoc, s.ten_buoc,
		   split_part(motcua.seed_elem(staff, motcua.seed_pick(h.id, 40 + s.k, 1000)), '|', 1),
		   CASE WHEN s.ma_buoc IN ('TIEP_NHAN', 'TU_CHOI', 'TRA_KET_QUA') THEN h.noi_tiep_nhan ELSE h.co_quan_giai_quyet END,
		   s.noi_dung,
		   h.ngay_hen_tra,
		   CASE WHEN s.ma_buoc = 'TU_CHOI' THEN h.ngay_nop + interval '15 minutes'
				WHEN s.ma_buoc = 'TRA_KET_QUA' THEN h.ngay_tra
				WHEN s.k = 1 THEN h.ngay_tiep_nhan
				ELSE h.ngay_tiep_nhan + (coalesce(h.ngay_ket_thuc_xu_ly, h.ngay_hen_tra) - h.ngay_tiep_nhan) * s.k / 6
		   END
	FROM motcua.ho_so h
	JOIN (VALUES
		(1, 'TIEP_NHAN', 'Tiếp nhận hồ sơ', 'Tiếp nhận hồ sơ, cấp giấy tiếp nhận và hẹn trả kết quả', ARRAY[2, 4, 5, 6, 7, 8, 9, 10]),
		(1, 'TU_CHOI', 'Từ chối tiếp nhận', 'Hồ sơ không đủ điều kiện tiếp nhận', ARRAY[3]),
		(2, 'PHAN_CONG', 'Phân công thụ lý', 'Chuyển phòng chuyên môn thụ lý', ARRAY[4, 5, 6, 9, 10]),
		(3, 'YEU_CAU_BO_SUNG', 'Yêu cầu bổ sung hồ sơ', 'Đề nghị bổ sung giấy tờ theo phiếu yêu cầu', ARRAY[5]),
		(3, 'THAM_DINH', 'Thẩm định hồ sơ', 'Hồ sơ đủ điều kiện, đề xuất giải quyết', ARRAY[4, 6, 9, 10]),
		(4, 'TRINH_KY', 'Trình lãnh đạo ký', 'Trình lãnh đạo ký duyệt kết quả', ARRAY[9, 10]),
		(5, 'KY_DUYET', 'Lãnh đạo ký duyệt', 'Đã ký, chuyển bộ phận một cửa', ARRAY[9, 10]),
		(6, 'TRA_KET_QUA', 'Trả kết quả', 'Đã trả kết quả cho công dân', ARRAY[10])
	) AS s(k, ma_buoc, ten_buoc, noi_dung, at_status) ON h.trang_thai_id = ANY (s.at_status)
	-- half the dossiers being processed have not been appraised yet
	WHERE NOT (s.ma_buoc = 'THAM_DINH' AND h.trang_thai_id = 4 AND motcua.seed_pick(h.id, 36, 2) = 0)
	ORDER BY h.id, s.k;

	SELECT coalesce(max(id), 0) INTO last_generated FROM motcua.ho_so;

	-- the named dossiers (table at the top of this file), in that order
	INSERT INTO motcua.ho_so (ma_ho_so, ma_thu_tuc, ten_thu_tuc, ma_linh_vuc, ten_linh_vuc, ma_co_quan,
		co_quan_giai_quyet, ma_noi_tiep_nhan, noi_tiep_nhan, kenh_nop, loai_doi_tuong, chu_ho_so, gioi_tinh,
		ngay_sinh, loai_giay_to, so_giay_to, so_dien_thoai, dia_chi, trich_yeu, trang_thai_id,
		ngay_nop, ngay_tiep_nhan, ngay_hen_tra, ngay_ket_thuc_xu_ly, phi_le_phi, da_thanh_toan,
		nguoi_tao, ngay_tao, nguoi_cap_nhat, ngay_cap_nhat)
	SELECT code, split_part(proc, '|', 1), split_part(proc, '|', 2), split_part(proc, '|', 3),
		   split_part(proc, '|', 4), split_part(proc, '|', 5), split_part(proc, '|', 6),
		   '000.00.04.H60', 'Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang', channel, kind, name, sex,
		   birth, id_type, id_number, phone, 'Tổ 5, phường Minh Xuân, thành phố Tuyên Quang, tỉnh Tuyên Quang',
		   split_part(proc, '|', 2) || ' - ' || name, status,
		   submitted, received, due, result_at, split_part(proc, '|', 7)::numeric, status = 9,
		   'mc.lannt', submitted, 'mc.lannt', coalesce(result_at, received, submitted)
	FROM (VALUES
		(1, '000.00.04.H60-250701-0001', 'KS', 2, 1, 'Nguyễn Văn An', 1, date '1990-05-12', 1, '008090001234', '0912 345 678', 1),
		(2, '000.00.04.H60-250701-0002', 'KH', 1, 1, 'Lê Thị Bích Ngọc', 2, date '1990-11-03', 1, '008190004567', '+84 987 654 321', 2),
		(3, '000.00.04.H60-250701-0003', 'XD', 1, 1, 'Hoàng Đức Thắng', 1, date '1985-02-20', 1, '008085012345', '0388.123.456', 4),
		(4, '000.00.04.H60-250701-0004', 'HKD', 1, 1, 'Phạm Thị Thu Hà', 2, date '1978-08-08', 1, '008178003456', '84 968 111 222', 9),
		(5, '000.00.04.h60-250701-0005', 'KS', 1, 1, 'Đỗ Minh Khoa', 1, date '2001-01-15', 1, '001201009876', '0977123456', 2),
		(6, '000.00.04.H60-250230-0006', 'KH', 1, 1, 'Bùi Văn Hải', 1, date '1969-04-30', 1, '008069007788', '0915 000 111', 2),
		(7, '000.00.04.H60–250701–0007', 'XD', 1, 1, 'Ngô Thị Lan', 2, date '1972-12-01', 1, '008172001122', '0983 222 444', 4),
		(8, '000.00.04.H60-250701-0008', 'KS', 1, 1, 'Ma Văn Sơn', 1, date '1970-06-06', 1, '008070002345', '0207 3822 456', 2),
		(9, '000.00.04.H60-250701-0009', 'KH', 1, 1, 'Nông Thị Hoa', 2, date '1980-03-03', 1, '008180006789', '0168 234 5678', 2),
		(10, '000.00.04.H60-250701-0010', 'KS', 1, 1, 'Triệu Văn Long', 1, date '1995-09-09', 1, '12345', '', 2),
		(11, '000.00.04.H60-250701-0011', 'KH', 1, 1, 'Lương Thị Thanh Huyền', 2, date '1998-07-07', 3, 'C1234567', '0326 555 777', 2),
		(12, '000.00.04.H60-250701-0012', 'RU', 1, 2, 'Công ty TNHH Chè Mỹ Lâm', NULL, NULL, 4, '5000123456', '0915 678 901', 4),
		(13, '000.00.04.H60-250701-0013', 'KS', 1, 1, E'Trần Thị\tHoa', 2, date '1988-10-10', 1, '008188004321', '0868 456 123', 2),
		(14, '000.00.04.H60-250701-0014', 'KS', 1, 1, normalize('Nguyễn Thị Hương', NFD), 2, date '1992-02-29', 1, '008192008765', '0703 111 999', 2),
		(15, '000.00.04.H60-250701-0015', 'XD', 1, 1, 'Đặng Văn Bình', 1, date '1983-01-01', 1, '008083005555', '0945 123 789', 2),
		(16, '000.00.04.H60-250701-0016', 'KS', 1, 1, '', NULL, NULL, NULL, NULL, '0356 789 012', 2)
	) AS v(ord, code, proc_key, channel, kind, name, sex, birth, id_type, id_number, phone, status)
	CROSS JOIN LATERAL (
		-- ma_tthc|ten_thu_tuc|ma_linh_vuc|ten_linh_vuc|agency code|agency|fee
		SELECT CASE proc_key
				   WHEN 'KS' THEN '1.001193|Đăng ký khai sinh|HT|Hộ tịch|000.20.31.H60|UBND phường Minh Xuân|0'
				   WHEN 'KH' THEN '1.000894|Đăng ký kết hôn|HT|Hộ tịch|000.20.31.H60|UBND phường Minh Xuân|0'
				   WHEN 'XD' THEN '1.009994|Cấp giấy phép xây dựng đối với công trình, nhà ở riêng lẻ|XD|Hoạt động xây dựng|000.00.31.H60|UBND thành phố Tuyên Quang|75000'
				   WHEN 'HKD' THEN '2.000720|Đăng ký thành lập hộ kinh doanh|HKD|Thành lập và hoạt động của hộ kinh doanh|000.00.31.H60|UBND thành phố Tuyên Quang|100000'
				   WHEN 'RU' THEN '2.000633|Cấp Giấy phép bán lẻ rượu|LTHH|Lưu thông hàng hóa trong nước|000.00.31.H60|UBND thành phố Tuyên Quang|1200000'
			   END AS proc,
			   timestamp '2025-07-01 08:00' + make_interval(mins => 5 * ord) AS submitted
	) p
	CROSS JOIN LATERAL (
		SELECT CASE WHEN status = 1 THEN NULL ELSE submitted + interval '10 minutes' END AS received
	) r
	CROSS JOIN LATERAL (
		SELECT CASE WHEN ord = 15 THEN timestamp '2024-07-15 16:30'
					WHEN received IS NULL THEN NULL
					ELSE received::date + 7 + time '16:30' END AS due,
			   CASE WHEN status = 9 THEN received::date + 5 + time '10:00' END AS result_at
	) d
	ORDER BY ord;

	-- the old Sở Tư pháp dossier: criminal-record certificate, CMND, 2019;
	-- then the steps of the named dossiers
	INSERT INTO motcua.ho_so (ma_ho_so, ma_thu_tuc, ten_thu_tuc, ma_linh_vuc, ten_linh_vuc, ma_co_quan,
		co_quan_giai_quyet, ma_noi_tiep_nhan, noi_tiep_nhan, kenh_nop, chu_ho_so, gioi_tinh, ngay_sinh,
		loai_giay_to, so_giay_to, so_dien_thoai, dia_chi, trich_yeu, trang_thai_id, ngay_nop, ngay_tiep_nhan,
		ngay_hen_tra, ngay_ket_thuc_xu_ly, phi_le_phi, da_thanh_toan, nguoi_tao, ngay_tao, nguoi_cap_nhat,
		ngay_cap_nhat)
	VALUES ('STP/LLTP/2019/00042', '2.000488',
		'Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam',
		'LLTP', 'Lý lịch tư pháp', '000.00.12.H60', 'Sở Tư pháp tỉnh Tuyên Quang', '000.00.12.H60',
		'Bộ phận Một cửa Sở Tư pháp tỉnh Tuyên Quang', 1, 'Vũ Thị Mai', 2, date '1987-04-18', 2, '070123456',
		'0914 222 333', 'Số 8, đường Tân Trào, tổ 12, phường Tân Quang, thành phố Tuyên Quang, tỉnh Tuyên Quang',
		'Cấp Phiếu lý lịch tư pháp số 1 - Vũ Thị Mai', 9, timestamp '2019-09-16 09:12', timestamp '2019-09-16 09:20',
		timestamp '2019-10-01 16:30', timestamp '2019-09-27 15:00', 200000, true, 'stp.motcua',
		timestamp '2019-09-16 09:12', 'stp.motcua', timestamp '2019-09-27 15:00');

	INSERT INTO motcua.qua_trinh_xu_ly (ma_ho_so, ma_buoc, ten_buoc, can_bo_xu_ly, don_vi_xu_ly, noi_dung, thoi_gian)
	SELECT h.ma_ho_so, s.ma_buoc, s.ten_buoc, s.can_bo,
		   CASE WHEN s.k = 1 THEN h.noi_tiep_nhan ELSE h.co_quan_giai_quyet END, s.noi_dung, h.ngay_tiep_nhan + s.after
	FROM motcua.ho_so h
	JOIN (VALUES
		(1, 'TIEP_NHAN', 'Tiếp nhận hồ sơ', 'Nguyễn Thị Lan', 'Tiếp nhận hồ sơ, cấp giấy tiếp nhận và hẹn trả kết quả', interval '0', ARRAY[2, 4, 9]),
		(2, 'PHAN_CONG', 'Phân công thụ lý', 'Trần Văn Hùng', 'Phân công cán bộ thụ lý', interval '30 minutes', ARRAY[4, 9]),
		(3, 'THAM_DINH', 'Thẩm định hồ sơ', 'Lê Thu Trang', 'Hồ sơ hợp lệ, đề xuất giải quyết', interval '1 day', ARRAY[9]),
		(4, 'TRINH_KY', 'Trình lãnh đạo ký', 'Lê Thu Trang', 'Trình lãnh đạo ký duyệt kết quả', interval '2 days', ARRAY[9]),
		(5, 'KY_DUYET', 'Lãnh đạo ký duyệt', 'Phạm Quang Minh', 'Đã ký, chuyển bộ phận một cửa', interval '3 days', ARRAY[9])
	) AS s(k, ma_buoc, ten_buoc, can_bo, noi_dung, after, at_status) ON h.trang_thai_id = ANY (s.at_status)
	WHERE h.id > last_generated
	ORDER BY h.id, s.k;

	SELECT count(*) INTO dossiers FROM motcua.ho_so;
	RETURN dossiers;
END
$$;
COMMENT ON FUNCTION motcua.seed(integer) IS
	'Sinh n hồ sơ mẫu xác định (cùng n, cùng dữ liệu) và các bước xử lý, rồi 17 hồ sơ có tên dùng trong kiểm thử; trả về số hồ sơ đã thêm.';
