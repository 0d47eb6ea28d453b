-- Sample data for `make demo`: citizens who follow the province's Zalo
-- Official Account, and dossiers of a provincial one-stop centre.
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, id_number, display_name, followed_at)
VALUES ('2468458835296197922', '+84912345678', NULL, 'Nguyễn Văn An', now() - interval '30 days'),
	   ('3579569946307208033', NULL, '008185000123', 'Trần Thị Bình', now() - interval '12 days'),
	   ('4680670057418319144', '+84987001122', NULL, 'Lê Hoàng Cường', now() - interval '3 days');

INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
	channel, applicant_name, applicant_id_number, applicant_phone, due_at, return_method)
VALUES
	('000.00.04.H60-261124-0001', 'Cấp giấy phép xây dựng nhà ở riêng lẻ', 'Xây dựng',
	 'UBND phường Minh Xuân', 'Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang', 2,
	 'Nguyễn Văn An', '008090001234', '0912 345 678', now() + interval '15 days', 0),
	('000.00.04.H60-261124-0002', 'Đăng ký khai sinh', 'Hộ tịch',
	 'UBND xã An Tường', 'Bộ phận một cửa UBND xã An Tường', 1,
	 'Trần Thị Bình', '008185000123', NULL, now() + interval '3 days', 0),
	('000.00.04.H60-261124-0003', 'Cấp phiếu lý lịch tư pháp số 1', 'Lý lịch tư pháp',
	 'Sở Tư pháp tỉnh Tuyên Quang', 'Trung tâm Phục vụ hành chính công tỉnh Tuyên Quang', 2,
	 'Phạm Thị Dung', '008190004567', '0978 112 233', now() + interval '10 days', 1),
	('000.00.04.H60-261124-0004', 'Cấp giấy chứng nhận quyền sử dụng đất lần đầu', 'Đất đai',
	 'Sở Nông nghiệp và Môi trường tỉnh Tuyên Quang', 'Chi nhánh Văn phòng đăng ký đất đai', 1,
	 'Lê Hoàng Cường', '008088007890', '+84 987 001 122', now() + interval '30 days', 0),
	('000.00.04.H60-261124-0005', 'Đăng ký thành lập hộ kinh doanh', 'Thành lập và hoạt động của hộ kinh doanh',
	 'UBND phường Phan Thiết', 'Bộ phận một cửa UBND phường Phan Thiết', 2,
	 'Đặng Thị Hương', '008191002468', NULL, now() + interval '5 days', 2);

-- The receipt slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) of dossier 0001:
-- once its "received" message is sent, the worker uploads this PDF and sends
-- it to the citizen as a Zalo file message.
INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
SELECT id, 'giay-tiep-nhan-0001.pdf',
	   convert_to(E'%PDF-1.4\n% Giấy tiếp nhận hồ sơ và hẹn trả kết quả ' || code || E'\n%%EOF\n', 'UTF8')
FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-261124-0001';
