-- Stages (giai đoạn xử lý hồ sơ): the stage enum, the rules of each stage
-- (stage_info: label, national status code, whether the citizen is
-- notified), the allowed stage changes (stage_transition) and the message
-- a citizen gets on entering a stage (template).  Operators may edit these
-- tables: every session's cached copy of the rules (src/stage_cache.c) is
-- reloaded when they change, and a restored dump brings their edits back.

CREATE TYPE zalo_tthc.stage AS ENUM (
	'submitted',
	'received',
	'rejected',
	'assigned',
	'appraising',
	'interoperating',
	'signing',
	'supplement_requested',
	'supplement_submitted',
	'payment_requested',
	'payment_confirmed',
	'withdrawal_requested',
	'overdue_apology',
	'result_ready',
	'result_returned',
	'returned'
);
COMMENT ON TYPE zalo_tthc.stage IS
	'Giai đoạn xử lý hồ sơ: the fine-grained stage of a dossier; each maps to a national status code (trạng thái hồ sơ) in zalo_tthc.stage_info.';

CREATE TABLE zalo_tthc.stage_info (
	stage		zalo_tthc.stage PRIMARY KEY,
	label_vi	text NOT NULL,
	status_code	smallint CHECK (status_code BETWEEN 1 AND 10),
	status_label_vi text,
	notifies	boolean NOT NULL,
	is_initial	boolean NOT NULL DEFAULT false,
	is_final	boolean NOT NULL DEFAULT false,
	requires_note boolean NOT NULL DEFAULT false,
	requires_later_due boolean NOT NULL DEFAULT false,
	timestamp_column name CHECK (timestamp_column IN
		('received_at', 'rejected_at', 'result_at', 'returned_at', 'stopped_at'))
);
COMMENT ON TABLE zalo_tthc.stage_info IS
	'Giai đoạn: one row per stage with its Vietnamese label, national status code (trạng thái hồ sơ 1–10) and whether the citizen is notified. Operators may edit labels and the notifies flag.';
COMMENT ON COLUMN zalo_tthc.stage_info.stage IS 'Giai đoạn (stage).';
COMMENT ON COLUMN zalo_tthc.stage_info.label_vi IS 'Tên giai đoạn: Vietnamese label shown to citizens.';
COMMENT ON COLUMN zalo_tthc.stage_info.status_code IS 'Mã trạng thái hồ sơ (national, 1–10) set when the dossier enters this stage; NULL keeps the current status (e.g. overdue_apology).';
COMMENT ON COLUMN zalo_tthc.stage_info.status_label_vi IS 'Tên trạng thái: the national label of status_code.';
COMMENT ON COLUMN zalo_tthc.stage_info.notifies IS 'Thông báo công dân: whether entering this stage sends the citizen a notification.';
COMMENT ON COLUMN zalo_tthc.stage_info.is_initial IS 'Giai đoạn khởi đầu: a new dossier may start in this stage.';
COMMENT ON COLUMN zalo_tthc.stage_info.is_final IS 'Giai đoạn kết thúc: no transition leaves this stage.';
COMMENT ON COLUMN zalo_tthc.stage_info.requires_note IS 'Cần ghi lý do: entering this stage needs dossier.stage_note (the reason or requested content shown to the citizen).';
COMMENT ON COLUMN zalo_tthc.stage_info.requires_later_due IS 'Cần hẹn lại: entering this stage needs due_at moved to a later date in the same UPDATE (Mẫu 04, xin lỗi và hẹn lại).';
COMMENT ON COLUMN zalo_tthc.stage_info.timestamp_column IS 'Dossier column stamped with the time the dossier first enters this stage, if still NULL.';

INSERT INTO zalo_tthc.stage_info
	(stage, label_vi, status_code, status_label_vi, notifies, is_initial, is_final, requires_note,
	 requires_later_due, timestamp_column)
VALUES
	('submitted', 'Nộp hồ sơ', 1, 'Mới đăng ký', true, true, false, false, false, NULL),
	('received', 'Tiếp nhận hồ sơ', 2, 'Được tiếp nhận', true, true, false, false, false, 'received_at'),
	('rejected', 'Từ chối tiếp nhận', 3, 'Không được tiếp nhận', true, false, true, true, false, 'rejected_at'),
	('assigned', 'Phân công thụ lý', 4, 'Đang xử lý', true, false, false, false, false, NULL),
	('appraising', 'Thẩm định hồ sơ', 4, 'Đang xử lý', true, false, false, false, false, NULL),
	('interoperating', 'Chuyển liên thông', 4, 'Đang xử lý', false, false, false, false, false, NULL),
	('signing', 'Trình ký, ký duyệt', 4, 'Đang xử lý', true, false, false, false, false, NULL),
	('supplement_requested', 'Yêu cầu bổ sung, hoàn thiện hồ sơ', 5, 'Yêu cầu bổ sung giấy tờ', true, false, false, true, false, NULL),
	('supplement_submitted', 'Đã bổ sung hồ sơ', 4, 'Đang xử lý', true, false, false, false, false, NULL),
	('payment_requested', 'Yêu cầu thực hiện nghĩa vụ tài chính', 6, 'Yêu cầu thực hiện nghĩa vụ tài chính', true, false, false, false, false, NULL),
	('payment_confirmed', 'Đã thanh toán phí, lệ phí', NULL, NULL, false, false, false, false, false, NULL),
	('withdrawal_requested', 'Công dân yêu cầu rút hồ sơ', 7, 'Công dân yêu cầu rút hồ sơ', true, false, false, false, false, NULL),
	('overdue_apology', 'Xin lỗi và hẹn lại ngày trả kết quả', NULL, NULL, true, false, false, true, true, NULL),
	('result_ready', 'Đã có kết quả', 9, 'Đã xử lý xong', true, false, false, false, false, 'result_at'),
	('result_returned', 'Đã trả kết quả', 10, 'Đã trả kết quả', true, false, true, false, false, 'returned_at'),
	('returned', 'Dừng xử lý, trả lại hồ sơ', 8, 'Dừng xử lý', true, false, true, true, false, 'stopped_at');

CREATE TABLE zalo_tthc.stage_transition (
	from_stage	zalo_tthc.stage NOT NULL,
	to_stage	zalo_tthc.stage NOT NULL,
	PRIMARY KEY (from_stage, to_stage),
	CHECK (from_stage <> to_stage)
);
COMMENT ON TABLE zalo_tthc.stage_transition IS
	'Chuyển giai đoạn hợp lệ: the allowed stage transitions. A stage change not listed here is refused. DBAs may add rows to allow more.';
COMMENT ON COLUMN zalo_tthc.stage_transition.from_stage IS 'Giai đoạn hiện tại (stage before).';
COMMENT ON COLUMN zalo_tthc.stage_transition.to_stage IS 'Giai đoạn tiếp theo (stage after).';

INSERT INTO zalo_tthc.stage_transition (from_stage, to_stage)
VALUES
	('submitted', 'received'),
	('submitted', 'rejected'),
	('submitted', 'withdrawal_requested'),
	('received', 'assigned'),
	('received', 'supplement_requested'),
	('received', 'payment_requested'),
	('received', 'withdrawal_requested'),
	('received', 'returned'),
	('assigned', 'appraising'),
	('assigned', 'interoperating'),
	('assigned', 'supplement_requested'),
	('assigned', 'payment_requested'),
	('assigned', 'withdrawal_requested'),
	('assigned', 'returned'),
	('appraising', 'signing'),
	('appraising', 'interoperating'),
	('appraising', 'supplement_requested'),
	('appraising', 'payment_requested'),
	('appraising', 'withdrawal_requested'),
	('appraising', 'returned'),
	('interoperating', 'appraising'),
	('interoperating', 'signing'),
	('interoperating', 'result_ready'),
	('interoperating', 'returned'),
	('supplement_requested', 'supplement_submitted'),
	('supplement_requested', 'withdrawal_requested'),
	('supplement_requested', 'returned'),
	('supplement_submitted', 'assigned'),
	('supplement_submitted', 'appraising'),
	('supplement_submitted', 'supplement_requested'),
	('supplement_submitted', 'returned'),
	('payment_requested', 'payment_confirmed'),
	('payment_requested', 'withdrawal_requested'),
	('payment_requested', 'returned'),
	('payment_confirmed', 'assigned'),
	('payment_confirmed', 'appraising'),
	('payment_confirmed', 'signing'),
	('payment_confirmed', 'result_ready'),
	('withdrawal_requested', 'returned'),
	('signing', 'appraising'),
	('signing', 'result_ready'),
	('signing', 'returned'),
	('result_ready', 'result_returned'),
	-- overdue_apology (Mẫu 04) from any open stage, and back into processing
	('received', 'overdue_apology'),
	('assigned', 'overdue_apology'),
	('appraising', 'overdue_apology'),
	('interoperating', 'overdue_apology'),
	('supplement_submitted', 'overdue_apology'),
	('payment_confirmed', 'overdue_apology'),
	('signing', 'overdue_apology'),
	('overdue_apology', 'assigned'),
	('overdue_apology', 'appraising'),
	('overdue_apology', 'interoperating'),
	('overdue_apology', 'supplement_requested'),
	('overdue_apology', 'signing'),
	('overdue_apology', 'result_ready'),
	('overdue_apology', 'returned');

-- ---------------------------------------------------------------------
-- Message templates (mẫu tin nhắn)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.template (
	stage		zalo_tthc.stage PRIMARY KEY,
	header		text NOT NULL CHECK (length(header) <= 100),
	body		text NOT NULL CHECK (length(body) <= 1000),
	table_rows	jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(table_rows) = 'array'),
	buttons		jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(buttons) = 'array' AND jsonb_array_length(buttons) <= 4),
	status_style text NOT NULL DEFAULT 'blue' CHECK (status_style IN ('green', 'blue', 'yellow', 'red', 'grey')),
	zbs_template_id text,
	zbs_params	jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(zbs_params) = 'object'),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	by_phone	boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE zalo_tthc.template IS
	'Mẫu tin nhắn: the approved ZBS template that carries each stage, to a follower by user id and by phone, with the values of its parameters.  Placeholders such as {{ma_ho_so}} are filled from the dossier and its event when the message is sent.  header, body, table_rows, buttons and status_style make the older OA transaction message, sent only with zalo_tthc.follower_message = transaction.';
COMMENT ON COLUMN zalo_tthc.template.stage IS 'Giai đoạn.';
COMMENT ON COLUMN zalo_tthc.template.header IS 'Tiêu đề tin (header element of the transaction message).';
COMMENT ON COLUMN zalo_tthc.template.body IS 'Nội dung tin (text element of the transaction message; <br> for line breaks).';
COMMENT ON COLUMN zalo_tthc.template.table_rows IS 'Bảng thông tin of the transaction message: array of {"key","value"}; the identifying "Mã hồ sơ" row is always added first.';
COMMENT ON COLUMN zalo_tthc.template.buttons IS 'Nút bấm of the transaction message (at most 4): array of {"title","type","payload"}.';
COMMENT ON COLUMN zalo_tthc.template.status_style IS 'Màu của dòng "Trạng thái" in the transaction message: green, blue, yellow, red or grey.';
COMMENT ON COLUMN zalo_tthc.template.zbs_template_id IS 'Mã mẫu ZBS đã duyệt: the Zalo template id that carries this stage, by user id and by phone; one template may serve several stages.  NULL = the stage is not sent.';
COMMENT ON COLUMN zalo_tthc.template.zbs_params IS 'Tham số mẫu ZBS: object mapping each parameter registered with the template to a text with placeholders, e.g. {"ma_ho_so": "{{ma_ho_so}}"}.  Each value is cut to the parameter''s maximum length as Zalo reports it (30 characters until known).';
COMMENT ON COLUMN zalo_tthc.template.updated_at IS 'Thời điểm cập nhật.';
COMMENT ON COLUMN zalo_tthc.template.by_phone IS 'Gửi qua số điện thoại: send this stage by phone (paid per message) when no follower can get it.  Off for the intermediate stages by default.';

INSERT INTO zalo_tthc.template (stage, header, body, table_rows, status_style, zbs_template_id, zbs_params, by_phone)
VALUES
	('submitted', 'Xác nhận nộp hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{don_vi_tiep_nhan}} đã nhận được hồ sơ trực tuyến của ông/bà. Hồ sơ sẽ được kiểm tra và tiếp nhận trong thời gian sớm nhất.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày nộp","value":"{{ngay_nop}}"}]',
	 'blue', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('received', 'Phiếu tiếp nhận hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã được tiếp nhận. Vui lòng mang Giấy tiếp nhận hồ sơ và hẹn trả kết quả khi đến nhận kết quả.',
	 '[{"key":"Người đại diện","value":"{{nguoi_dai_dien}}"},{"key":"Lĩnh vực","value":"{{ten_linh_vuc}}"},{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Đơn vị tiếp nhận","value":"{{don_vi_tiep_nhan}}"},{"key":"Cơ quan giải quyết","value":"{{co_quan}}"},{"key":"Hình thức trả kết quả","value":"{{hinh_thuc_tra}}"},{"key":"Ngày tiếp nhận","value":"{{ngay_tiep_nhan}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'blue', 'tthc_received',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","ngay_hen_tra":"{{ngay_hen_tra}}"}', true),
	('rejected', 'Thông báo từ chối tiếp nhận hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Rất tiếc, hồ sơ của ông/bà không được tiếp nhận.<br>Lý do: {{ghi_chu}}',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'red', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', true),
	('assigned', 'Hồ sơ đã được phân công thụ lý',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã được phân công cán bộ thụ lý tại {{co_quan}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('appraising', 'Hồ sơ đang được thẩm định',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đang được thẩm định tại {{co_quan}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('supplement_requested', 'Yêu cầu bổ sung, hoàn thiện hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà cần bổ sung, hoàn thiện.<br>Nội dung: {{ghi_chu}}<br>Vui lòng bổ sung trước ngày {{han_bo_sung}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Hạn bổ sung","value":"{{han_bo_sung}}"}]',
	 'yellow', 'tthc_supplement',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","han_bo_sung":"{{han_bo_sung}}"}', true),
	('supplement_submitted', 'Đã nhận hồ sơ bổ sung',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{co_quan}} đã nhận được hồ sơ bổ sung của ông/bà và tiếp tục giải quyết.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('payment_requested', 'Yêu cầu thực hiện nghĩa vụ tài chính',
	 'Kính gửi ông/bà {{ho_ten}},<br>Vui lòng nộp phí, lệ phí để hồ sơ được tiếp tục giải quyết.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Số tiền","value":"{{so_tien}}"}]',
	 'yellow', 'tthc_payment',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","so_tien":"{{so_tien}}"}', true),
	('withdrawal_requested', 'Xác nhận yêu cầu rút hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{co_quan}} đã nhận được yêu cầu rút hồ sơ của ông/bà.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'grey', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('signing', 'Hồ sơ đang trình ký',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã được thẩm định xong và đang trình lãnh đạo ký duyệt.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('overdue_apology', 'Phiếu xin lỗi và hẹn lại ngày trả kết quả',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{co_quan}} thành thật xin lỗi vì hồ sơ của ông/bà chưa được giải quyết đúng hẹn.<br>Lý do: {{ghi_chu}}<br>Ngày hẹn trả mới: {{ngay_hen_tra}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Hẹn trả cũ","value":"{{ngay_hen_tra_cu}}"},{"key":"Hẹn trả mới","value":"{{ngay_hen_tra}}"}]',
	 'yellow', 'tthc_apology',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","ngay_hen_tra":"{{ngay_hen_tra}}"}', true),
	('result_ready', 'Mời nhận kết quả giải quyết hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã có kết quả. Mời ông/bà đến {{don_vi_tiep_nhan}} nhận kết quả, vui lòng mang theo CCCD và Giấy tiếp nhận hồ sơ.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày có kết quả","value":"{{ngay_co_ket_qua}}"}]',
	 'green', 'tthc_result',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","ngay_co_ket_qua":"{{ngay_co_ket_qua}}"}', true),
	('result_returned', 'Đã trả kết quả giải quyết hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Kết quả giải quyết hồ sơ đã được trả cho ông/bà. Cảm ơn ông/bà đã sử dụng dịch vụ công.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày trả","value":"{{ngay_tra}}"}]',
	 'green', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('returned', 'Thông báo dừng xử lý, trả lại hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã dừng xử lý và được trả lại.<br>Lý do: {{ghi_chu}}',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'red', 'tthc_status',
	 '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', true);

-- every stage message has one button: the dossier on the lookup page
UPDATE zalo_tthc.template
SET buttons = '[{"title":"Tra cứu hồ sơ","image_icon":"","type":"oa.open.url","payload":{"url":"{{link_tra_cuu}}"}}]';

-- ---------------------------------------------------------------------
-- What Zalo says of each template (trạng thái mẫu ZBS)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.zbs_template (
	template_id	text PRIMARY KEY,
	status		text CHECK (status IN ('ENABLE', 'PENDING_REVIEW', 'REJECT', 'DISABLE', 'UNKNOWN')),
	name		text,
	params		jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(params) = 'array'),
	price_uid	numeric,
	price_phone	numeric,
	problem		text,
	checked_at	timestamptz,
	status_changed_at timestamptz
);
COMMENT ON TABLE zalo_tthc.zbs_template IS
	'Trạng thái mẫu ZBS: what Zalo reports of each template that template.zbs_template_id names, read by the delivery worker at start, every zalo_tthc.template_check_interval and when a change_template_status webhook arrives.  A stage whose template is not ENABLE holds its notifications (they wait; other stages keep going).';
COMMENT ON COLUMN zalo_tthc.zbs_template.template_id IS 'The template id, as in template.zbs_template_id.';
COMMENT ON COLUMN zalo_tthc.zbs_template.status IS 'ENABLE (approved, sendable), PENDING_REVIEW, REJECT, DISABLE, or UNKNOWN (Zalo knows no template with this id); NULL = not read yet.';
COMMENT ON COLUMN zalo_tthc.zbs_template.name IS 'The template''s name at Zalo.';
COMMENT ON COLUMN zalo_tthc.zbs_template.params IS 'The template''s parameters as Zalo lists them: array of {"name","type","max_length","require"}; values are cut to max_length.';
COMMENT ON COLUMN zalo_tthc.zbs_template.price_uid IS 'Price of one message by user id (VND), as Zalo reports it.';
COMMENT ON COLUMN zalo_tthc.zbs_template.price_phone IS 'Price of one message by phone (VND), as Zalo reports it.';
COMMENT ON COLUMN zalo_tthc.zbs_template.problem IS 'Why the template''s stages are held, or why the last read failed; NULL when all is well.';
COMMENT ON COLUMN zalo_tthc.zbs_template.checked_at IS 'When Zalo last answered about this template; NULL = to be read again soon.';
COMMENT ON COLUMN zalo_tthc.zbs_template.status_changed_at IS 'When the status last changed (a read or a webhook).';

REVOKE ALL ON zalo_tthc.zbs_template FROM PUBLIC;
GRANT SELECT ON zalo_tthc.zbs_template TO zalo_tthc_operator;
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.zbs_template', '');

-- ---------------------------------------------------------------------
-- Reloading the cached rules
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.stage_rules_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_stage_rules_changed';
COMMENT ON FUNCTION zalo_tthc.stage_rules_changed() IS
	'Tell every session to reload the cached stage rules after stage_info, stage_transition or template changed.';

CREATE TRIGGER stage_info_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zalo_tthc.stage_info
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.stage_rules_changed();

CREATE TRIGGER stage_transition_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zalo_tthc.stage_transition
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.stage_rules_changed();

-- the enqueue trigger keeps which stages are sent by phone, and the
-- delivery worker keeps a copy of the templates
CREATE TRIGGER template_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zalo_tthc.template
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.stage_rules_changed();
-- (also while a restore runs as a replica)
ALTER TABLE zalo_tthc.stage_info ENABLE ALWAYS TRIGGER stage_info_changed;
ALTER TABLE zalo_tthc.stage_transition ENABLE ALWAYS TRIGGER stage_transition_changed;
ALTER TABLE zalo_tthc.template ENABLE ALWAYS TRIGGER template_changed;

-- ---------------------------------------------------------------------
-- Dump and restore
--
-- pg_dump keeps the rows of the tables registered with
-- pg_extension_config_dump and the values of their identity sequences
-- (without those a restored database would hand out ids that already
-- exist); every table and sequence of the extension is registered in the
-- file that creates it, one call per statement (each call rewrites the
-- pg_extension row).  Restore with triggers off for ordinary triggers
-- (PGOPTIONS='-c session_replication_role=replica', see README.md): the
-- rows are already validated and their events and notifications are in
-- the dump.
--
-- The configuration the extension ships (stage_info, stage_transition,
-- template, and chat_template in webhook.sql) is dumped whole, edits
-- included; on restore, CREATE EXTENSION has already inserted the shipped
-- rows, so a restored row replaces the row with the same key instead of
-- failing on it.  (A WHERE filter could not leave the shipped rows out: an
-- edited text keeps the key of the shipped row it replaces.)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.merge_config_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	key_match text;
BEGIN
	SELECT string_agg(format('%1$I = ($1).%1$I', k), ' AND ') INTO key_match
	FROM unnest(TG_ARGV) k;
	EXECUTE format('DELETE FROM %I.%I WHERE %s', TG_TABLE_SCHEMA, TG_TABLE_NAME, key_match) USING NEW;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION zalo_tthc.merge_config_row() IS
	'BEFORE INSERT row trigger of the shipped configuration tables: a row inserted with the key of an existing row replaces it (how pg_restore brings back edited templates and stage rules). Arguments: the key columns.';

CREATE TRIGGER template_merge_row
	BEFORE INSERT ON zalo_tthc.template
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.merge_config_row('stage');
CREATE TRIGGER stage_info_merge_row
	BEFORE INSERT ON zalo_tthc.stage_info
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.merge_config_row('stage');
CREATE TRIGGER stage_transition_merge_row
	BEFORE INSERT ON zalo_tthc.stage_transition
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.merge_config_row('from_stage', 'to_stage');
-- they also fire while a restore runs as a replica
ALTER TABLE zalo_tthc.template ENABLE ALWAYS TRIGGER template_merge_row;
ALTER TABLE zalo_tthc.stage_info ENABLE ALWAYS TRIGGER stage_info_merge_row;
ALTER TABLE zalo_tthc.stage_transition ENABLE ALWAYS TRIGGER stage_transition_merge_row;

SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.stage_info', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.stage_transition', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.template', '');

REVOKE ALL ON FUNCTION zalo_tthc.stage_rules_changed(), zalo_tthc.merge_config_row() FROM PUBLIC;
