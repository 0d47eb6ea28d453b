-- A province's one-stop system ("Hệ thống thông tin giải quyết TTHC tỉnh"),
-- as a vendor's iGate-like application has it: the part of its schema that
-- zalo_tthc.attach() and attach_steps() are attached to in the tests and in
-- bench/attach.sh.  It knows nothing of zalo_tthc: column names are the
-- vendor's (Vietnamese without diacritics), statuses are the national DVC
-- list 1–10 in a catalogue table, timestamps are local time without time
-- zone, phone and ID numbers are stored as the clerk typed them.
--
-- Load with psql into any database (no extension needed):
--   psql -f test/onestop/schema.sql -f test/onestop/seed.sql -c 'SELECT motcua.seed(1000)'

CREATE SCHEMA motcua;
COMMENT ON SCHEMA motcua IS
	'Hệ thống một cửa điện tử tỉnh: hồ sơ thủ tục hành chính, danh mục và quá trình xử lý.';

-- ---------------------------------------------------------------------
-- Danh mục trạng thái hồ sơ (the national DVC status list)
-- ---------------------------------------------------------------------

CREATE TABLE motcua.dm_trang_thai (
	id			integer PRIMARY KEY,
	ma			varchar(30) NOT NULL UNIQUE,
	ten			varchar(200) NOT NULL,
	mo_ta		text,
	ket_thuc	boolean NOT NULL DEFAULT false,
	thu_tu		smallint NOT NULL,
	su_dung		boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE motcua.dm_trang_thai IS
	'Danh mục trạng thái hồ sơ, theo danh mục TrangThaiHoSo đồng bộ với Cổng Dịch vụ công quốc gia (1–10).';
COMMENT ON COLUMN motcua.dm_trang_thai.id IS 'Mã trạng thái (số), như trên Cổng DVC quốc gia.';
COMMENT ON COLUMN motcua.dm_trang_thai.ma IS 'Mã trạng thái dạng chữ, dùng trong giao diện và báo cáo.';
COMMENT ON COLUMN motcua.dm_trang_thai.ten IS 'Tên trạng thái.';
COMMENT ON COLUMN motcua.dm_trang_thai.mo_ta IS 'Mô tả.';
COMMENT ON COLUMN motcua.dm_trang_thai.ket_thuc IS 'Trạng thái kết thúc: hồ sơ không còn được xử lý.';
COMMENT ON COLUMN motcua.dm_trang_thai.thu_tu IS 'Thứ tự hiển thị.';
COMMENT ON COLUMN motcua.dm_trang_thai.su_dung IS 'Còn sử dụng.';

INSERT INTO motcua.dm_trang_thai (id, ma, ten, mo_ta, ket_thuc, thu_tu)
VALUES
	(1, 'MOI_DANG_KY', 'Mới đăng ký', 'Hồ sơ nộp trực tuyến hoặc mới nhập, chưa được tiếp nhận', false, 1),
	(2, 'DUOC_TIEP_NHAN', 'Được tiếp nhận', 'Đã tiếp nhận, cấp giấy tiếp nhận và hẹn trả kết quả', false, 2),
	(3, 'KHONG_DUOC_TIEP_NHAN', 'Không được tiếp nhận', 'Từ chối tiếp nhận, có phiếu từ chối', true, 3),
	(4, 'DANG_XU_LY', 'Đang xử lý', 'Đã chuyển phòng chuyên môn thụ lý', false, 4),
	(5, 'YEU_CAU_BO_SUNG', 'Yêu cầu bổ sung giấy tờ', 'Đã gửi phiếu yêu cầu bổ sung, hoàn thiện hồ sơ', false, 5),
	(6, 'YEU_CAU_NVTC', 'Yêu cầu thực hiện nghĩa vụ tài chính', 'Chờ công dân nộp phí, lệ phí, thuế', false, 6),
	(7, 'CONG_DAN_YEU_CAU_RUT', 'Công dân yêu cầu rút hồ sơ', 'Công dân có đơn đề nghị rút hồ sơ', false, 7),
	(8, 'DUNG_XU_LY', 'Dừng xử lý', 'Dừng xử lý, trả lại hồ sơ', true, 8),
	(9, 'DA_XU_LY_XONG', 'Đã xử lý xong', 'Đã có kết quả, chờ trả cho công dân', false, 9),
	(10, 'DA_TRA_KET_QUA', 'Đã trả kết quả', 'Đã trả kết quả cho công dân', true, 10);

-- ---------------------------------------------------------------------
-- Hồ sơ thủ tục hành chính
-- ---------------------------------------------------------------------

CREATE TABLE motcua.ho_so (
	id			bigserial PRIMARY KEY,
	ma_ho_so	varchar(50) NOT NULL UNIQUE,
	ma_ho_so_dvcqg varchar(50),
	ma_thu_tuc	varchar(50),
	ten_thu_tuc	varchar(500) NOT NULL,
	ma_linh_vuc	varchar(50),
	ten_linh_vuc varchar(300),
	ma_co_quan	varchar(50),
	co_quan_giai_quyet varchar(300),
	ma_noi_tiep_nhan varchar(50),
	noi_tiep_nhan varchar(300),
	kenh_nop	smallint NOT NULL DEFAULT 1,
	loai_doi_tuong smallint NOT NULL DEFAULT 1,
	chu_ho_so	varchar(200) NOT NULL,
	gioi_tinh	smallint,
	ngay_sinh	date,
	loai_giay_to smallint,
	so_giay_to	varchar(20),
	so_dien_thoai varchar(30),
	email		varchar(200),
	dia_chi		text,
	uy_quyen	boolean NOT NULL DEFAULT false,
	nguoi_nop	varchar(200),
	trich_yeu	text,
	trang_thai_id integer NOT NULL REFERENCES motcua.dm_trang_thai (id),
	ngay_nop	timestamp,
	ngay_tiep_nhan timestamp,
	ngay_hen_tra timestamp,
	ngay_ket_thuc_xu_ly timestamp,
	ngay_tra	timestamp,
	hinh_thuc_tra smallint NOT NULL DEFAULT 0,
	phi_le_phi	numeric(14, 0),
	da_thanh_toan boolean NOT NULL DEFAULT false,
	ghi_chu		text,
	nguoi_tao	varchar(100),
	ngay_tao	timestamp NOT NULL DEFAULT now(),
	nguoi_cap_nhat varchar(100),
	ngay_cap_nhat timestamp DEFAULT now(),
	da_xoa		boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE motcua.ho_so IS
	'Hồ sơ thủ tục hành chính: một dòng cho mỗi hồ sơ tiếp nhận tại bộ phận một cửa hoặc nộp trực tuyến.';
COMMENT ON COLUMN motcua.ho_so.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN motcua.ho_so.ma_ho_so IS 'Mã hồ sơ (số biên nhận), dạng 000.00.04.H60-240315-0001 theo Thông tư 01/2018/TT-VPCP; hồ sơ cũ có mã theo mẫu riêng của đơn vị.';
COMMENT ON COLUMN motcua.ho_so.ma_ho_so_dvcqg IS 'Mã hồ sơ trên Cổng Dịch vụ công quốc gia (hồ sơ nộp qua Cổng).';
COMMENT ON COLUMN motcua.ho_so.ma_thu_tuc IS 'Mã thủ tục hành chính trên Cơ sở dữ liệu quốc gia về TTHC.';
COMMENT ON COLUMN motcua.ho_so.ten_thu_tuc IS 'Tên thủ tục hành chính.';
COMMENT ON COLUMN motcua.ho_so.ma_linh_vuc IS 'Mã lĩnh vực.';
COMMENT ON COLUMN motcua.ho_so.ten_linh_vuc IS 'Tên lĩnh vực.';
COMMENT ON COLUMN motcua.ho_so.ma_co_quan IS 'Mã định danh cơ quan giải quyết (QCVN 102:2016/BTTTT).';
COMMENT ON COLUMN motcua.ho_so.co_quan_giai_quyet IS 'Tên cơ quan giải quyết.';
COMMENT ON COLUMN motcua.ho_so.ma_noi_tiep_nhan IS 'Mã định danh đơn vị tiếp nhận; là phần đầu của mã hồ sơ.';
COMMENT ON COLUMN motcua.ho_so.noi_tiep_nhan IS 'Tên đơn vị tiếp nhận (bộ phận một cửa, trung tâm phục vụ hành chính công).';
COMMENT ON COLUMN motcua.ho_so.kenh_nop IS 'Kênh nộp: 1 trực tiếp, 2 trực tuyến, 3 qua bưu chính công ích.';
COMMENT ON COLUMN motcua.ho_so.loai_doi_tuong IS 'Loại đối tượng: 1 công dân, 2 tổ chức, doanh nghiệp.';
COMMENT ON COLUMN motcua.ho_so.chu_ho_so IS 'Họ tên chủ hồ sơ (hoặc tên tổ chức).';
COMMENT ON COLUMN motcua.ho_so.gioi_tinh IS 'Giới tính: 1 nam, 2 nữ.';
COMMENT ON COLUMN motcua.ho_so.ngay_sinh IS 'Ngày sinh của chủ hồ sơ.';
COMMENT ON COLUMN motcua.ho_so.loai_giay_to IS 'Loại giấy tờ tùy thân: 1 CCCD, 2 CMND, 3 hộ chiếu, 4 mã số thuế.';
COMMENT ON COLUMN motcua.ho_so.so_giay_to IS 'Số giấy tờ tùy thân (CCCD 12 số, CMND 9 số), như cán bộ nhập, không kiểm tra.';
COMMENT ON COLUMN motcua.ho_so.so_dien_thoai IS 'Số điện thoại liên hệ, như cán bộ hoặc công dân nhập (có dấu cách, dấu chấm, +84…).';
COMMENT ON COLUMN motcua.ho_so.email IS 'Thư điện tử.';
COMMENT ON COLUMN motcua.ho_so.dia_chi IS 'Địa chỉ thường trú hoặc liên hệ.';
COMMENT ON COLUMN motcua.ho_so.uy_quyen IS 'Nộp thay theo ủy quyền.';
COMMENT ON COLUMN motcua.ho_so.nguoi_nop IS 'Họ tên người nộp thay (khi ủy quyền).';
COMMENT ON COLUMN motcua.ho_so.trich_yeu IS 'Trích yếu nội dung hồ sơ ("Về việc").';
COMMENT ON COLUMN motcua.ho_so.trang_thai_id IS 'Trạng thái hồ sơ (danh mục dm_trang_thai, 1–10).';
COMMENT ON COLUMN motcua.ho_so.ngay_nop IS 'Ngày nộp hồ sơ (giờ Việt Nam).';
COMMENT ON COLUMN motcua.ho_so.ngay_tiep_nhan IS 'Ngày tiếp nhận hồ sơ.';
COMMENT ON COLUMN motcua.ho_so.ngay_hen_tra IS 'Ngày hẹn trả kết quả.';
COMMENT ON COLUMN motcua.ho_so.ngay_ket_thuc_xu_ly IS 'Ngày có kết quả (kết thúc xử lý).';
COMMENT ON COLUMN motcua.ho_so.ngay_tra IS 'Ngày trả kết quả cho công dân.';
COMMENT ON COLUMN motcua.ho_so.hinh_thuc_tra IS 'Hình thức trả kết quả: 0 trực tiếp, 1 qua bưu điện, 2 trực tuyến.';
COMMENT ON COLUMN motcua.ho_so.phi_le_phi IS 'Phí, lệ phí phải nộp (đồng).';
COMMENT ON COLUMN motcua.ho_so.da_thanh_toan IS 'Đã thanh toán phí, lệ phí.';
COMMENT ON COLUMN motcua.ho_so.ghi_chu IS 'Ghi chú của lần cập nhật gần nhất (lý do từ chối, nội dung yêu cầu bổ sung…).';
COMMENT ON COLUMN motcua.ho_so.nguoi_tao IS 'Tài khoản tạo hồ sơ.';
COMMENT ON COLUMN motcua.ho_so.ngay_tao IS 'Thời điểm tạo bản ghi.';
COMMENT ON COLUMN motcua.ho_so.nguoi_cap_nhat IS 'Tài khoản cập nhật gần nhất.';
COMMENT ON COLUMN motcua.ho_so.ngay_cap_nhat IS 'Thời điểm cập nhật gần nhất.';
COMMENT ON COLUMN motcua.ho_so.da_xoa IS 'Đã xóa (xóa mềm).';

CREATE INDEX ho_so_trang_thai_idx ON motcua.ho_so (trang_thai_id);
CREATE INDEX ho_so_so_giay_to_idx ON motcua.ho_so (so_giay_to);
CREATE INDEX ho_so_ngay_nop_idx ON motcua.ho_so (ngay_nop);

-- ---------------------------------------------------------------------
-- Quá trình xử lý hồ sơ (the workflow's steps)
--
-- Written by the workflow engine, one row per step a dossier goes
-- through: TIEP_NHAN (tiếp nhận), PHAN_CONG (phân công thụ lý),
-- THAM_DINH (thẩm định), TRINH_KY (trình lãnh đạo ký), KY_DUYET (lãnh đạo
-- đã ký), TRA_KET_QUA (trả kết quả), and YEU_CAU_BO_SUNG, TU_CHOI,
-- CHUYEN_LIEN_THONG.  No foreign key to ho_so, as in many vendors'
-- schemas: the engine writes steps by dossier code.
-- ---------------------------------------------------------------------

CREATE TABLE motcua.qua_trinh_xu_ly (
	id			bigserial PRIMARY KEY,
	ma_ho_so	varchar(50) NOT NULL,
	ma_buoc		varchar(30) NOT NULL,
	ten_buoc	varchar(200),
	can_bo_xu_ly varchar(100),
	don_vi_xu_ly varchar(300),
	noi_dung	text,
	han_xu_ly	timestamp,
	thoi_gian	timestamp NOT NULL DEFAULT now()
);
COMMENT ON TABLE motcua.qua_trinh_xu_ly IS
	'Quá trình xử lý hồ sơ: một dòng cho mỗi bước xử lý (phiếu kiểm soát quá trình giải quyết hồ sơ, Mẫu 05).';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.ma_ho_so IS 'Mã hồ sơ (ho_so.ma_ho_so).';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.ma_buoc IS 'Mã bước: TIEP_NHAN, PHAN_CONG, THAM_DINH, TRINH_KY, KY_DUYET, TRA_KET_QUA, YEU_CAU_BO_SUNG, TU_CHOI, CHUYEN_LIEN_THONG.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.ten_buoc IS 'Tên bước.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.can_bo_xu_ly IS 'Cán bộ thực hiện bước.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.don_vi_xu_ly IS 'Phòng, ban thực hiện bước.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.noi_dung IS 'Nội dung, ý kiến xử lý.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.han_xu_ly IS 'Hạn hoàn thành bước.';
COMMENT ON COLUMN motcua.qua_trinh_xu_ly.thoi_gian IS 'Thời điểm thực hiện bước.';

CREATE INDEX qua_trinh_xu_ly_ma_ho_so_idx ON motcua.qua_trinh_xu_ly (ma_ho_so, thoi_gian);
