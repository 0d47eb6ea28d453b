/* zalo_tthc 0.1.0: dossier model, stage rules, transactional outbox. */

\echo Use "CREATE EXTENSION zalo_tthc CASCADE" to load this file. \quit

-- ---------------------------------------------------------------------
-- Stages (giai đoạn xử lý hồ sơ)
-- ---------------------------------------------------------------------

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

CREATE TYPE zalo_tthc.delivery_status AS ENUM
	('pending', 'sending', 'sent', 'delivered', 'seen', 'failed', 'dead', 'undeliverable');
COMMENT ON TYPE zalo_tthc.delivery_status IS
	'Trạng thái gửi của một thông báo; sent, delivered, seen, dead and undeliverable are final.';
CREATE TYPE zalo_tthc.channel AS ENUM ('zalo_oa', 'zns');
COMMENT ON TYPE zalo_tthc.channel IS
	'Kênh gửi: zalo_oa (tin giao dịch OA tới người quan tâm) or zns (tin ZNS theo số điện thoại).';
CREATE TYPE zalo_tthc.message_kind AS ENUM ('stage', 'receipt_file');
COMMENT ON TYPE zalo_tthc.message_kind IS
	'Loại tin: the stage message, or the receipt PDF sent after the received message.';
CREATE TYPE zalo_tthc.notify_decision AS ENUM
	('enqueued', 'not_notifying_stage', 'skipped_bulk_import', 'skipped_opt_out');
COMMENT ON TYPE zalo_tthc.notify_decision IS
	'What a stage change did about the citizen''s notification.';

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
	(stage, label_vi, status_code, status_label_vi, notifies, is_initial, is_final, requires_note, timestamp_column)
VALUES
	('submitted', 'Nộp hồ sơ', 1, 'Mới đăng ký', true, true, false, false, NULL),
	('received', 'Tiếp nhận hồ sơ', 2, 'Được tiếp nhận', true, true, false, false, 'received_at'),
	('rejected', 'Từ chối tiếp nhận', 3, 'Không được tiếp nhận', true, false, true, true, 'rejected_at'),
	('assigned', 'Phân công thụ lý', 4, 'Đang xử lý', true, false, false, false, NULL),
	('appraising', 'Thẩm định hồ sơ', 4, 'Đang xử lý', true, false, false, false, NULL),
	('interoperating', 'Chuyển liên thông', 4, 'Đang xử lý', false, false, false, false, NULL),
	('signing', 'Trình ký, ký duyệt', 4, 'Đang xử lý', true, false, false, false, NULL),
	('supplement_requested', 'Yêu cầu bổ sung, hoàn thiện hồ sơ', 5, 'Yêu cầu bổ sung giấy tờ', true, false, false, true, NULL),
	('supplement_submitted', 'Đã bổ sung hồ sơ', 4, 'Đang xử lý', true, false, false, false, NULL),
	('payment_requested', 'Yêu cầu thực hiện nghĩa vụ tài chính', 6, 'Yêu cầu thực hiện nghĩa vụ tài chính', true, false, false, false, NULL),
	('payment_confirmed', 'Đã thanh toán phí, lệ phí', NULL, NULL, false, false, false, false, NULL),
	('withdrawal_requested', 'Công dân yêu cầu rút hồ sơ', 7, 'Công dân yêu cầu rút hồ sơ', true, false, false, false, NULL),
	('overdue_apology', 'Xin lỗi và hẹn lại ngày trả kết quả', NULL, NULL, true, false, false, true, NULL),
	('result_ready', 'Đã có kết quả', 9, 'Đã xử lý xong', true, false, false, false, 'result_at'),
	('result_returned', 'Đã trả kết quả', 10, 'Đã trả kết quả', true, false, true, false, 'returned_at'),
	('returned', 'Dừng xử lý, trả lại hồ sơ', 8, 'Dừng xử lý', true, false, true, true, 'stopped_at');

UPDATE zalo_tthc.stage_info SET requires_later_due = true WHERE stage = 'overdue_apology';

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
-- Dossiers (hồ sơ)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.dossier (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code		text NOT NULL UNIQUE,
	code_standard boolean NOT NULL DEFAULT false,
	external_code text,
	procedure_code text,
	procedure_name text NOT NULL,
	field_code	text,
	field_name	text,
	agency_code	text,
	agency_name	text,
	receiving_unit_code text,
	receiving_unit text,
	channel		smallint NOT NULL DEFAULT 1 CHECK (channel IN (1, 2, 3)),
	applicant_type smallint NOT NULL DEFAULT 1 CHECK (applicant_type IN (1, 2)),
	applicant_name text NOT NULL,
	applicant_id_number text,
	applicant_phone text,
	applicant_email text,
	applicant_address text,
	applicant_birth_date date,
	organization_name text,
	representative_name text,
	summary		text,
	return_method smallint NOT NULL DEFAULT 0 CHECK (return_method IN (0, 1, 2)),
	stage		zalo_tthc.stage NOT NULL DEFAULT 'submitted',
	status_code	smallint NOT NULL DEFAULT 1 CHECK (status_code BETWEEN 1 AND 10),
	stage_seq	integer NOT NULL DEFAULT 0,
	stage_note	text,
	stage_actor	text,
	submitted_at timestamptz NOT NULL DEFAULT now(),
	received_at	timestamptz,
	due_at		timestamptz,
	original_due_at timestamptz,
	supplement_due_at timestamptz,
	result_at	timestamptz,
	returned_at	timestamptz,
	rejected_at	timestamptz,
	stopped_at	timestamptz,
	fee_amount	numeric(14, 0) CHECK (fee_amount >= 0),
	payment_url	text,
	notify_zalo	boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.dossier IS
	'Hồ sơ TTHC: one row per administrative-procedure dossier. Inserting a row or changing stage records a dossier_event and enqueues the citizen''s notification in the same transaction.';
COMMENT ON COLUMN zalo_tthc.dossier.id IS 'Khóa nội bộ (internal id).';
COMMENT ON COLUMN zalo_tthc.dossier.code IS 'Số hồ sơ / mã hồ sơ (also the số biên nhận), stored upper-case; standard form 000.00.04.H60-230215-0028.';
COMMENT ON COLUMN zalo_tthc.dossier.code_standard IS 'Mã hồ sơ chuẩn: true when code follows TT 01/2018/TT-VPCP (unit code, real date, 4-digit sequence); set by the extension.';
COMMENT ON COLUMN zalo_tthc.dossier.external_code IS 'Mã hồ sơ khác: the code in another system (DVCQG, sector systems).';
COMMENT ON COLUMN zalo_tthc.dossier.procedure_code IS 'Mã thủ tục hành chính (mã TTHC).';
COMMENT ON COLUMN zalo_tthc.dossier.procedure_name IS 'Tên thủ tục hành chính ("Về việc").';
COMMENT ON COLUMN zalo_tthc.dossier.field_code IS 'Mã lĩnh vực.';
COMMENT ON COLUMN zalo_tthc.dossier.field_name IS 'Tên lĩnh vực.';
COMMENT ON COLUMN zalo_tthc.dossier.agency_code IS 'Mã cơ quan giải quyết (resolving agency).';
COMMENT ON COLUMN zalo_tthc.dossier.agency_name IS 'Tên cơ quan giải quyết.';
COMMENT ON COLUMN zalo_tthc.dossier.receiving_unit_code IS 'Mã đơn vị tiếp nhận (may differ from the resolving agency).';
COMMENT ON COLUMN zalo_tthc.dossier.receiving_unit IS 'Tên đơn vị tiếp nhận.';
COMMENT ON COLUMN zalo_tthc.dossier.channel IS 'Kênh thực hiện: 1 trực tiếp, 2 trực tuyến (nộp online), 3 bưu chính công ích.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_type IS 'Loại đối tượng: 1 công dân, 2 tổ chức/doanh nghiệp.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_name IS 'Họ tên người nộp / chủ hồ sơ (NFC-normalised).';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_id_number IS 'Số CCCD (12 chữ số) hoặc CMND (9 chữ số) của chủ hồ sơ. Personal data: never shown unmasked.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_phone IS 'Số điện thoại di động, stored as +84XXXXXXXXX. Personal data.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_email IS 'Thư điện tử của chủ hồ sơ. Personal data.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_address IS 'Địa chỉ của chủ hồ sơ. Personal data.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_birth_date IS 'Ngày sinh của chủ hồ sơ. Personal data.';
COMMENT ON COLUMN zalo_tthc.dossier.organization_name IS 'Tên tổ chức / doanh nghiệp (applicant_type 2).';
COMMENT ON COLUMN zalo_tthc.dossier.representative_name IS 'Người đại diện / người được ủy quyền (the receipt''s "Người đại diện").';
COMMENT ON COLUMN zalo_tthc.dossier.summary IS 'Trích yếu hồ sơ.';
COMMENT ON COLUMN zalo_tthc.dossier.return_method IS 'Hình thức trả kết quả: 0 trực tiếp, 1 qua bưu điện, 2 trực tuyến.';
COMMENT ON COLUMN zalo_tthc.dossier.stage IS 'Giai đoạn xử lý hiện tại; changing it records an event and notifies the citizen.';
COMMENT ON COLUMN zalo_tthc.dossier.status_code IS 'Mã trạng thái hồ sơ (national 1–10), kept in step with stage by the extension.';
COMMENT ON COLUMN zalo_tthc.dossier.stage_seq IS 'Số lần chuyển giai đoạn: incremented by the extension on every stage change; part of the notification idempotency key.';
COMMENT ON COLUMN zalo_tthc.dossier.stage_note IS 'Ghi chú / lý do của lần chuyển giai đoạn (reason for rejection, supplement content…); set it in the same UPDATE as stage.';
COMMENT ON COLUMN zalo_tthc.dossier.stage_actor IS 'Người thực hiện lần chuyển giai đoạn; defaults to the session user.';
COMMENT ON COLUMN zalo_tthc.dossier.submitted_at IS 'Ngày nộp hồ sơ.';
COMMENT ON COLUMN zalo_tthc.dossier.received_at IS 'Ngày tiếp nhận.';
COMMENT ON COLUMN zalo_tthc.dossier.due_at IS 'Ngày hẹn trả kết quả (current).';
COMMENT ON COLUMN zalo_tthc.dossier.original_due_at IS 'Ngày hẹn trả gốc: the first due date, kept when overdue_apology moves due_at.';
COMMENT ON COLUMN zalo_tthc.dossier.supplement_due_at IS 'Hạn bổ sung hồ sơ (for supplement_requested).';
COMMENT ON COLUMN zalo_tthc.dossier.result_at IS 'Ngày có kết quả (ngày kết thúc xử lý).';
COMMENT ON COLUMN zalo_tthc.dossier.returned_at IS 'Ngày trả kết quả.';
COMMENT ON COLUMN zalo_tthc.dossier.rejected_at IS 'Ngày từ chối tiếp nhận.';
COMMENT ON COLUMN zalo_tthc.dossier.stopped_at IS 'Ngày dừng xử lý / trả lại hồ sơ.';
COMMENT ON COLUMN zalo_tthc.dossier.fee_amount IS 'Phí, lệ phí (VND).';
COMMENT ON COLUMN zalo_tthc.dossier.payment_url IS 'Đường dẫn thanh toán.';
COMMENT ON COLUMN zalo_tthc.dossier.notify_zalo IS 'Nhận thông báo qua Zalo: false = the citizen opted out; events are recorded as skipped.';
COMMENT ON COLUMN zalo_tthc.dossier.created_at IS 'Thời điểm tạo bản ghi.';
COMMENT ON COLUMN zalo_tthc.dossier.updated_at IS 'Thời điểm cập nhật bản ghi gần nhất.';

CREATE INDEX dossier_applicant_id_number_idx ON zalo_tthc.dossier (applicant_id_number);
CREATE INDEX dossier_applicant_phone_idx ON zalo_tthc.dossier (applicant_phone);

-- ---------------------------------------------------------------------
-- Stage history (lịch sử xử lý)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.dossier_event (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	dossier_id	bigint NOT NULL,
	seq			integer NOT NULL,
	stage_before zalo_tthc.stage,
	stage_after	zalo_tthc.stage NOT NULL,
	status_before smallint,
	status_after smallint NOT NULL,
	occurred_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor		text NOT NULL,
	note		text,
	due_before	timestamptz,
	due_after	timestamptz,
	notify		zalo_tthc.notify_decision NOT NULL,
	UNIQUE (dossier_id, seq)
);
COMMENT ON TABLE zalo_tthc.dossier_event IS
	'Lịch sử xử lý hồ sơ: append-only history of stage changes, one row per change, written by the extension in the same transaction as the change.';
COMMENT ON COLUMN zalo_tthc.dossier_event.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.dossier_event.dossier_id IS 'Hồ sơ.';
COMMENT ON COLUMN zalo_tthc.dossier_event.seq IS 'Thứ tự chuyển giai đoạn trong hồ sơ (dossier.stage_seq after the change).';
COMMENT ON COLUMN zalo_tthc.dossier_event.stage_before IS 'Giai đoạn trước (NULL for a new dossier).';
COMMENT ON COLUMN zalo_tthc.dossier_event.stage_after IS 'Giai đoạn sau.';
COMMENT ON COLUMN zalo_tthc.dossier_event.status_before IS 'Mã trạng thái trước.';
COMMENT ON COLUMN zalo_tthc.dossier_event.status_after IS 'Mã trạng thái sau.';
COMMENT ON COLUMN zalo_tthc.dossier_event.occurred_at IS 'Thời điểm chuyển giai đoạn.';
COMMENT ON COLUMN zalo_tthc.dossier_event.actor IS 'Người thực hiện (dossier.stage_actor, else the session user).';
COMMENT ON COLUMN zalo_tthc.dossier_event.note IS 'Ghi chú / lý do (dossier.stage_note).';
COMMENT ON COLUMN zalo_tthc.dossier_event.due_before IS 'Ngày hẹn trả trước khi chuyển.';
COMMENT ON COLUMN zalo_tthc.dossier_event.due_after IS 'Ngày hẹn trả sau khi chuyển (differs for overdue_apology).';
COMMENT ON COLUMN zalo_tthc.dossier_event.notify IS 'Thông báo: enqueued, not_notifying_stage, skipped_bulk_import (zalo_tthc.bulk_import was on) or skipped_opt_out (dossier.notify_zalo false).';

CREATE FUNCTION zalo_tthc.forbid_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	RAISE EXCEPTION 'dossier_event is append-only'
		USING ERRCODE = 'object_not_in_prerequisite_state',
			  DETAIL = format('%s on zalo_tthc.dossier_event was refused.', TG_OP),
			  HINT = 'Stage history is an audit trail; record a new stage change instead.';
END
$$;

CREATE TRIGGER dossier_event_append_only
	BEFORE UPDATE ON zalo_tthc.dossier_event
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.forbid_event_change();

-- ---------------------------------------------------------------------
-- Zalo recipients (người dân quan tâm OA)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.recipient (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	zalo_user_id text NOT NULL UNIQUE CHECK (zalo_user_id ~ '^[0-9]{1,19}$'),
	phone		text,
	id_number	text,
	display_name text,
	followed	boolean NOT NULL DEFAULT true,
	followed_at	timestamptz,
	unfollowed_at timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.recipient IS
	'Người nhận Zalo: a citizen''s link to the Official Account, matched to dossiers by phone or CCCD/CMND.';
COMMENT ON COLUMN zalo_tthc.recipient.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.recipient.zalo_user_id IS 'Zalo user_id (OA-scoped, decimal string up to 19 digits).';
COMMENT ON COLUMN zalo_tthc.recipient.phone IS 'Số điện thoại đã liên kết, +84XXXXXXXXX. Personal data.';
COMMENT ON COLUMN zalo_tthc.recipient.id_number IS 'Số CCCD/CMND đã liên kết. Personal data.';
COMMENT ON COLUMN zalo_tthc.recipient.display_name IS 'Tên hiển thị Zalo.';
COMMENT ON COLUMN zalo_tthc.recipient.followed IS 'Đang quan tâm OA.';
COMMENT ON COLUMN zalo_tthc.recipient.followed_at IS 'Thời điểm quan tâm.';
COMMENT ON COLUMN zalo_tthc.recipient.unfollowed_at IS 'Thời điểm bỏ quan tâm.';
COMMENT ON COLUMN zalo_tthc.recipient.created_at IS 'Thời điểm tạo.';
COMMENT ON COLUMN zalo_tthc.recipient.updated_at IS 'Thời điểm cập nhật.';

CREATE INDEX recipient_phone_idx ON zalo_tthc.recipient (phone) WHERE followed;
CREATE INDEX recipient_id_number_idx ON zalo_tthc.recipient (id_number) WHERE followed;

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
	zns_template_id text,
	zns_params	jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(zns_params) = 'object'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.template IS
	'Mẫu tin nhắn: the Zalo OA transaction message per stage and its ZNS fallback. Placeholders such as {{ma_ho_so}} are filled from the dossier and its event when the message is sent.';
COMMENT ON COLUMN zalo_tthc.template.stage IS 'Giai đoạn.';
COMMENT ON COLUMN zalo_tthc.template.header IS 'Tiêu đề tin (header element).';
COMMENT ON COLUMN zalo_tthc.template.body IS 'Nội dung tin (text element; <br> for line breaks).';
COMMENT ON COLUMN zalo_tthc.template.table_rows IS 'Bảng thông tin: array of {"key","value"}; the identifying "Mã hồ sơ" row is always added first.';
COMMENT ON COLUMN zalo_tthc.template.buttons IS 'Nút bấm (at most 4): array of {"title","type","payload"}.';
COMMENT ON COLUMN zalo_tthc.template.status_style IS 'Màu của dòng "Trạng thái": green, blue, yellow, red or grey.';
COMMENT ON COLUMN zalo_tthc.template.zns_template_id IS 'Mã mẫu ZNS đã duyệt for the phone fallback; NULL = no ZNS for this stage.';
COMMENT ON COLUMN zalo_tthc.template.zns_params IS 'Tham số ZNS: object mapping each registered ZNS parameter to a placeholder text.';
COMMENT ON COLUMN zalo_tthc.template.updated_at IS 'Thời điểm cập nhật.';

INSERT INTO zalo_tthc.template (stage, header, body, table_rows, status_style, zns_template_id, zns_params)
VALUES
	('submitted', 'Xác nhận nộp hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{don_vi_tiep_nhan}} đã nhận được hồ sơ trực tuyến của ông/bà. Hồ sơ sẽ được kiểm tra và tiếp nhận trong thời gian sớm nhất.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày nộp","value":"{{ngay_nop}}"}]',
	 'blue', NULL, '{}'),
	('received', 'Phiếu tiếp nhận hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã được tiếp nhận. Vui lòng mang Giấy tiếp nhận hồ sơ và hẹn trả kết quả khi đến nhận kết quả.',
	 '[{"key":"Người đại diện","value":"{{nguoi_dai_dien}}"},{"key":"Lĩnh vực","value":"{{ten_linh_vuc}}"},{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Đơn vị tiếp nhận","value":"{{don_vi_tiep_nhan}}"},{"key":"Cơ quan giải quyết","value":"{{co_quan}}"},{"key":"Hình thức trả kết quả","value":"{{hinh_thuc_tra}}"},{"key":"Ngày tiếp nhận","value":"{{ngay_tiep_nhan}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'blue', 'zns_tthc_received',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{ngay_hen_tra}}"}'),
	('rejected', 'Thông báo từ chối tiếp nhận hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Rất tiếc, hồ sơ của ông/bà không được tiếp nhận.<br>Lý do: {{ghi_chu}}',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'red', 'zns_tthc_status',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}"}'),
	('assigned', 'Hồ sơ đã được phân công thụ lý',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã được phân công cán bộ thụ lý tại {{co_quan}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', NULL, '{}'),
	('appraising', 'Hồ sơ đang được thẩm định',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đang được thẩm định tại {{co_quan}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', NULL, '{}'),
	('supplement_requested', 'Yêu cầu bổ sung, hoàn thiện hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà cần bổ sung, hoàn thiện.<br>Nội dung: {{ghi_chu}}<br>Vui lòng bổ sung trước ngày {{han_bo_sung}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Hạn bổ sung","value":"{{han_bo_sung}}"}]',
	 'yellow', 'zns_tthc_supplement',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{han_bo_sung}}"}'),
	('supplement_submitted', 'Đã nhận hồ sơ bổ sung',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{co_quan}} đã nhận được hồ sơ bổ sung của ông/bà và tiếp tục giải quyết.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', NULL, '{}'),
	('payment_requested', 'Yêu cầu thực hiện nghĩa vụ tài chính',
	 'Kính gửi ông/bà {{ho_ten}},<br>Vui lòng nộp phí, lệ phí để hồ sơ được tiếp tục giải quyết.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Số tiền","value":"{{so_tien}}"}]',
	 'yellow', 'zns_tthc_payment',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","amount":"{{so_tien}}"}'),
	('withdrawal_requested', 'Xác nhận yêu cầu rút hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{co_quan}} đã nhận được yêu cầu rút hồ sơ của ông/bà.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'grey', NULL, '{}'),
	('signing', 'Hồ sơ đang trình ký',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã được thẩm định xong và đang trình lãnh đạo ký duyệt.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày hẹn trả","value":"{{ngay_hen_tra}}"}]',
	 'blue', NULL, '{}'),
	('overdue_apology', 'Phiếu xin lỗi và hẹn lại ngày trả kết quả',
	 'Kính gửi ông/bà {{ho_ten}},<br>{{co_quan}} thành thật xin lỗi vì hồ sơ của ông/bà chưa được giải quyết đúng hẹn.<br>Lý do: {{ghi_chu}}<br>Ngày hẹn trả mới: {{ngay_hen_tra}}.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Hẹn trả cũ","value":"{{ngay_hen_tra_cu}}"},{"key":"Hẹn trả mới","value":"{{ngay_hen_tra}}"}]',
	 'yellow', 'zns_tthc_apology',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{ngay_hen_tra}}"}'),
	('result_ready', 'Mời nhận kết quả giải quyết hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã có kết quả. Mời ông/bà đến {{don_vi_tiep_nhan}} nhận kết quả, vui lòng mang theo CCCD và Giấy tiếp nhận hồ sơ.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày có kết quả","value":"{{ngay_co_ket_qua}}"}]',
	 'green', 'zns_tthc_result',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{ngay_co_ket_qua}}"}'),
	('result_returned', 'Đã trả kết quả giải quyết hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Kết quả giải quyết hồ sơ đã được trả cho ông/bà. Cảm ơn ông/bà đã sử dụng dịch vụ công.',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"},{"key":"Ngày trả","value":"{{ngay_tra}}"}]',
	 'green', NULL, '{}'),
	('returned', 'Thông báo dừng xử lý, trả lại hồ sơ',
	 'Kính gửi ông/bà {{ho_ten}},<br>Hồ sơ của ông/bà đã dừng xử lý và được trả lại.<br>Lý do: {{ghi_chu}}',
	 '[{"key":"Thủ tục","value":"{{ten_thu_tuc}}"},{"key":"Trạng thái","value":"{{trang_thai}}"}]',
	 'red', 'zns_tthc_status',
	 '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}"}');

UPDATE zalo_tthc.template
SET buttons = '[{"title":"Tra cứu hồ sơ","image_icon":"","type":"oa.open.url","payload":{"url":"{{link_tra_cuu}}"}}]';

-- ---------------------------------------------------------------------
-- Outbox (hàng đợi thông báo)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.outbox (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id	bigint NOT NULL,
	dossier_id	bigint NOT NULL,
	stage		zalo_tthc.stage NOT NULL,
	channel		zalo_tthc.channel NOT NULL,
	kind		zalo_tthc.message_kind NOT NULL DEFAULT 'stage',
	recipient_id bigint,
	idempotency_key text NOT NULL UNIQUE,
	status		zalo_tthc.delivery_status NOT NULL DEFAULT 'pending',
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	lease_until	timestamptz,
	last_error	text,
	last_error_code integer,
	provider_msg_id text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	delivered_at timestamptz,
	seen_at		timestamptz
);
COMMENT ON TABLE zalo_tthc.outbox IS
	'Hàng đợi thông báo: one row per notification to deliver, written in the same transaction as the stage change. Final states: sent, delivered, seen, dead, undeliverable.';
COMMENT ON COLUMN zalo_tthc.outbox.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.outbox.event_id IS 'Sự kiện chuyển giai đoạn gây ra thông báo.';
COMMENT ON COLUMN zalo_tthc.outbox.dossier_id IS 'Hồ sơ (the event''s dossier; deleted with it, see the dossier_deleted trigger).';
COMMENT ON COLUMN zalo_tthc.outbox.stage IS 'Giai đoạn được thông báo.';
COMMENT ON COLUMN zalo_tthc.outbox.channel IS 'Kênh gửi: zalo_oa (tin giao dịch OA tới người quan tâm) or zns (tin ZNS theo số điện thoại).';
COMMENT ON COLUMN zalo_tthc.outbox.kind IS 'Loại tin: stage (the stage message) or receipt_file (the receipt PDF sent after the received message).';
COMMENT ON COLUMN zalo_tthc.outbox.recipient_id IS 'Người nhận Zalo đã liên kết (zalo_oa).';
COMMENT ON COLUMN zalo_tthc.outbox.idempotency_key IS 'Khóa chống gửi trùng: <dossier id>-<stage seq>-<oa|zns|file>; also the ZNS tracking_id.';
COMMENT ON COLUMN zalo_tthc.outbox.status IS 'Trạng thái gửi: pending, sending, sent, delivered, seen, failed, dead, undeliverable.';
COMMENT ON COLUMN zalo_tthc.outbox.attempts IS 'Số lần đã gửi.';
COMMENT ON COLUMN zalo_tthc.outbox.next_attempt_at IS 'Thời điểm gửi (lại) tiếp theo.';
COMMENT ON COLUMN zalo_tthc.outbox.lease_until IS 'Hạn giữ của tiến trình gửi: a claim not finished by then returns to the queue.';
COMMENT ON COLUMN zalo_tthc.outbox.last_error IS 'Lỗi gần nhất (or the reason a notification is undeliverable).';
COMMENT ON COLUMN zalo_tthc.outbox.last_error_code IS 'Mã lỗi Zalo gần nhất.';
COMMENT ON COLUMN zalo_tthc.outbox.provider_msg_id IS 'Mã tin Zalo (message_id / msg_id).';
COMMENT ON COLUMN zalo_tthc.outbox.created_at IS 'Thời điểm xếp hàng.';
COMMENT ON COLUMN zalo_tthc.outbox.sent_at IS 'Thời điểm Zalo chấp nhận tin.';
COMMENT ON COLUMN zalo_tthc.outbox.delivered_at IS 'Thời điểm người dân nhận được tin.';
COMMENT ON COLUMN zalo_tthc.outbox.seen_at IS 'Thời điểm người dân đã xem tin.';

-- The worker claims in (next_attempt_at, id) order through this index and
-- stops after a batch, whatever the size of the backlog.
CREATE INDEX outbox_claim_idx ON zalo_tthc.outbox (next_attempt_at, id)
	WHERE status IN ('pending', 'failed');
-- A dossier's open notifications: the earliest one is the only claimable.
CREATE INDEX outbox_open_idx ON zalo_tthc.outbox (dossier_id, event_id)
	WHERE status IN ('pending', 'sending', 'failed');
CREATE INDEX outbox_dossier_idx ON zalo_tthc.outbox (dossier_id, event_id);

CREATE TABLE zalo_tthc.delivery_attempt (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	outbox_id	bigint NOT NULL,
	attempt		integer NOT NULL,
	endpoint	text NOT NULL,
	started_at	timestamptz NOT NULL,
	latency_ms	real,
	http_status	integer,
	zalo_error	integer,
	outcome		text NOT NULL,
	sent_unknown boolean NOT NULL DEFAULT false,
	error_text	text
);
COMMENT ON TABLE zalo_tthc.delivery_attempt IS
	'Nhật ký gửi: one row per HTTP attempt of the delivery worker, kept apart from the queue.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.outbox_id IS 'Thông báo (zalo_tthc.outbox.id); no foreign key, so the log outlives queue retention.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.attempt IS 'Lần gửi thứ mấy.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.endpoint IS 'API được gọi: transaction, cs, upload_file, zns, or none when the worker decided without a call.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.started_at IS 'Thời điểm bắt đầu gửi.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.latency_ms IS 'Thời gian chờ trả lời (ms).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.http_status IS 'Mã HTTP (NULL: no answer).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.zalo_error IS 'Mã lỗi Zalo trong câu trả lời (0: thành công).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.outcome IS 'Kết quả: ok, retry, refresh, rate_limited, defer, recipient, config, bug, or unknown (the worker stopped while the request was on the wire).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.sent_unknown IS 'Có thể đã tới Zalo: the request may have been delivered although no answer says so.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.error_text IS 'Nội dung lỗi.';

CREATE INDEX delivery_attempt_outbox_idx ON zalo_tthc.delivery_attempt (outbox_id);

CREATE TABLE zalo_tthc.dossier_document (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	dossier_id	bigint NOT NULL REFERENCES zalo_tthc.dossier (id) ON DELETE CASCADE,
	kind		text NOT NULL DEFAULT 'receipt' CHECK (kind IN ('receipt')),
	file_name	text NOT NULL CHECK (file_name ~ '^[^/\\]{1,200}\.(pdf|PDF)$'),
	content		bytea NOT NULL CHECK (octet_length(content) BETWEEN 5 AND 5242880
									  AND substring(content FROM 1 FOR 5) = '\x255044462d'::bytea),
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (dossier_id, kind)
);
COMMENT ON TABLE zalo_tthc.dossier_document IS
	'Tài liệu hồ sơ: documents sent to the citizen, today the receipt PDF (Giấy tiếp nhận hồ sơ và hẹn trả kết quả), uploaded and sent as a Zalo file message after the received notification.';
COMMENT ON COLUMN zalo_tthc.dossier_document.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.dossier_document.dossier_id IS 'Hồ sơ.';
COMMENT ON COLUMN zalo_tthc.dossier_document.kind IS 'Loại tài liệu: receipt (phiếu tiếp nhận).';
COMMENT ON COLUMN zalo_tthc.dossier_document.file_name IS 'Tên tệp (.pdf).';
COMMENT ON COLUMN zalo_tthc.dossier_document.content IS 'Nội dung PDF, at most 5 MB (Zalo''s file limit).';
COMMENT ON COLUMN zalo_tthc.dossier_document.created_at IS 'Thời điểm tạo.';

-- ---------------------------------------------------------------------
-- OA credentials (owner only)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.oa_credentials (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	app_id		text NOT NULL CHECK (app_id ~ '^[0-9]{1,19}$'),
	app_secret	text NOT NULL,
	access_token text NOT NULL,
	refresh_token text NOT NULL,
	expires_at	timestamptz NOT NULL,
	oa_secret_key text,
	reauthorization_required boolean NOT NULL DEFAULT false,
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.oa_credentials IS
	'Thông tin xác thực OA: the single row of Official Account credentials. Readable by the extension owner only.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.app_id IS 'Zalo App ID.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.app_secret IS 'App Secret Key (sent as the secret_key header when refreshing tokens). Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.access_token IS 'OA access token. Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.refresh_token IS 'OA refresh token (single use). Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.expires_at IS 'Access token expiry.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.oa_secret_key IS 'OA Secret Key used to verify webhook signatures. Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.reauthorization_required IS 'Cần cấp quyền lại: set when a token refresh was refused; sending pauses until new credentials are stored.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.updated_at IS 'Thời điểm cập nhật.';

REVOKE ALL ON zalo_tthc.oa_credentials FROM PUBLIC;

CREATE FUNCTION zalo_tthc.set_oa_credentials(app_id text, app_secret text, access_token text,
	refresh_token text, expires_at timestamptz, oa_secret_key text DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
AS $$
	INSERT INTO zalo_tthc.oa_credentials AS c
		(id, app_id, app_secret, access_token, refresh_token, expires_at, oa_secret_key)
	VALUES (true, app_id, app_secret, access_token, refresh_token, expires_at, oa_secret_key)
	ON CONFLICT (id) DO UPDATE
	SET app_id = excluded.app_id, app_secret = excluded.app_secret,
		access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		expires_at = excluded.expires_at, oa_secret_key = excluded.oa_secret_key,
		reauthorization_required = false, updated_at = now();
$$;
COMMENT ON FUNCTION zalo_tthc.set_oa_credentials(text, text, text, text, timestamptz, text) IS
	'Store the Official Account credentials (one row; replaces the previous ones and clears reauthorization_required). Owner only.';
REVOKE ALL ON FUNCTION zalo_tthc.set_oa_credentials(text, text, text, text, timestamptz, text) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Validation functions (C), usable by portals before they write
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.normalize_dossier_code(code text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_normalize_dossier_code';
COMMENT ON FUNCTION zalo_tthc.normalize_dossier_code(text) IS
	'Trim, collapse a leading "TTHC " keyword and upper-case a dossier code; raises an error naming the rule when it is not a dossier code.';

CREATE FUNCTION zalo_tthc.is_standard_dossier_code(code text)
RETURNS boolean
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_is_standard_dossier_code';
COMMENT ON FUNCTION zalo_tthc.is_standard_dossier_code(text) IS
	'True when the (normalised) code has the TT 01/2018/TT-VPCP form 000.00.04.H60-YYMMDD-NNNN with a real calendar date.';

CREATE FUNCTION zalo_tthc.normalize_phone(phone text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_normalize_phone';
COMMENT ON FUNCTION zalo_tthc.normalize_phone(text) IS
	'Normalise a Vietnamese mobile number (0…, 84…, +84 …, with dots or spaces) to +84XXXXXXXXX; raises an error for landlines and malformed numbers.';

CREATE FUNCTION zalo_tthc.normalize_id_number(id_number text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_normalize_id_number';
COMMENT ON FUNCTION zalo_tthc.normalize_id_number(text) IS
	'Strip spaces from a CCCD (12 digits) or CMND (9 digits) number and check it; raises an error otherwise.';

-- ---------------------------------------------------------------------
-- Triggers (C)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.dossier_before_write()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_dossier_before_write';
COMMENT ON FUNCTION zalo_tthc.dossier_before_write() IS
	'Validate and normalise a dossier row (code, CCCD/CMND, phone, text lengths, stage transition) and keep status_code, stage_seq and stage timestamps in step.';

CREATE FUNCTION zalo_tthc.dossier_enqueue()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_dossier_enqueue';
COMMENT ON FUNCTION zalo_tthc.dossier_enqueue() IS
	'Append the dossier_event of a stage change and enqueue its notification in zalo_tthc.outbox, in the same transaction; wakes the delivery worker at commit.';

CREATE FUNCTION zalo_tthc.stage_rules_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_stage_rules_changed';
COMMENT ON FUNCTION zalo_tthc.stage_rules_changed() IS
	'Tell every session to reload the cached stage rules after stage_info, stage_transition or template changed.';

CREATE TRIGGER dossier_before_write
	BEFORE INSERT OR UPDATE ON zalo_tthc.dossier
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.dossier_before_write();

CREATE TRIGGER dossier_enqueue
	AFTER INSERT OR UPDATE OF stage ON zalo_tthc.dossier
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.dossier_enqueue();

CREATE TRIGGER stage_info_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zalo_tthc.stage_info
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.stage_rules_changed();

CREATE TRIGGER stage_transition_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zalo_tthc.stage_transition
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.stage_rules_changed();

-- the enqueue trigger keeps which stages have a ZNS template
CREATE TRIGGER template_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON zalo_tthc.template
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.stage_rules_changed();

-- ---------------------------------------------------------------------
-- Delivery
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.notification_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
	SELECT jsonb_build_object(
		'ma_ho_so', d.code,
		'ho_ten', d.applicant_name,
		'nguoi_dai_dien', coalesce(d.representative_name, d.applicant_name),
		'to_chuc', d.organization_name,
		'ten_thu_tuc', d.procedure_name,
		'ten_linh_vuc', d.field_name,
		'don_vi_tiep_nhan', coalesce(d.receiving_unit, d.agency_name),
		'co_quan', coalesce(d.agency_name, d.receiving_unit),
		'trang_thai', s.label_vi,
		'ngay_nop', to_char(d.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'ngay_tiep_nhan', to_char(d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'ngay_hen_tra', to_char(e.due_after AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'ngay_hen_tra_cu', to_char(e.due_before AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'han_bo_sung', to_char(d.supplement_due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'ngay_co_ket_qua', to_char(d.result_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'ngay_tra', to_char(d.returned_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'ghi_chu', e.note,
		'so_tien', replace(to_char(d.fee_amount, 'FM999,999,999,999'), ',', '.') || ' đồng',
		'hinh_thuc_tra', CASE d.return_method WHEN 0 THEN 'Trực tiếp' WHEN 1 THEN 'Qua bưu điện'
							 ELSE 'Trực tuyến' END,
		'link_thanh_toan', d.payment_url,
		'link_tra_cuu', replace(current_setting('zalo_tthc.lookup_url'), '{ma_ho_so}', d.code))
	FROM zalo_tthc.stage_info s
	WHERE s.stage = e.stage_after
$$;
COMMENT ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event) IS
	'The values of the {{placeholders}} of a notification: dossier fields and the event''s note and due dates, dates as DD/MM/YYYY in Asia/Ho_Chi_Minh.';

CREATE FUNCTION zalo_tthc.wake_worker_at_commit()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_wake_worker_at_commit_trigger';
COMMENT ON FUNCTION zalo_tthc.wake_worker_at_commit() IS
	'Statement trigger: wake the delivery worker when the transaction commits (new notifications or new credentials).';

-- ---------------------------------------------------------------------
-- Deleting dossiers, events and recipients
--
-- dossier_event, outbox and their links are written only by the enqueue
-- trigger, which takes the ids from the row it fires for; they carry no
-- foreign keys, whose per-row checks would double the cost of a stage
-- change.  These statement triggers do what ON DELETE CASCADE / SET NULL
-- did: a deleted dossier takes its history and notifications with it.
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.dossier_deleted()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	DELETE FROM zalo_tthc.dossier_event e USING gone
	WHERE e.dossier_id = gone.id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.dossier_deleted() IS
	'Delete the stage history (and so the notifications) of deleted dossiers.';

CREATE TRIGGER dossier_deleted
	AFTER DELETE ON zalo_tthc.dossier
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.dossier_deleted();

CREATE FUNCTION zalo_tthc.dossier_event_deleted()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	DELETE FROM zalo_tthc.outbox o USING gone
	WHERE o.dossier_id = gone.dossier_id AND o.event_id = gone.id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.dossier_event_deleted() IS
	'Delete the notifications of deleted stage events.';

CREATE TRIGGER dossier_event_deleted
	AFTER DELETE ON zalo_tthc.dossier_event
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.dossier_event_deleted();

CREATE FUNCTION zalo_tthc.recipient_deleted()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	UPDATE zalo_tthc.outbox o SET recipient_id = NULL
	FROM gone
	WHERE o.recipient_id = gone.id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.recipient_deleted() IS
	'Unlink the notifications of deleted recipients.';

CREATE TRIGGER recipient_deleted
	AFTER DELETE ON zalo_tthc.recipient
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.recipient_deleted();

-- TRUNCATE of a dossier table empties the tables that hang on it.
CREATE FUNCTION zalo_tthc.dossier_truncated()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_TABLE_NAME = 'dossier' THEN
		TRUNCATE zalo_tthc.dossier_event;	-- whose own trigger empties outbox
	ELSE
		TRUNCATE zalo_tthc.outbox;
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.dossier_truncated() IS
	'TRUNCATE dossier empties dossier_event and outbox; TRUNCATE dossier_event empties outbox.';

CREATE TRIGGER dossier_truncated
	AFTER TRUNCATE ON zalo_tthc.dossier
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.dossier_truncated();
CREATE TRIGGER dossier_event_truncated
	AFTER TRUNCATE ON zalo_tthc.dossier_event
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.dossier_truncated();

CREATE TRIGGER outbox_wake_worker
	AFTER INSERT ON zalo_tthc.outbox
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();

CREATE TRIGGER oa_credentials_wake_worker
	AFTER INSERT OR UPDATE ON zalo_tthc.oa_credentials
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();

-- ---------------------------------------------------------------------
-- pg_dump keeps the data that lives in extension tables
-- ---------------------------------------------------------------------

SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_event', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.recipient', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.oa_credentials', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_document', '');
