/*
 * zalo_tthc 0.2.0: the development schema before 1.0.0, kept only to test
 * the upgrade.  Nothing was released before 1.0.0, but databases were
 * created at 0.2.0 (by make demo, on test servers).  test/t/020_upgrade.pl
 * installs this script, updates the database to 1.0.0 with
 * sql/zalo_tthc--0.2.0--1.0.0.sql and compares it with a fresh 1.0.0
 * install.  It is the 0.1.0 install script followed by the 0.1.0 -> 0.2.0
 * update script, exactly as they were; do not edit it.  scripts/test.sh
 * copies it into the test installation only: it is not installed by make.
 */

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
/* zalo_tthc 0.1.0 -> 0.2.0: dossier lookup, webhooks, operations. */

\echo Use "ALTER EXTENSION zalo_tthc UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------
-- Roles (least privilege)
--
-- zalo_tthc_portal: the one-stop portal and its Zalo chat; EXECUTE on the
--   lookup, receipt and webhook functions only, no table access.
-- zalo_tthc_operator: the DBAs on duty; reads the monitoring views and
--   re-queues notifications.
-- The extension owner alone reads or replaces the OA credentials.
--
-- Roles belong to the cluster, not to the database: they are created when
-- missing and kept when the extension is dropped.  Grant them to login
-- roles, e.g. GRANT zalo_tthc_portal TO portal_app.
-- ---------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'zalo_tthc_portal') THEN
		CREATE ROLE zalo_tthc_portal NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'zalo_tthc_operator') THEN
		CREATE ROLE zalo_tthc_operator NOLOGIN;
	END IF;
END
$$;
COMMENT ON ROLE zalo_tthc_portal IS
	'zalo_tthc: the one-stop portal (Tra cứu hồ sơ, Zalo webhooks); EXECUTE on its functions only.';
COMMENT ON ROLE zalo_tthc_operator IS
	'zalo_tthc: operators (DBAs on duty); monitoring views and re-queueing.';

GRANT USAGE ON SCHEMA zalo_tthc TO zalo_tthc_portal, zalo_tthc_operator;


-- ---------------------------------------------------------------------
-- Dossier lookup (Tra cứu hồ sơ)
--
-- lookup(query) reads a dossier code, a CCCD/CMND number or a name and
-- returns the matching dossiers with personal data masked; receipt(code)
-- the receipt slip (Phiếu tiếp nhận) as it was at the received stage.
-- Every lookup writes an audit row (who, when, which kind, a keyed hash of
-- the key).  The portal role may call these functions and nothing else:
-- they are SECURITY DEFINER with a pinned search_path.
-- ---------------------------------------------------------------------

-- Accent folding for the name index.  unaccent() is STABLE (its dictionary
-- could change), so the index goes through an IMMUTABLE wrapper naming the
-- dictionary explicitly, built here once the schema of unaccent is known.
-- The wrapper is a C function over unaccent's own library entry point, so
-- that f_unaccent() below is inlined and costs no SQL function call per row.
-- After editing unaccent.rules, REINDEX INDEX zalo_tthc.dossier_applicant_name_key_idx and
-- zalo_tthc.dossier_applicant_name_words_idx.

-- The terms of a name for the GIN index of name search: its words, its
-- neighbouring words and its first word with its last.  Searching "nguyen
-- an" (family and given name, the commonest way of typing a name) then
-- reads the one posting list of "nguyen .. an" instead of intersecting
-- those of "nguyen" and "an", each in a large part of the table.
CREATE FUNCTION zalo_tthc.name_terms(folded_name text)
RETURNS tsvector
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_name_terms';
COMMENT ON FUNCTION zalo_tthc.name_terms(text) IS
	'Các từ của tên: the terms of a name already folded by lower(f_unaccent()): each word, each two neighbouring words ("van an") and the first with the last ("nguyen .. an"); indexed by dossier_applicant_name_words_idx.';

CREATE FUNCTION zalo_tthc.name_terms_query(folded_query text, pairs boolean)
RETURNS tsquery
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_name_terms_query';
COMMENT ON FUNCTION zalo_tthc.name_terms_query(text, boolean) IS
	'The name_terms query of a folded name query: all its words (pairs false), or its words as neighbours or as first and last word with the others between (pairs true; NULL for one word). Preselection only: the order is checked by lookup_by_name.';

DO $$
DECLARE
	unaccent_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension e
							 JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
							 WHERE e.extname = 'unaccent');
	entry record;
BEGIN
	SELECT p.probin, p.prosrc INTO entry
	FROM pg_catalog.pg_proc p
	WHERE p.oid = pg_catalog.format('%I.unaccent(regdictionary, text)', unaccent_schema)::pg_catalog.regprocedure;

	EXECUTE pg_catalog.format(
		'CREATE FUNCTION zalo_tthc.unaccent_dict(dictionary regdictionary, input text) '
		'RETURNS text LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS %L, %L',
		entry.probin, entry.prosrc);
	EXECUTE pg_catalog.format(
		'CREATE FUNCTION zalo_tthc.f_unaccent(input text) '
		'RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE '
		'AS $body$ SELECT zalo_tthc.unaccent_dict(%L::regdictionary, input) $body$',
		pg_catalog.format('%I.unaccent', unaccent_schema));

	-- name search: whole names through a btree (index-only for the
	-- ranking), words of names through a GIN index of the name's terms
	-- (whole words, as the search wants them: no trigram of "anh" matches
	-- "thanh"); both on the accent-free, lower-case name
	CREATE INDEX dossier_applicant_name_key_idx ON zalo_tthc.dossier
		(pg_catalog.lower(zalo_tthc.f_unaccent(applicant_name))) INCLUDE (id, applicant_name, submitted_at);
	CREATE INDEX dossier_applicant_name_words_idx ON zalo_tthc.dossier USING gin
		(zalo_tthc.name_terms(pg_catalog.lower(zalo_tthc.f_unaccent(applicant_name))));
END
$$;
COMMENT ON FUNCTION zalo_tthc.unaccent_dict(regdictionary, text) IS
	'unaccent(dictionary, text) declared IMMUTABLE, for zalo_tthc.f_unaccent and the name index.';
COMMENT ON FUNCTION zalo_tthc.f_unaccent(text) IS
	'Bỏ dấu: the text without Vietnamese diacritics, đ/Đ folded to d/D (unaccent with its dictionary named); IMMUTABLE, so it can be indexed.';
COMMENT ON INDEX zalo_tthc.dossier_applicant_name_key_idx IS
	'Tra cứu theo họ tên đầy đủ: lower(f_unaccent(applicant_name)), for lookups of a whole name with or without diacritics.';
COMMENT ON INDEX zalo_tthc.dossier_applicant_name_words_idx IS
	'Tra cứu theo tên: name_terms(lower(f_unaccent(applicant_name))), the words of the name, its neighbouring words and its first with its last word, for lookups of part of a name with or without diacritics.';

-- Case folding of Vietnamese letters whatever the collation: lower() folds
-- only ASCII under the C collation.
CREATE FUNCTION zalo_tthc.vn_lower(t text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_vn_lower';
COMMENT ON FUNCTION zalo_tthc.vn_lower(text) IS
	'Chữ thường: lower case that also folds Vietnamese capitals (Ễ → ễ, Đ → đ) under any collation; keeps diacritics.';

-- ---------------------------------------------------------------------
-- Masks (che thông tin cá nhân)
-- ---------------------------------------------------------------------

-- mask_name and mask_dossier_code are single expressions, not STRICT and
-- without a SET clause, so that the planner inlines them into the lookup
-- query (a SQL function it cannot inline is parsed and planned again at
-- every lookup).  Only names of pg_catalog are used, qualified.
CREATE FUNCTION zalo_tthc.mask_name(name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN pg_catalog.btrim(name) OPERATOR(pg_catalog.=) '' OR pg_catalog.btrim(name) OPERATOR(pg_catalog.~) '^\s'
			THEN ''
		WHEN pg_catalog.btrim(name) OPERATOR(pg_catalog.!~) '\s'
			THEN pg_catalog.left(pg_catalog.btrim(name), 1) OPERATOR(pg_catalog.||) '**'
		ELSE pg_catalog.regexp_replace(pg_catalog.btrim(name), '\s+(\S)?\S*', ' \1**', 'g')
	END
$$;
COMMENT ON FUNCTION zalo_tthc.mask_name(text) IS
	'Che tên: the family name and the initials of the other words, "Nguyễn Văn Đức" → "Nguyễn V** Đ**"; a one-word name keeps its initial only.';

CREATE FUNCTION zalo_tthc.mask_id_number(id_number text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN length(d) <= 4 THEN repeat('*', length(d))
				ELSE repeat('*', length(d) - 4) || right(d, 4) END
	FROM (SELECT regexp_replace(id_number, '\s', '', 'g') AS d) s
$$;
COMMENT ON FUNCTION zalo_tthc.mask_id_number(text) IS
	'Che số CCCD/CMND: only the last 4 digits, "008090001234" → "********1234".';

CREATE FUNCTION zalo_tthc.mask_phone(phone text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN length(p) <= 6 THEN repeat('*', length(p))
				ELSE left(p, 3) || repeat('*', length(p) - 6) || right(p, 3) END
	FROM (SELECT CASE WHEN d ~ '^84[0-9]{9}$' THEN '0' || substr(d, 3) ELSE d END AS p
		  FROM (SELECT regexp_replace(phone, '[^0-9]', '', 'g') AS d) digits) national
$$;
COMMENT ON FUNCTION zalo_tthc.mask_phone(text) IS
	'Che số điện thoại: the national form with the middle hidden, "+84912345678" → "091****678".';

CREATE FUNCTION zalo_tthc.mask_dossier_code(code text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT pg_catalog.left(code, -4) OPERATOR(pg_catalog.||) '****'
$$;
COMMENT ON FUNCTION zalo_tthc.mask_dossier_code(text) IS
	'Che mã hồ sơ: the code without its last 4 characters (the daily sequence of a standard code), "000.00.04.H60-230215-0028" → "000.00.04.H60-230215-****".';

-- ---------------------------------------------------------------------
-- Receipt slip snapshot (Phiếu tiếp nhận)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.receipt_snapshot (
	dossier_id	bigint PRIMARY KEY REFERENCES zalo_tthc.dossier (id) ON DELETE CASCADE,
	event_seq	integer NOT NULL,
	taken_at	timestamptz NOT NULL DEFAULT now(),
	slip		jsonb NOT NULL CHECK (jsonb_typeof(slip) = 'object')
);
COMMENT ON TABLE zalo_tthc.receipt_snapshot IS
	'Phiếu tiếp nhận: the receipt slip of a dossier as it stood when it entered the received stage, so that later edits of the dossier do not rewrite what the citizen was given. Written by the dossier_enqueue trigger, through take_receipt_snapshot().';
COMMENT ON COLUMN zalo_tthc.receipt_snapshot.dossier_id IS 'Hồ sơ.';
COMMENT ON COLUMN zalo_tthc.receipt_snapshot.event_seq IS 'Lần chuyển giai đoạn (dossier_event.seq) of the received stage.';
COMMENT ON COLUMN zalo_tthc.receipt_snapshot.taken_at IS 'Thời điểm lập phiếu.';
COMMENT ON COLUMN zalo_tthc.receipt_snapshot.slip IS 'Nội dung phiếu: so_bien_nhan, nguoi_dai_dien, ten_linh_vuc, ten_thu_tuc, ten_don_vi, ten_co_quan, hinh_thuc_tra_ket_qua, ngay_tiep_nhan, ngay_hen_tra, trang_thai (dates DD/MM/YYYY, Asia/Ho_Chi_Minh), with the values of the received notification.';

CREATE FUNCTION zalo_tthc.take_receipt_snapshot(d zalo_tthc.dossier)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO zalo_tthc.receipt_snapshot AS r (dossier_id, event_seq, slip)
	SELECT d.id, e.seq, jsonb_build_object(
		'so_bien_nhan', v->'ma_ho_so',
		'nguoi_dai_dien', v->'nguoi_dai_dien',
		'ten_linh_vuc', v->'ten_linh_vuc',
		'ten_thu_tuc', v->'ten_thu_tuc',
		'ten_don_vi', v->'don_vi_tiep_nhan',
		'ten_co_quan', v->'co_quan',
		'hinh_thuc_tra_ket_qua', v->'hinh_thuc_tra',
		'ngay_tiep_nhan', v->'ngay_tiep_nhan',
		'ngay_hen_tra', v->'ngay_hen_tra',
		'trang_thai', v->'trang_thai')
	FROM zalo_tthc.dossier_event e,
		LATERAL zalo_tthc.notification_values(d, e) AS v
	WHERE e.dossier_id = d.id AND e.seq = d.stage_seq
	ON CONFLICT (dossier_id) DO UPDATE
	SET event_seq = excluded.event_seq, taken_at = excluded.taken_at, slip = excluded.slip;
END
$$;
COMMENT ON FUNCTION zalo_tthc.take_receipt_snapshot(zalo_tthc.dossier) IS
	'Keep the receipt slip of a dossier that has just entered the received stage in zalo_tthc.receipt_snapshot. Called by the dossier_enqueue trigger after it has written the stage''s dossier_event row, whose due date the slip shows.';
REVOKE ALL ON FUNCTION zalo_tthc.take_receipt_snapshot(zalo_tthc.dossier) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Audit of lookups (nhật ký tra cứu)
-- ---------------------------------------------------------------------

CREATE TYPE zalo_tthc.lookup_kind AS ENUM ('code', 'id_number', 'name', 'receipt');
COMMENT ON TYPE zalo_tthc.lookup_kind IS
	'Loại tra cứu: by dossier code, by CCCD/CMND number, by name, or the receipt slip.';

CREATE TABLE zalo_tthc.lookup_audit (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	looked_up_at timestamptz NOT NULL DEFAULT now(),
	role_name	name NOT NULL DEFAULT session_user,
	client_addr	inet DEFAULT inet_client_addr(),
	application_name text DEFAULT current_setting('application_name'),
	kind		zalo_tthc.lookup_kind NOT NULL,
	key_hash	bytea NOT NULL CHECK (octet_length(key_hash) = 32),
	second_factor boolean NOT NULL DEFAULT false,
	results		integer NOT NULL CHECK (results >= 0)
);
COMMENT ON TABLE zalo_tthc.lookup_audit IS
	'Nhật ký tra cứu: one row per lookup or receipt request. The key is kept only as a keyed SHA-256 hash (lookup_key_hash), never in clear. Rows older than zalo_tthc.lookup_audit_retention are removed by purge_lookup_audit().';
COMMENT ON COLUMN zalo_tthc.lookup_audit.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.lookup_audit.looked_up_at IS 'Thời điểm tra cứu.';
COMMENT ON COLUMN zalo_tthc.lookup_audit.role_name IS 'Tài khoản đăng nhập (session_user) that asked.';
COMMENT ON COLUMN zalo_tthc.lookup_audit.client_addr IS 'Địa chỉ máy khách of the connection (NULL over a Unix socket).';
COMMENT ON COLUMN zalo_tthc.lookup_audit.application_name IS 'application_name of the connection (a portal may put its own session id there).';
COMMENT ON COLUMN zalo_tthc.lookup_audit.kind IS 'Loại tra cứu: code, id_number, name or receipt.';
COMMENT ON COLUMN zalo_tthc.lookup_audit.key_hash IS 'SHA-256 of the secret salt and the normalised key (code, ID digits, or the name without diacritics, lower case).';
COMMENT ON COLUMN zalo_tthc.lookup_audit.second_factor IS 'Có yếu tố xác thực thứ hai: a name search confirmed by a code, birth year or last digits.';
COMMENT ON COLUMN zalo_tthc.lookup_audit.results IS 'Số hồ sơ trả về.';

CREATE INDEX lookup_audit_looked_up_at_idx ON zalo_tthc.lookup_audit (looked_up_at);
GRANT SELECT ON zalo_tthc.lookup_audit TO zalo_tthc_operator;

-- The salt of the key hashes: a 9-digit CMND hashed alone could be found by
-- trying every number.  Made at the first lookup (not by this script), so
-- that a dump restores the same salt and old hashes stay comparable.
CREATE TABLE zalo_tthc.lookup_secret (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	salt		bytea NOT NULL CHECK (octet_length(salt) >= 16),
	created_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.lookup_secret IS
	'Khóa băm nhật ký tra cứu: the secret salt of lookup_audit.key_hash. Readable by the extension owner only.';
COMMENT ON COLUMN zalo_tthc.lookup_secret.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN zalo_tthc.lookup_secret.salt IS 'Random salt (32 bytes). Secret.';
COMMENT ON COLUMN zalo_tthc.lookup_secret.created_at IS 'Thời điểm tạo.';
REVOKE ALL ON zalo_tthc.lookup_secret FROM PUBLIC;

CREATE FUNCTION zalo_tthc.lookup_key_hash(key text)
RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	salt bytea;
BEGIN
	SELECT s.salt INTO salt FROM zalo_tthc.lookup_secret s;
	IF NOT FOUND THEN
		INSERT INTO zalo_tthc.lookup_secret (salt)
		VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))
		ON CONFLICT (id) DO NOTHING;
		SELECT s.salt INTO STRICT salt FROM zalo_tthc.lookup_secret s;
	END IF;
	RETURN sha256(salt || convert_to(key, 'UTF8'));
END
$$;
COMMENT ON FUNCTION zalo_tthc.lookup_key_hash(text) IS
	'The keyed hash written to lookup_audit.key_hash for a normalised key (e.g. lookup_key_hash(''008090001234'')), to find the lookups of one dossier, ID number or name. Owner only.';
REVOKE ALL ON FUNCTION zalo_tthc.lookup_key_hash(text) FROM PUBLIC;

-- PL/pgSQL keeps the plan of its INSERT for the session; a SQL function
-- would plan it again at every lookup.
CREATE FUNCTION zalo_tthc.lookup_audit_write(kind zalo_tthc.lookup_kind, key text,
	second_factor boolean, results integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO zalo_tthc.lookup_audit (kind, key_hash, second_factor, results)
	VALUES (kind, zalo_tthc.lookup_key_hash(key), second_factor, results);
END
$$;
COMMENT ON FUNCTION zalo_tthc.lookup_audit_write(zalo_tthc.lookup_kind, text, boolean, integer) IS
	'Write the audit row of one lookup.';
REVOKE ALL ON FUNCTION zalo_tthc.lookup_audit_write(zalo_tthc.lookup_kind, text, boolean, integer) FROM PUBLIC;

CREATE FUNCTION zalo_tthc.purge_lookup_audit()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	retention_min integer := (SELECT setting::integer FROM pg_settings
							  WHERE name = 'zalo_tthc.lookup_audit_retention');
	purged bigint;
BEGIN
	IF coalesce(retention_min, 0) = 0 THEN
		RETURN 0;
	END IF;
	DELETE FROM zalo_tthc.lookup_audit
	WHERE looked_up_at < now() - make_interval(mins => retention_min);
	GET DIAGNOSTICS purged = ROW_COUNT;
	RETURN purged;
END
$$;
COMMENT ON FUNCTION zalo_tthc.purge_lookup_audit() IS
	'Delete the lookup_audit rows older than zalo_tthc.lookup_audit_retention and return how many; nothing when the retention is 0. Run it daily (cron, pg_cron).';
REVOKE ALL ON FUNCTION zalo_tthc.purge_lookup_audit() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.purge_lookup_audit() TO zalo_tthc_operator;

-- ---------------------------------------------------------------------
-- Lookups
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.lookup_classify(query text, OUT kind text, OUT key text, OUT second_factor text)
RETURNS record
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_lookup_classify';
COMMENT ON FUNCTION zalo_tthc.lookup_classify(text) IS
	'What a lookup query is: kind code (key: the normalised code), id_number (key: the digits) or name (key: the name, white space collapsed; second_factor: a trailing 4-digit word). Raises 22023, 22001 or 22007 for a query that is none of them.';

CREATE FUNCTION zalo_tthc.lookup_clean_name(name text)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_lookup_clean_name';
COMMENT ON FUNCTION zalo_tthc.lookup_clean_name(text) IS
	'The name of a name search with white space collapsed; raises for empty, over-long or unprintable text and text without a letter.';

CREATE FUNCTION zalo_tthc.lookup_second_factor(factor text, OUT kind text, OUT value text)
RETURNS record
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'zt_lookup_second_factor';
COMMENT ON FUNCTION zalo_tthc.lookup_second_factor(text) IS
	'The second factor of a name search: kind digits (a birth year or the last 4 digits of the CCCD/CMND or phone) or code (value: the normalised dossier code); raises 22023 otherwise.';

REVOKE ALL ON FUNCTION zalo_tthc.lookup_classify(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.lookup_clean_name(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.lookup_second_factor(text) FROM PUBLIC;

CREATE TYPE zalo_tthc.lookup_result AS (
	code		text,
	channel		text,
	procedure_name text,
	applicant_name text,
	organization_name text,
	receiving_unit text,
	submitted_at timestamptz,
	received_at	timestamptz,
	due_at		timestamptz,
	result_at	timestamptz,
	returned_at	timestamptz,
	status_code	smallint,
	status_label text,
	stage_label	text,
	overdue		boolean,
	verified	boolean
);
COMMENT ON TYPE zalo_tthc.lookup_result IS
	'Kết quả tra cứu hồ sơ: one dossier as a lookup shows it, personal data masked. When verified is false (a name search without a matching second factor), procedure_name is NULL and the last 4 characters of code are hidden.';

-- The rows of a lookup, in the order of ids: the only place that decides
-- what a lookup shows.  No SET clause: the planner inlines it into the
-- calling lookup function's query (whose search_path is pinned), so that
-- it is planned once per session with that query instead of at every call.
CREATE FUNCTION zalo_tthc.lookup_present(ids bigint[], verified boolean)
RETURNS SETOF zalo_tthc.lookup_result
LANGUAGE sql STABLE
AS $$
	SELECT
		CASE WHEN verified THEN d.code ELSE zalo_tthc.mask_dossier_code(d.code) END,
		CASE d.channel WHEN 1 THEN 'Nộp trực tiếp' WHEN 2 THEN 'Nộp online'
			ELSE 'Nộp qua bưu chính công ích' END,
		CASE WHEN verified THEN d.procedure_name END,
		zalo_tthc.mask_name(d.applicant_name),
		d.organization_name,
		coalesce(d.receiving_unit, d.agency_name),
		d.submitted_at, d.received_at, d.due_at, d.result_at, d.returned_at,
		d.status_code,
		(SELECT min(st.status_label_vi) FROM zalo_tthc.stage_info st WHERE st.status_code = d.status_code),
		s.label_vi,
		d.due_at IS NOT NULL AND d.status_code NOT IN (3, 8)
			AND coalesce(d.result_at, d.returned_at, now()) > d.due_at,
		verified
	FROM unnest(ids) WITH ORDINALITY AS m(id, ord)
	JOIN zalo_tthc.dossier d ON d.id = m.id
	JOIN zalo_tthc.stage_info s ON s.stage = d.stage
	ORDER BY m.ord
$$;
COMMENT ON FUNCTION zalo_tthc.lookup_present(bigint[], boolean) IS
	'The lookup_result rows of the given dossiers, in the given order: channel and status in Vietnamese, the overdue flag, the name masked; no phone, address, birth date or ID number.';
REVOKE ALL ON FUNCTION zalo_tthc.lookup_present(bigint[], boolean) FROM PUBLIC;

-- The lookup functions run with plan_cache_mode = force_generic_plan:
-- PL/pgSQL would otherwise plan some of their statements again at every
-- call (with the array of ids as a constant each custom plan looks cheaper
-- than the generic one), and that planning cost more than the lookup.
CREATE FUNCTION zalo_tthc.lookup_by_code(code text)
RETURNS SETOF zalo_tthc.lookup_result
LANGUAGE plpgsql VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	normalized text := zalo_tthc.normalize_dossier_code(code);
	ids bigint[];
BEGIN
	ids := ARRAY(SELECT d.id FROM zalo_tthc.dossier d WHERE d.code = normalized);
	PERFORM zalo_tthc.lookup_audit_write('code', normalized, false, cardinality(ids));
	RETURN QUERY SELECT * FROM zalo_tthc.lookup_present(ids, true);
END
$$;
COMMENT ON FUNCTION zalo_tthc.lookup_by_code(text) IS
	'Tra cứu theo mã hồ sơ: the dossier with this code (any case, spaces, a leading "TTHC "), personal data masked. Audited.';

CREATE FUNCTION zalo_tthc.lookup_by_id_number(id_number text)
RETURNS SETOF zalo_tthc.lookup_result
LANGUAGE plpgsql VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	normalized text := zalo_tthc.normalize_id_number(id_number);
	ids bigint[];
BEGIN
	ids := ARRAY(SELECT d.id FROM zalo_tthc.dossier d
				 WHERE d.applicant_id_number = normalized
				 ORDER BY d.submitted_at DESC, d.id DESC
				 LIMIT current_setting('zalo_tthc.lookup_max_results')::integer);
	PERFORM zalo_tthc.lookup_audit_write('id_number', normalized, false, cardinality(ids));
	RETURN QUERY SELECT * FROM zalo_tthc.lookup_present(ids, true);
END
$$;
COMMENT ON FUNCTION zalo_tthc.lookup_by_id_number(text) IS
	'Tra cứu theo số CCCD/CMND: the newest dossiers of this applicant (at most zalo_tthc.lookup_max_results), personal data masked. Audited with the number hashed.';

CREATE FUNCTION zalo_tthc.lookup_by_name(name text, second_factor text DEFAULT NULL)
RETURNS SETOF zalo_tthc.lookup_result
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	-- a broad word search (one common word) is ranked among this many
	-- matches, so that no lookup reads a large part of the table
	max_candidates constant integer := 1000;
	-- the rows the second factor ($3 kind, $4 value) lets through
	factor_filter constant text := $filter$
		CASE $3
			WHEN 'code' THEN d.code = $4
			WHEN 'digits' THEN extract(year FROM d.applicant_birth_date)::text = $4
				OR right(d.applicant_id_number, 4) = $4 OR right(d.applicant_phone, 4) = $4
			ELSE true
		END$filter$;
	clean text;
	spelt text;					-- the query's spelling, case folded
	folded text;
	pattern text;
	factor_kind text;
	factor_value text;
	ids bigint[];
	candidates bigint[];
	words tsquery;
BEGIN
	IF name IS NULL THEN
		RETURN;
	END IF;
	clean := normalize(zalo_tthc.lookup_clean_name(name), NFC);
	IF second_factor IS NOT NULL THEN
		SELECT f.kind, f.value INTO factor_kind, factor_value
		FROM zalo_tthc.lookup_second_factor(second_factor) AS f;
	END IF;
	folded := lower(zalo_tthc.f_unaccent(clean));
	spelt := zalo_tthc.vn_lower(clean);

	IF EXISTS (SELECT FROM zalo_tthc.dossier d WHERE lower(zalo_tthc.f_unaccent(d.applicant_name)) = folded) THEN
		-- someone's full name: the applicants of that name, exact spelling
		-- (diacritics included) first, newest first
		EXECUTE $query$
			SELECT ARRAY(
				SELECT d.id FROM zalo_tthc.dossier d
				WHERE lower(zalo_tthc.f_unaccent(d.applicant_name)) = $1 AND $query$ || factor_filter || $query$
				ORDER BY zalo_tthc.vn_lower(d.applicant_name) = $2 DESC, d.submitted_at DESC, d.id DESC
				LIMIT $5)
		$query$
		INTO ids
		USING folded, spelt, factor_kind, factor_value,
			current_setting('zalo_tthc.lookup_max_results')::integer;
	ELSE
		-- part of a name: its words, in order, each a whole word of the
		-- applicant's name ("thanh man" finds "Nguyễn Thị Thanh Mẫn", "man"
		-- does not find "Mạnh"), the regular expression checking their
		-- order.  Candidates come first from the names where the words are
		-- neighbours or the first and last word ("nguyen an" in "Nguyễn
		-- Văn An"): one short posting list of the index of name terms.
		-- Only when those are fewer than a page of results are names with
		-- the words elsewhere added (the intersection of each word's list,
		-- long for common words); they could not rank above the others on
		-- spelling.  Then: exact spelling first, then the words spelt
		-- exactly, then the shortest names (a query without a letter or
		-- digit has no terms to look up: the expression alone decides)
		pattern := '(^| )'
			|| array_to_string(ARRAY(
				SELECT regexp_replace(w, '([^[:alnum:]])', '\\\1', 'g')
				FROM unnest(string_to_array(folded, ' ')) WITH ORDINALITY AS u(w, i) ORDER BY i), ' (.* )?')
			|| '( |$)';
		candidates := '{}';
		IF folded ~ '[a-z0-9]' THEN
			words := zalo_tthc.name_terms_query(folded, true);
		END IF;
		IF words IS NOT NULL THEN
			EXECUTE $query$
				SELECT ARRAY(
					SELECT d.id FROM zalo_tthc.dossier d
					WHERE zalo_tthc.name_terms(lower(zalo_tthc.f_unaccent(d.applicant_name))) @@ $5
						AND lower(zalo_tthc.f_unaccent(d.applicant_name)) ~ $1 AND $query$ || factor_filter || $query$
					LIMIT $2)
			$query$
			INTO candidates
			USING pattern, max_candidates, factor_kind, factor_value, words;
		END IF;
		IF cardinality(candidates) < current_setting('zalo_tthc.lookup_max_results')::integer THEN
			words := NULL;
			IF folded ~ '[a-z0-9]' THEN
				words := zalo_tthc.name_terms_query(folded, false);
			END IF;
			EXECUTE $query$
				SELECT $6 || ARRAY(
					SELECT d.id FROM zalo_tthc.dossier d
					WHERE lower(zalo_tthc.f_unaccent(d.applicant_name)) ~ $1 AND $query$ || factor_filter
					|| CASE WHEN words IS NOT NULL THEN $words$
						AND zalo_tthc.name_terms(lower(zalo_tthc.f_unaccent(d.applicant_name))) @@ $5$words$
					   ELSE '' END || $query$
						AND d.id <> ALL ($6)
					LIMIT $2 - cardinality($6))
			$query$
			INTO candidates
			USING pattern, max_candidates, factor_kind, factor_value, words, candidates;
		END IF;
		SELECT ARRAY(
			SELECT d.id FROM zalo_tthc.dossier d
			WHERE d.id = ANY (candidates)
			ORDER BY zalo_tthc.vn_lower(d.applicant_name) = spelt DESC,
				strpos(' ' || zalo_tthc.vn_lower(d.applicant_name) || ' ', ' ' || spelt || ' ') > 0 DESC,
				length(d.applicant_name), d.submitted_at DESC, d.id DESC
			LIMIT current_setting('zalo_tthc.lookup_max_results')::integer)
		INTO ids;
	END IF;

	PERFORM zalo_tthc.lookup_audit_write('name', folded, factor_kind IS NOT NULL, cardinality(ids));
	RETURN QUERY SELECT * FROM zalo_tthc.lookup_present(ids, factor_kind IS NOT NULL);
END
$$;
COMMENT ON FUNCTION zalo_tthc.lookup_by_name(text, text) IS
	'Tra cứu theo họ tên, with or without diacritics (NFC or NFD, any case, đ = d). A full name returns the applicants of that name; any other name is searched word by word. Without second_factor the procedure name and the end of the code are hidden; with one (the dossier code, the birth year, or the last 4 digits of the CCCD/CMND or phone) only the dossiers it matches are returned, in full. Exact spellings first; at most zalo_tthc.lookup_max_results rows. Audited.';

CREATE FUNCTION zalo_tthc.lookup(query text)
RETURNS SETOF zalo_tthc.lookup_result
LANGUAGE plpgsql VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	q record := zalo_tthc.lookup_classify(query);
BEGIN
	CASE q.kind
		WHEN 'code' THEN
			RETURN QUERY SELECT * FROM zalo_tthc.lookup_by_code(q.key);
		WHEN 'id_number' THEN
			RETURN QUERY SELECT * FROM zalo_tthc.lookup_by_id_number(q.key);
		ELSE
			RETURN QUERY SELECT * FROM zalo_tthc.lookup_by_name(q.key, q.second_factor);
	END CASE;
END
$$;
COMMENT ON FUNCTION zalo_tthc.lookup(text) IS
	'Tra cứu hồ sơ: a dossier code (000.00.04.H60-230215-0028, any case, spaces, "TTHC " prefix), a 9- or 12-digit CCCD/CMND number, or a name with or without diacritics, optionally followed by a birth year or the last 4 digits of the CCCD/CMND or phone. See lookup_by_code, lookup_by_id_number, lookup_by_name.';

CREATE FUNCTION zalo_tthc.receipt(code text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	normalized text := zalo_tthc.normalize_dossier_code(code);
	slip jsonb;
BEGIN
	SELECT r.slip || jsonb_build_object(
		'nguoi_dai_dien', zalo_tthc.mask_name(r.slip->>'nguoi_dai_dien'),
		'trang_thai_hien_tai', s.label_vi)
	INTO slip
	FROM zalo_tthc.dossier d
	JOIN zalo_tthc.receipt_snapshot r ON r.dossier_id = d.id
	JOIN zalo_tthc.stage_info s ON s.stage = d.stage
	WHERE d.code = normalized;
	PERFORM zalo_tthc.lookup_audit_write('receipt', normalized, false, CASE WHEN slip IS NULL THEN 0 ELSE 1 END);
	RETURN slip;
END
$$;
COMMENT ON FUNCTION zalo_tthc.receipt(text) IS
	'Phiếu tiếp nhận: the receipt slip of a dossier as taken at its received stage (so_bien_nhan, nguoi_dai_dien masked, ten_linh_vuc, ten_thu_tuc, ten_don_vi, ten_co_quan, hinh_thuc_tra_ket_qua, ngay_tiep_nhan, ngay_hen_tra, trang_thai) plus trang_thai_hien_tai, the current stage; NULL for an unknown code or a dossier not yet received. Audited.';

-- ---------------------------------------------------------------------
-- Privileges: the portal calls the lookups and nothing else
-- ---------------------------------------------------------------------

-- f_unaccent, unaccent_dict, name_terms and vn_lower stay open to PUBLIC:
-- the name indexes evaluate f_unaccent and name_terms as whoever writes a
-- dossier.
REVOKE ALL ON FUNCTION zalo_tthc.name_terms_query(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.lookup(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.lookup_by_code(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.lookup_by_id_number(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.lookup_by_name(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.receipt(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.mask_name(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.mask_id_number(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.mask_phone(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.mask_dossier_code(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.lookup(text), zalo_tthc.lookup_by_code(text),
	zalo_tthc.lookup_by_id_number(text), zalo_tthc.lookup_by_name(text, text),
	zalo_tthc.receipt(text)
	TO zalo_tthc_portal;
GRANT EXECUTE ON FUNCTION zalo_tthc.mask_name(text), zalo_tthc.mask_id_number(text),
	zalo_tthc.mask_phone(text), zalo_tthc.mask_dossier_code(text)
	TO zalo_tthc_portal, zalo_tthc_operator;

SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.receipt_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.lookup_audit', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.lookup_secret', '');
-- ---------------------------------------------------------------------
-- Zalo webhooks (Zalo → the portal → handle_webhook)
--
-- handle_webhook(body, signature) verifies X-ZEvent-Signature in C
-- (src/webhook_core.c) before anything of the body is read, remembers the
-- event to ignore replays, and acts on it: follow (welcome message, phone
-- request), unfollow, user_submit_info (phone link), user_send_text (chat
-- lookup), and the delivery and seen receipts of OA and ZNS messages.
-- Chat messages go through zalo_tthc.outbox like stage notifications, as
-- rows without a dossier whose payload is the message body.
--
-- New enum values are not used in this script (it runs in one
-- transaction): the functions below name them in PL/pgSQL bodies only,
-- which are planned at their first call.
-- ---------------------------------------------------------------------

ALTER TYPE zalo_tthc.message_kind ADD VALUE IF NOT EXISTS 'welcome';
ALTER TYPE zalo_tthc.message_kind ADD VALUE IF NOT EXISTS 'request_user_info';
ALTER TYPE zalo_tthc.message_kind ADD VALUE IF NOT EXISTS 'chat_reply';
COMMENT ON TYPE zalo_tthc.message_kind IS
	'Loại tin: stage (the stage message), receipt_file (the receipt PDF sent after the received message), welcome (lời chào khi quan tâm OA), request_user_info (yêu cầu chia sẻ số điện thoại), chat_reply (trả lời tin nhắn tra cứu).';

-- chat messages have no dossier, event or stage; their body is ready
ALTER TABLE zalo_tthc.outbox
	ALTER COLUMN event_id DROP NOT NULL,
	ALTER COLUMN dossier_id DROP NOT NULL,
	ALTER COLUMN stage DROP NOT NULL,
	ADD COLUMN payload jsonb,
	ADD CONSTRAINT outbox_stage_or_chat CHECK
		(payload IS NOT NULL OR (event_id IS NOT NULL AND dossier_id IS NOT NULL AND stage IS NOT NULL));
COMMENT ON COLUMN zalo_tthc.outbox.event_id IS 'Sự kiện chuyển giai đoạn gây ra thông báo (NULL for a chat message).';
COMMENT ON COLUMN zalo_tthc.outbox.dossier_id IS 'Hồ sơ (NULL for a chat message).';
COMMENT ON COLUMN zalo_tthc.outbox.stage IS 'Giai đoạn được thông báo (NULL for a chat message).';
COMMENT ON COLUMN zalo_tthc.outbox.payload IS
	'Nội dung tin nhắn tư vấn: the complete /v3.0/oa/message/cs body of a chat message (welcome, request_user_info, chat_reply); NULL for stage notifications, which are rendered from zalo_tthc.template when sent.';

-- Receipts find their message by Zalo's id; NULL until the message is sent,
-- so a fresh notification adds no entry.
CREATE INDEX outbox_provider_msg_idx ON zalo_tthc.outbox (provider_msg_id)
	WHERE provider_msg_id IS NOT NULL;
-- A citizen's open chat messages, sent one after the other.
CREATE INDEX outbox_chat_open_idx ON zalo_tthc.outbox (recipient_id, id)
	WHERE event_id IS NULL AND status IN ('pending', 'sending', 'failed');

-- ---------------------------------------------------------------------
-- Chat texts (mẫu tin nhắn tư vấn)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.chat_template (
	kind		text PRIMARY KEY CHECK (kind IN ('welcome', 'request_user_info', 'help', 'not_found',
												 'id_needs_phone', 'id_not_found', 'id_list')),
	title		text CHECK (length(title) <= 100),
	body		text NOT NULL CHECK (length(body) <= 1000),
	image_url	text CHECK (image_url ~ '^https?://'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.chat_template IS
	'Mẫu tin nhắn tư vấn: the texts of the chat messages the webhook sends (welcome on follow, the phone request, lookup answers and help). Operators may edit them; {{placeholders}} are listed per row in zalo_tthc.chat_template.body''s comment.';
COMMENT ON COLUMN zalo_tthc.chat_template.kind IS 'Loại: welcome, request_user_info, help, not_found, id_needs_phone, id_not_found, id_list.';
COMMENT ON COLUMN zalo_tthc.chat_template.title IS 'Tiêu đề (request_user_info: the title of the request card).';
COMMENT ON COLUMN zalo_tthc.chat_template.body IS 'Nội dung: the text (request_user_info: the subtitle). Placeholders: {{ma_ho_so}} (not_found), {{so_giay_to}} (id_not_found, id_list: the masked CCCD/CMND).';
COMMENT ON COLUMN zalo_tthc.chat_template.image_url IS 'Ảnh (request_user_info: the image of the request card).';
COMMENT ON COLUMN zalo_tthc.chat_template.updated_at IS 'Thời điểm cập nhật.';

INSERT INTO zalo_tthc.chat_template (kind, title, body, image_url)
VALUES
	('welcome', NULL,
	 'Chào mừng ông/bà đã đến với Chính quyền số tỉnh Tuyên Quang; thông tin về dịch vụ công sẽ được gửi tới tài khoản Zalo này thay thế cho tin nhắn SMS. Để tra cứu hồ sơ, vui lòng nhắn: TTHC <số hồ sơ>.',
	 NULL),
	('request_user_info', 'Chính quyền số tỉnh Tuyên Quang',
	 'Vui lòng chia sẻ số điện thoại đã dùng khi nộp hồ sơ để nhận thông báo về hồ sơ qua Zalo',
	 'https://dichvucong.gov.vn/p/home/images/logo-dvc.png'),
	('help', NULL,
	 'Để tra cứu hồ sơ, vui lòng nhắn: TTHC <số hồ sơ>, ví dụ: TTHC 000.00.04.H60-230215-0028. Số hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.',
	 NULL),
	('not_found', NULL,
	 'Không tìm thấy hồ sơ số {{ma_ho_so}}. Vui lòng kiểm tra lại số hồ sơ trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.',
	 NULL),
	('id_needs_phone', NULL,
	 'Để tra cứu theo số CCCD/CMND, ông/bà cần chia sẻ với Zalo OA này số điện thoại đã dùng khi nộp hồ sơ. Hoặc nhắn: TTHC <số hồ sơ>.',
	 NULL),
	('id_not_found', NULL,
	 'Không có hồ sơ nào của số giấy tờ {{so_giay_to}} gắn với số điện thoại ông/bà đã chia sẻ.',
	 NULL),
	('id_list', NULL, 'Các hồ sơ của số giấy tờ {{so_giay_to}}:', NULL);

-- ---------------------------------------------------------------------
-- Handled events (replay protection)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.webhook_event (
	dedupe_key	bytea PRIMARY KEY CHECK (octet_length(dedupe_key) = 32),
	event_name	text NOT NULL,
	zalo_user_id text,
	occurred_at	timestamptz NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	action		text
);
COMMENT ON TABLE zalo_tthc.webhook_event IS
	'Sự kiện webhook đã xử lý: one row per verified Zalo webhook event, kept zalo_tthc.webhook_replay_retention so that a second delivery of the same event is ignored. Holds no message text and no phone number.';
COMMENT ON COLUMN zalo_tthc.webhook_event.dedupe_key IS 'SHA-256 of the event name and Zalo''s msg_id / tracking_id, or of the raw body for events without one.';
COMMENT ON COLUMN zalo_tthc.webhook_event.event_name IS 'Tên sự kiện (Zalo event_name), also for events zalo_tthc does not act on.';
COMMENT ON COLUMN zalo_tthc.webhook_event.zalo_user_id IS 'Người dùng Zalo của sự kiện, when the event names one.';
COMMENT ON COLUMN zalo_tthc.webhook_event.occurred_at IS 'Thời điểm sự kiện (the signed timestamp).';
COMMENT ON COLUMN zalo_tthc.webhook_event.received_at IS 'Thời điểm nhận.';
COMMENT ON COLUMN zalo_tthc.webhook_event.action IS 'Việc đã làm: the action handle_webhook reported.';

CREATE INDEX webhook_event_received_idx ON zalo_tthc.webhook_event (received_at);

-- ---------------------------------------------------------------------
-- Receipts that arrive before the send's outcome (biên nhận chờ khớp)
--
-- Zalo may report a message delivered or seen before the worker has
-- written its outcome (the message id is only known then).  Such a receipt
-- is kept here and applied by the outbox trigger below when the outcome
-- is written; the replay guard would otherwise make its loss permanent.
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.webhook_pending_receipt (
	kind		text NOT NULL CHECK (kind IN ('delivered', 'seen', 'zns_delivered')),
	match_key	text NOT NULL,
	occurred_at	timestamptz NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (match_key, kind)
);
COMMENT ON TABLE zalo_tthc.webhook_pending_receipt IS
	'Biên nhận chờ khớp: delivery and seen receipts that matched no sent message yet, applied when the worker records the outcome with that message id (or ZNS tracking id); forgotten after zalo_tthc.webhook_replay_retention (receipts of messages the OA sent by other means never match).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.kind IS 'Loại: delivered (user_received_message), seen (user_seen_message), zns_delivered (ZNS user_received_message).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.match_key IS 'Khóa khớp: Zalo''s msg_id (= outbox.provider_msg_id), or for zns_delivered the tracking_id (= outbox.idempotency_key).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.occurred_at IS 'Thời điểm nhận/xem tin (Zalo''s delivery_time, else the signed timestamp).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.received_at IS 'Thời điểm nhận webhook.';

CREATE INDEX webhook_pending_receipt_received_idx ON zalo_tthc.webhook_pending_receipt (received_at);

-- ---------------------------------------------------------------------
-- Verification (C)
-- ---------------------------------------------------------------------

-- The signature covers the bytes Zalo sent, so the body is bytea: a text
-- argument would have been converted from the client encoding already.
CREATE FUNCTION zalo_tthc.webhook_verify(body bytea, signature text)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'zt_webhook_verify';
COMMENT ON FUNCTION zalo_tthc.webhook_verify(bytea, text) IS
	'Verify one Zalo webhook delivery (X-ZEvent-Signature over the raw body bytes, time window) and parse it; no state change. Internal to handle_webhook.';
REVOKE ALL ON FUNCTION zalo_tthc.webhook_verify(bytea, text) FROM PUBLIC;

CREATE FUNCTION zalo_tthc.verify_webhook_signature(body bytea, signature text)
RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'zt_verify_webhook_signature';
COMMENT ON FUNCTION zalo_tthc.verify_webhook_signature(bytea, text) IS
	'True when signature is the X-ZEvent-Signature of body, the raw bytes (SHA-256 of app id, body, its timestamp and the OA secret key); the check alone, without time window or parsing. Owner only.';
REVOKE ALL ON FUNCTION zalo_tthc.verify_webhook_signature(bytea, text) FROM PUBLIC;

CREATE FUNCTION zalo_tthc.verify_webhook_signature(body text, signature text)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT zalo_tthc.verify_webhook_signature(convert_to(body, 'UTF8'), signature)
$$;
COMMENT ON FUNCTION zalo_tthc.verify_webhook_signature(text, text) IS
	'verify_webhook_signature of the UTF-8 bytes of body (right only when the session''s client_encoding is UTF8). Owner only.';
REVOKE ALL ON FUNCTION zalo_tthc.verify_webhook_signature(text, text) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Chat lookup (tra cứu qua tin nhắn)
-- ---------------------------------------------------------------------

-- masks: zalo_tthc.mask_name() and friends (10_lookup.sql)

CREATE FUNCTION zalo_tthc.chat_template_text(kind text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT body FROM zalo_tthc.chat_template WHERE chat_template.kind = chat_template_text.kind
$$;
COMMENT ON FUNCTION zalo_tthc.chat_template_text(text) IS
	'The body of one zalo_tthc.chat_template row.';

-- A lookup by chat is audited like one from the portal (kind code or
-- id_number, the key hashed), refusals included: the audit is for
-- spotting someone who tries many numbers, whatever the way in.
CREATE FUNCTION zalo_tthc.chat_answer(query text, zalo_user_id text)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	q text := btrim(regexp_replace(coalesce(query, ''), '\s+', ' ', 'g'));
	digits text;
	wanted_code text;
	d record;
	r record;
	masked text;
	lines text[];
BEGIN
	-- "TTHC <số hồ sơ>" as for the SMS service: keyword case-insensitive
	q := regexp_replace(q, '^tthc(\s*[:\-]\s*|\s+|$)', '', 'i');
	digits := replace(q, ' ', '');
	wanted_code := upper(q);

	IF digits ~ '^([0-9]{9}|[0-9]{12})$' THEN
		-- by CCCD/CMND: only with a second factor, the phone this Zalo user shared
		masked := repeat('*', length(digits) - 4) || right(digits, 4);
		SELECT rc.phone, rc.id_number INTO r
		FROM zalo_tthc.recipient rc WHERE rc.zalo_user_id = chat_answer.zalo_user_id;
		IF r.phone IS NULL AND r.id_number IS DISTINCT FROM digits THEN
			PERFORM zalo_tthc.lookup_audit_write('id_number', digits, false, 0);
			RETURN zalo_tthc.chat_template_text('id_needs_phone');
		END IF;
		SELECT array_agg(format('- %s: %s%s', x.code, x.label_vi,
								', hẹn trả ' || to_char(x.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'))
						 ORDER BY x.submitted_at DESC)
		INTO lines
		FROM (SELECT ds.code, s.label_vi, ds.due_at, ds.submitted_at
			  FROM zalo_tthc.dossier ds JOIN zalo_tthc.stage_info s ON s.stage = ds.stage
			  WHERE ds.applicant_id_number = digits
				AND (ds.applicant_phone = r.phone OR r.id_number = digits)
			  ORDER BY ds.submitted_at DESC LIMIT 10) x;
		PERFORM zalo_tthc.lookup_audit_write('id_number', digits, true, coalesce(cardinality(lines), 0));
		IF lines IS NULL THEN
			RETURN replace(zalo_tthc.chat_template_text('id_not_found'), '{{so_giay_to}}', masked);
		END IF;
		RETURN replace(zalo_tthc.chat_template_text('id_list'), '{{so_giay_to}}', masked)
			|| E'\n' || array_to_string(lines, E'\n');
	END IF;

	IF wanted_code !~ '^[0-9A-Z][0-9A-Z./_-]{5,49}$' THEN
		RETURN zalo_tthc.chat_template_text('help');
	END IF;

	-- by dossier code: status, dates, procedure, receiving unit, masked name
	SELECT ds.*, s.label_vi INTO d
	FROM zalo_tthc.dossier ds JOIN zalo_tthc.stage_info s ON s.stage = ds.stage
	WHERE ds.code = wanted_code;
	PERFORM zalo_tthc.lookup_audit_write('code', wanted_code, false, CASE WHEN d.code IS NULL THEN 0 ELSE 1 END);
	IF d.code IS NULL THEN
		RETURN replace(zalo_tthc.chat_template_text('not_found'), '{{ma_ho_so}}', wanted_code);
	END IF;
	RETURN left(concat_ws(E'\n',
		'Hồ sơ: ' || d.code,
		'Thủ tục: ' || d.procedure_name,
		'Người nộp: ' || zalo_tthc.mask_name(d.applicant_name),
		'Đơn vị tiếp nhận: ' || coalesce(d.receiving_unit, d.agency_name),
		'Trạng thái: ' || d.label_vi,
		'Ngày nộp: ' || to_char(d.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'Ngày tiếp nhận: ' || to_char(d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'Ngày hẹn trả: ' || to_char(d.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'Ngày có kết quả: ' || to_char(d.result_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
		'Ngày trả kết quả: ' || to_char(d.returned_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY')), 2000);
END
$$;
COMMENT ON FUNCTION zalo_tthc.chat_answer(text, text) IS
	'The reply to a chat message: "TTHC <số hồ sơ>" or a bare code gets the status, dates, procedure, receiving unit and masked applicant name; a CCCD/CMND gets a list only when the Zalo user shared the phone of those dossiers; anything else gets the help text. Never a phone, address, e-mail, birth date or full ID number. Lookups are audited in zalo_tthc.lookup_audit.';

-- ---------------------------------------------------------------------
-- Event handlers (internal to handle_webhook)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.enqueue_chat_message(recipient_id bigint, kind text, idempotency_key text,
	payload jsonb)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	INSERT INTO zalo_tthc.outbox (channel, kind, recipient_id, idempotency_key, payload)
	VALUES ('zalo_oa', kind::zalo_tthc.message_kind, recipient_id, idempotency_key, payload)
	ON CONFLICT (idempotency_key) WHERE event_id IS NULL DO NOTHING;
	RETURN FOUND;
END
$$;
COMMENT ON FUNCTION zalo_tthc.enqueue_chat_message(bigint, text, text, jsonb) IS
	'Queue one chat message (a /v3.0/oa/message/cs body) for the delivery worker; false if its key was queued already.';

CREATE FUNCTION zalo_tthc.cs_text_message(user_id text, message_text text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('recipient', jsonb_build_object('user_id', user_id),
							  'message', jsonb_build_object('text', message_text))
$$;
COMMENT ON FUNCTION zalo_tthc.cs_text_message(text, text) IS
	'The body of a cs text message to a Zalo user.';

CREATE FUNCTION zalo_tthc.webhook_on_follow(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid text := ev->>'user_id';
	occurred timestamptz := to_timestamp((ev->>'timestamp_ms')::bigint / 1000.0);
	rec record;
	queued text[] := '{}';
	t record;
BEGIN
	INSERT INTO zalo_tthc.recipient AS r (zalo_user_id, followed, followed_at)
	VALUES (uid, true, occurred)
	ON CONFLICT (zalo_user_id) DO UPDATE
		SET followed = true, followed_at = excluded.followed_at, updated_at = now()
		WHERE r.unfollowed_at IS NULL OR r.unfollowed_at <= excluded.followed_at
	RETURNING r.id, r.phone, (r.xmax = 0) AS created INTO rec;
	IF NOT FOUND THEN
		RETURN jsonb_build_object('action', 'ignored_out_of_order',
								  'detail', 'an unfollow later than this follow was handled already');
	END IF;

	IF zalo_tthc.enqueue_chat_message(rec.id, 'welcome', format('welcome-%s-%s', rec.id, ev->>'timestamp_ms'),
			zalo_tthc.cs_text_message(uid, zalo_tthc.chat_template_text('welcome'))) THEN
		queued := queued || 'welcome'::text;
	END IF;
	IF rec.phone IS NULL THEN
		SELECT title, body, image_url INTO t FROM zalo_tthc.chat_template WHERE kind = 'request_user_info';
		IF zalo_tthc.enqueue_chat_message(rec.id, 'request_user_info',
				format('request-info-%s-%s', rec.id, ev->>'timestamp_ms'),
				jsonb_build_object('recipient', jsonb_build_object('user_id', uid),
					'message', jsonb_build_object('attachment', jsonb_build_object(
						'type', 'template',
						'payload', jsonb_build_object(
							'template_type', 'request_user_info',
							'elements', jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
								'title', t.title, 'subtitle', t.body, 'image_url', t.image_url)))))))) THEN
			queued := queued || 'request_user_info'::text;
		END IF;
	END IF;
	RETURN jsonb_build_object('action', CASE WHEN rec.created THEN 'recipient_created' ELSE 'recipient_followed' END,
							  'queued', to_jsonb(queued), 'phone_known', rec.phone IS NOT NULL);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_follow(jsonb) IS
	'follow: create or revive the recipient, queue the welcome message and, when no phone is known, the request for it.';

CREATE FUNCTION zalo_tthc.webhook_on_unfollow(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	occurred timestamptz := to_timestamp((ev->>'timestamp_ms')::bigint / 1000.0);
BEGIN
	UPDATE zalo_tthc.recipient
	SET followed = false, unfollowed_at = occurred, updated_at = now()
	WHERE zalo_user_id = ev->>'user_id' AND (followed_at IS NULL OR followed_at <= occurred);
	IF FOUND THEN
		RETURN jsonb_build_object('action', 'recipient_unfollowed');
	ELSIF EXISTS (SELECT FROM zalo_tthc.recipient WHERE zalo_user_id = ev->>'user_id') THEN
		RETURN jsonb_build_object('action', 'ignored_out_of_order',
								  'detail', 'a follow later than this unfollow was handled already');
	END IF;
	RETURN jsonb_build_object('action', 'unknown_recipient');
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_unfollow(jsonb) IS
	'unfollow: mark the recipient; later notifications go by ZNS or end undeliverable, and queued OA messages are not sent.';

CREATE FUNCTION zalo_tthc.webhook_on_submit_info(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid text := ev->>'user_id';
	new_phone text := ev->>'phone';
	moved bigint;
	open_dossiers bigint;
BEGIN
	IF NOT (ev ? 'phone_valid') THEN
		RETURN jsonb_build_object('action', 'no_phone');
	ELSIF NOT (ev->>'phone_valid')::boolean THEN
		RETURN jsonb_build_object('action', 'invalid_phone',
								  'detail', 'info.phone is not a Vietnamese mobile number');
	END IF;

	-- one phone, one Zalo link: the latest to share it gets the notifications
	UPDATE zalo_tthc.recipient r SET phone = NULL, updated_at = now()
	WHERE r.phone = new_phone AND r.zalo_user_id <> uid;
	GET DIAGNOSTICS moved = ROW_COUNT;

	INSERT INTO zalo_tthc.recipient AS r (zalo_user_id, phone, display_name, followed)
	VALUES (uid, new_phone, ev->>'name', true)
	ON CONFLICT (zalo_user_id) DO UPDATE
		SET phone = excluded.phone, display_name = coalesce(excluded.display_name, r.display_name),
			updated_at = now();

	-- the dossiers whose next notifications now go to this follower
	SELECT count(*) INTO open_dossiers
	FROM zalo_tthc.dossier d JOIN zalo_tthc.stage_info s ON s.stage = d.stage
	WHERE d.applicant_phone = new_phone AND NOT s.is_final;

	RETURN jsonb_build_object('action', 'phone_linked', 'open_dossiers', open_dossiers,
							  'unlinked_from_others', moved);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_submit_info(jsonb) IS
	'user_submit_info: link the normalised phone to the recipient (and unlink it from any other), so the next stage notifications of the dossiers with that phone go to Zalo.';

CREATE FUNCTION zalo_tthc.webhook_on_send_text(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid text := ev->>'user_id';
	rid bigint;
BEGIN
	SELECT id INTO rid FROM zalo_tthc.recipient WHERE zalo_user_id = uid;
	PERFORM zalo_tthc.enqueue_chat_message(rid, 'chat_reply', 'reply-' || (ev->>'msg_id'),
		zalo_tthc.cs_text_message(uid, zalo_tthc.chat_answer(ev->>'text', uid)));
	RETURN jsonb_build_object('action', 'reply_queued');
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_send_text(jsonb) IS
	'user_send_text: queue the reply of zalo_tthc.chat_answer as a cs message.';

CREATE FUNCTION zalo_tthc.webhook_on_receipt(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	occurred timestamptz := to_timestamp(coalesce((ev->>'delivery_time_ms')::bigint,
											(ev->>'timestamp_ms')::bigint) / 1000.0);
	ev_kind text := ev->>'kind';
	zns_id bigint;
	zns_status zalo_tthc.delivery_status;
	matched text[];
	n bigint;
	pending bigint := 0;
BEGIN
	IF ev_kind = 'user_seen_message' THEN
		WITH u AS (
			UPDATE zalo_tthc.outbox
			SET status = CASE WHEN status = 'sending' THEN status ELSE 'seen' END,
				seen_at = coalesce(seen_at, occurred), delivered_at = coalesce(delivered_at, occurred)
			WHERE provider_msg_id IN (SELECT jsonb_array_elements_text(ev->'msg_ids'))
			  AND status IN ('sending', 'sent', 'delivered', 'seen')
			RETURNING provider_msg_id)
		SELECT count(*), array_agg(provider_msg_id) INTO n, matched FROM u;
		-- the ids of messages whose outcome is not written yet wait for it
		INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
		SELECT DISTINCT 'seen', id, occurred
		FROM jsonb_array_elements_text(ev->'msg_ids') AS id
		WHERE id <> ALL (coalesce(matched, '{}'))
		ON CONFLICT DO NOTHING;
		GET DIAGNOSTICS pending = ROW_COUNT;
	ELSIF ev_kind = 'zns_delivered' THEN
		SELECT o.id, o.status INTO zns_id, zns_status
		FROM zalo_tthc.outbox o
		WHERE o.idempotency_key = ev->>'tracking_id' AND o.channel = 'zns' AND o.kind = 'stage'
		  AND o.event_id = (SELECT e.id
							FROM regexp_match(ev->>'tracking_id', '^([0-9]{1,18})-([0-9]{1,9})-zns$') AS k,
								 zalo_tthc.dossier_event e
							WHERE e.dossier_id = k[1]::bigint AND e.seq = k[2]::integer);
		IF zns_status IN ('sent', 'delivered', 'seen') THEN
			UPDATE zalo_tthc.outbox
			SET status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END,
				delivered_at = coalesce(delivered_at, occurred)
			WHERE id = zns_id;
		ELSIF zns_status IN ('pending', 'sending', 'failed') THEN
			-- ours, its outcome not written yet: applied when it is
			INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
			VALUES ('zns_delivered', ev->>'tracking_id', occurred)
			ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS pending = ROW_COUNT;
		END IF;
		n := CASE WHEN zns_status IN ('sent', 'delivered', 'seen') THEN 1 ELSE 0 END;
	ELSE
		UPDATE zalo_tthc.outbox
		SET status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END,
			delivered_at = coalesce(delivered_at, occurred)
		WHERE provider_msg_id = ev->>'msg_id' AND status IN ('sending', 'sent', 'delivered', 'seen');
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n = 0 THEN
			INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
			VALUES ('delivered', ev->>'msg_id', occurred)
			ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS pending = ROW_COUNT;
		END IF;
	END IF;
	RETURN jsonb_build_object('action', CASE WHEN ev_kind = 'user_seen_message' THEN 'marked_seen'
										 ELSE 'marked_delivered' END,
							  'messages', n, 'pending', pending);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_receipt(jsonb) IS
	'user_received_message (msg_id), its ZNS form (tracking_id = outbox.idempotency_key) and user_seen_message (msg_ids[]): mark the outbox rows delivered or seen with the time; a seen message is never set back to delivered. A receipt for a message whose outcome is not written yet is kept in webhook_pending_receipt ("pending" counts them) and applied by apply_pending_receipts.';

-- Runs once per UPDATE of the outbox (the worker writes a batch of outcomes
-- in one), and then costs one probe of a table that is nearly always
-- empty: a receipt that waits for its outcome is rare.
CREATE FUNCTION zalo_tthc.apply_pending_receipts()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (this function's own UPDATE below writes no 'sent' row: it stops here)
	IF NOT EXISTS (SELECT FROM zalo_tthc.webhook_pending_receipt)
	   OR NOT EXISTS (SELECT FROM new_rows WHERE status = 'sent') THEN
		RETURN NULL;
	END IF;
	WITH s AS (
		SELECT n.id, n.provider_msg_id, n.idempotency_key, n.channel
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.status = 'sent' AND o.status IS DISTINCT FROM n.status),
	p AS (
		DELETE FROM zalo_tthc.webhook_pending_receipt r
		USING s
		WHERE (r.match_key = s.provider_msg_id AND r.kind IN ('delivered', 'seen'))
		   OR (r.match_key = s.idempotency_key AND r.kind = 'zns_delivered' AND s.channel = 'zns')
		RETURNING s.id, r.kind, r.occurred_at),
	a AS (
		SELECT id, bool_or(kind = 'seen') AS seen, min(occurred_at) AS delivered_at,
			   min(occurred_at) FILTER (WHERE kind = 'seen') AS seen_at
		FROM p GROUP BY id)
	UPDATE zalo_tthc.outbox o
	SET status = CASE WHEN a.seen THEN 'seen' ELSE 'delivered' END::zalo_tthc.delivery_status,
		delivered_at = coalesce(o.delivered_at, a.delivered_at),
		seen_at = coalesce(o.seen_at, a.seen_at)
	FROM a
	WHERE o.id = a.id AND o.status = 'sent';
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.apply_pending_receipts() IS
	'Trigger of outbox: when notifications are recorded as sent, apply the receipts that arrived for them before (webhook_pending_receipt, by provider_msg_id or the ZNS tracking id) and forget them.';

CREATE TRIGGER outbox_apply_pending_receipts
	AFTER UPDATE ON zalo_tthc.outbox
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT
	EXECUTE FUNCTION zalo_tthc.apply_pending_receipts();

-- ---------------------------------------------------------------------
-- The entry point for the portal
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.handle_webhook(body bytea, signature text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ev jsonb := zalo_tthc.webhook_verify(body, signature);
	dedupe bytea;
	result jsonb;
BEGIN
	IF NOT (ev->>'ok')::boolean THEN
		RETURN ev;
	END IF;

	-- a second delivery of a handled event waits here for the first to commit
	dedupe := decode(ev->>'dedupe_key', 'hex');
	INSERT INTO zalo_tthc.webhook_event (dedupe_key, event_name, zalo_user_id, occurred_at)
	VALUES (dedupe, ev->>'event', ev->>'user_id', to_timestamp((ev->>'timestamp_ms')::bigint / 1000.0))
	ON CONFLICT (dedupe_key) DO NOTHING;
	IF NOT FOUND THEN
		RETURN jsonb_build_object('ok', true, 'verified', true, 'event', ev->>'event',
								  'action', 'duplicate_ignored');
	END IF;

	result := CASE ev->>'kind'
		WHEN 'follow' THEN zalo_tthc.webhook_on_follow(ev)
		WHEN 'unfollow' THEN zalo_tthc.webhook_on_unfollow(ev)
		WHEN 'user_submit_info' THEN zalo_tthc.webhook_on_submit_info(ev)
		WHEN 'user_send_text' THEN zalo_tthc.webhook_on_send_text(ev)
		WHEN 'user_received_message' THEN zalo_tthc.webhook_on_receipt(ev)
		WHEN 'user_seen_message' THEN zalo_tthc.webhook_on_receipt(ev)
		WHEN 'zns_delivered' THEN zalo_tthc.webhook_on_receipt(ev)
		ELSE jsonb_build_object('action', 'recorded')
	END;
	UPDATE zalo_tthc.webhook_event SET action = result->>'action' WHERE dedupe_key = dedupe;

	-- forget handled events after the retention (never within twice the window)
	IF random() < 0.01 THEN
		DELETE FROM zalo_tthc.webhook_event
		WHERE received_at < now() - greatest(current_setting('zalo_tthc.webhook_replay_retention')::interval,
											 2 * current_setting('zalo_tthc.webhook_max_age')::interval);
		DELETE FROM zalo_tthc.webhook_pending_receipt
		WHERE received_at < now() - greatest(current_setting('zalo_tthc.webhook_replay_retention')::interval,
											 2 * current_setting('zalo_tthc.webhook_max_age')::interval);
	END IF;
	RETURN jsonb_build_object('ok', true, 'verified', true, 'event', ev->>'event') || result;
END
$$;
COMMENT ON FUNCTION zalo_tthc.handle_webhook(bytea, text) IS
	'Verify and process one Zalo webhook delivery: body = the raw bytes as received, signature = the X-ZEvent-Signature header. Returns {"ok", "verified", "event", "action", ...}; ok false with a reason when refused, and then nothing changed.';
REVOKE ALL ON FUNCTION zalo_tthc.handle_webhook(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.handle_webhook(bytea, text) TO zalo_tthc_portal;

-- For a portal that holds the body as text: its UTF-8 bytes, which are
-- Zalo's only when the session's client_encoding is UTF8.
CREATE FUNCTION zalo_tthc.handle_webhook(body text, signature text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT zalo_tthc.handle_webhook(convert_to(body, 'UTF8'), signature)
$$;
COMMENT ON FUNCTION zalo_tthc.handle_webhook(text, text) IS
	'handle_webhook of the UTF-8 bytes of body. Text is converted from the client encoding before any function sees it, so in a session whose client_encoding is not UTF8 the signature cannot match: pass the raw body as bytea there.';
REVOKE ALL ON FUNCTION zalo_tthc.handle_webhook(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.handle_webhook(text, text) TO zalo_tthc_portal;

DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['zalo_tthc.chat_answer(text, text)', 'zalo_tthc.chat_template_text(text)',
		'zalo_tthc.enqueue_chat_message(bigint, text, text, jsonb)', 'zalo_tthc.webhook_on_follow(jsonb)',
		'zalo_tthc.webhook_on_unfollow(jsonb)', 'zalo_tthc.webhook_on_submit_info(jsonb)',
		'zalo_tthc.webhook_on_send_text(jsonb)', 'zalo_tthc.webhook_on_receipt(jsonb)',
		'zalo_tthc.apply_pending_receipts()']
	LOOP
		EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
	END LOOP;
END
$$;
-- ---------------------------------------------------------------------
-- Operations: what the DBAs on duty (zalo_tthc_operator) see and do.
--
-- queue_summary and metrics() read the open part of the queue through its
-- partial indexes and the totals the delivery worker keeps itself, so a
-- scrape never counts the whole outbox, and enqueueing (the stage-change
-- trigger) does no extra work at all.
-- ---------------------------------------------------------------------

-- ---------------------------------------------------------------------
-- Totals of the worker's outcomes
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.delivery_total (
	stage		zalo_tthc.stage NOT NULL,
	channel		zalo_tthc.channel NOT NULL,
	status		zalo_tthc.delivery_status NOT NULL,
	notifications bigint NOT NULL DEFAULT 0,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (stage, channel, status)
);
COMMENT ON TABLE zalo_tthc.delivery_total IS
	'Tổng kết quả gửi: how many times the delivery worker recorded each outcome (sent, failed = a retry was scheduled, dead, undeliverable) of a stage notification (chat messages are not counted) per stage and channel, updated in the worker''s own outcome transaction. Never decreases: queue retention and purge() do not change it. Rows written undeliverable by the stage change itself are not counted here.';
COMMENT ON COLUMN zalo_tthc.delivery_total.stage IS 'Giai đoạn.';
COMMENT ON COLUMN zalo_tthc.delivery_total.channel IS 'Kênh gửi.';
COMMENT ON COLUMN zalo_tthc.delivery_total.status IS 'Kết quả: sent, failed, dead or undeliverable.';
COMMENT ON COLUMN zalo_tthc.delivery_total.notifications IS 'Số lần (a notification retried twice counts twice as failed).';
COMMENT ON COLUMN zalo_tthc.delivery_total.updated_at IS 'Lần cộng gần nhất.';

-- Notifications already final before this version count from the start.
INSERT INTO zalo_tthc.delivery_total (stage, channel, status, notifications)
SELECT stage, channel,
	   CASE WHEN status IN ('delivered', 'seen') THEN 'sent' ELSE status END,
	   count(*)
FROM zalo_tthc.outbox
WHERE status IN ('sent', 'delivered', 'seen', 'dead') AND stage IS NOT NULL
GROUP BY 1, 2, 3;

-- ---------------------------------------------------------------------
-- Operator log (nhật ký vận hành)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.operator_log (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor		text NOT NULL DEFAULT session_user,
	action		text NOT NULL CHECK (action IN ('retry', 'retry_dead', 'pause', 'resume', 'purge')),
	outbox_id	bigint,
	rows_affected bigint NOT NULL,
	details		jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE zalo_tthc.operator_log IS
	'Nhật ký vận hành: append-only audit of every operator function call (retry, retry_dead, pause, resume, purge): who, when, what and how many rows.';
COMMENT ON COLUMN zalo_tthc.operator_log.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.operator_log.at IS 'Thời điểm thực hiện.';
COMMENT ON COLUMN zalo_tthc.operator_log.actor IS 'Người thực hiện (the session user, not the function owner).';
COMMENT ON COLUMN zalo_tthc.operator_log.action IS 'Thao tác: retry, retry_dead, pause, resume or purge.';
COMMENT ON COLUMN zalo_tthc.operator_log.outbox_id IS 'Thông báo (retry of one notification).';
COMMENT ON COLUMN zalo_tthc.operator_log.rows_affected IS 'Số bản ghi bị thay đổi.';
COMMENT ON COLUMN zalo_tthc.operator_log.details IS 'Tham số của lệnh (filters, reason, previous status).';

-- The append-only guard of dossier_event, made to name the table it guards
-- and to take its hint as an argument, serves the operator log too.
CREATE OR REPLACE FUNCTION zalo_tthc.forbid_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
		USING ERRCODE = 'object_not_in_prerequisite_state',
			  DETAIL = format('%s on %s.%s was refused.', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
			  HINT = coalesce(TG_ARGV[0], 'Stage history is an audit trail; record a new stage change instead.');
END
$$;
COMMENT ON FUNCTION zalo_tthc.forbid_event_change() IS
	'Refuse changes to an append-only table (dossier_event, operator_log); the trigger''s argument, if any, is the hint.';

CREATE TRIGGER operator_log_append_only
	BEFORE UPDATE OR DELETE ON zalo_tthc.operator_log
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.forbid_event_change('The operator log is an audit trail.');

-- Every operator call logs a row: the worker wakes at commit to act on it.
CREATE TRIGGER operator_log_wake_worker
	AFTER INSERT ON zalo_tthc.operator_log
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();

-- ---------------------------------------------------------------------
-- Operator pause (persists across restarts; no row = sending)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.worker_control (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	paused		boolean NOT NULL,
	reason		text,
	changed_by	text NOT NULL DEFAULT session_user,
	changed_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.worker_control IS
	'Điều khiển tiến trình gửi: at most one row; paused = true while an operator has paused sending with zalo_tthc.pause(). Written by pause() and resume() only.';
COMMENT ON COLUMN zalo_tthc.worker_control.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN zalo_tthc.worker_control.paused IS 'Tạm dừng gửi.';
COMMENT ON COLUMN zalo_tthc.worker_control.reason IS 'Lý do tạm dừng.';
COMMENT ON COLUMN zalo_tthc.worker_control.changed_by IS 'Người thay đổi.';
COMMENT ON COLUMN zalo_tthc.worker_control.changed_at IS 'Thời điểm thay đổi.';

-- the worker reads the table again when such a transaction commits
CREATE TRIGGER worker_control_changed
	AFTER INSERT OR UPDATE OR DELETE ON zalo_tthc.worker_control
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();

-- ---------------------------------------------------------------------
-- Retention: sent notifications older than zalo_tthc.sent_retention are
-- deleted by the worker in small batches, found through this index.  It is
-- partial: enqueueing (a pending row) never touches it.
-- ---------------------------------------------------------------------

CREATE INDEX outbox_sent_idx ON zalo_tthc.outbox (sent_at)
	WHERE status IN ('sent', 'delivered', 'seen');
CREATE INDEX delivery_attempt_started_idx ON zalo_tthc.delivery_attempt (started_at);

-- ---------------------------------------------------------------------
-- Monitoring
-- ---------------------------------------------------------------------

-- The open rows are counted through two partial indexes that carry the
-- columns the counts need, so a backlog that autovacuum has marked visible
-- is counted by index-only scans: the claim index (pending and failed
-- rows; a new notification enters it at its right end) and a small one of
-- the rows in flight.  There is no index of the open rows by dossier: a
-- stage change would pay for its entry at a random leaf, and the worker
-- keeps each dossier's order through dossier_event's key instead (queue.c).
DROP INDEX zalo_tthc.outbox_open_idx;
DROP INDEX zalo_tthc.outbox_claim_idx;
CREATE INDEX outbox_claim_idx ON zalo_tthc.outbox (next_attempt_at, id)
	INCLUDE (status, channel, created_at)
	WHERE status IN ('pending', 'failed');
COMMENT ON INDEX zalo_tthc.outbox_claim_idx IS
	'The notifications waiting to be sent (pending, failed), in the order the worker claims them; with the columns queue_summary counts.';
CREATE INDEX outbox_sending_idx ON zalo_tthc.outbox (id)
	INCLUDE (channel, created_at, next_attempt_at)
	WHERE status = 'sending';
COMMENT ON INDEX zalo_tthc.outbox_sending_idx IS
	'The notifications in flight (claimed by the worker, outcome not yet recorded): counted by queue_summary, put back in the queue when a worker starts.';

-- Never a scan of the whole outbox, whatever the statistics say: with a
-- large backlog the planner would pick a (parallel) sequential scan, which
-- costs O(outbox) instead of O(open rows).
CREATE FUNCTION zalo_tthc.open_queue_counts(OUT status zalo_tthc.delivery_status,
	OUT channel zalo_tthc.channel, OUT notifications bigint, OUT oldest_created_at timestamptz,
	OUT next_attempt_at timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
	SELECT o.status, o.channel, count(*), min(o.created_at), min(o.next_attempt_at)
	FROM zalo_tthc.outbox o
	WHERE o.status IN ('pending', 'failed')
	GROUP BY o.status, o.channel
	UNION ALL
	SELECT o.status, o.channel, count(*), min(o.created_at), min(o.next_attempt_at)
	FROM zalo_tthc.outbox o
	WHERE o.status = 'sending'
	GROUP BY o.status, o.channel
$$;
COMMENT ON FUNCTION zalo_tthc.open_queue_counts() IS
	'Open notifications per status and channel, counted through the partial indexes outbox_claim_idx and outbox_sending_idx; the source of queue_summary.';

CREATE VIEW zalo_tthc.queue_summary AS
SELECT s.status, c.channel,
	   coalesce(q.notifications, 0) AS notifications,
	   q.oldest_created_at,
	   now() - q.oldest_created_at AS oldest_age,
	   q.next_attempt_at
FROM unnest(ARRAY['pending', 'sending', 'failed']::zalo_tthc.delivery_status[]) WITH ORDINALITY s(status, n)
CROSS JOIN unnest(enum_range(NULL::zalo_tthc.channel)) c(channel)
LEFT JOIN zalo_tthc.open_queue_counts() q ON q.status = s.status AND q.channel = c.channel
ORDER BY s.n, c.channel;
COMMENT ON VIEW zalo_tthc.queue_summary IS
	'Hàng đợi: the open notifications (pending, sending, failed) per status and channel, the oldest one''s age and the earliest next attempt (for failed: the next retry). Reads only the open rows, through the outbox''s partial index. Final states are counted in zalo_tthc.delivery_totals.';

CREATE VIEW zalo_tthc.delivery_totals AS
SELECT stage, channel, status, notifications, updated_at
FROM zalo_tthc.delivery_total;
COMMENT ON VIEW zalo_tthc.delivery_totals IS
	'Tổng kết quả gửi per stage, channel and outcome since the extension was installed (zalo_tthc.delivery_total).';

CREATE FUNCTION zalo_tthc.worker_status(
	OUT pid integer, OUT database name, OUT state text, OUT started_at timestamptz,
	OUT in_flight integer, OUT sent bigint, OUT failed bigint, OUT dead bigint,
	OUT undeliverable bigint, OUT zns_fallbacks bigint, OUT unknown_outcomes bigint,
	OUT token_refreshes bigint, OUT commit_wakeups bigint,
	OUT last_success_at timestamptz, OUT last_error_at timestamptz, OUT last_error text,
	OUT token_expires_at timestamptz, OUT paused_until timestamptz, OUT pause_reason text,
	OUT backoff interval, OUT rate_limit double precision, OUT loop_turns bigint)
RETURNS record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'zt_worker_status';
COMMENT ON FUNCTION zalo_tthc.worker_status() IS
	'Live state of the delivery worker, from shared memory: state (not_running, starting, waiting_for_extension, no_credentials, idle, sending, paused, reauthorization_required, standby), requests in flight, counters since the server started, last success and error, token expiry and the current back-off; loop_turns counts the times the worker woke and looked at its work (it grows with the work, not with time).';

CREATE FUNCTION zalo_tthc.latency_histogram(OUT le double precision, OUT requests bigint,
	OUT sum_seconds double precision)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'zt_latency_histogram';
COMMENT ON FUNCTION zalo_tthc.latency_histogram() IS
	'Cumulative histogram of the response time of the worker''s requests to Zalo since the server started: requests answered within le seconds (le = Infinity: all); sum_seconds is the total time.';

CREATE FUNCTION zalo_tthc.metrics()
RETURNS text
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH w AS (SELECT * FROM zalo_tthc.worker_status()),
	q AS (SELECT * FROM zalo_tthc.queue_summary),
	families (n, name, type, help) AS (VALUES
		(1, 'zalo_tthc_worker_up', 'gauge', 'Whether the delivery worker is running (1) or not (0).'),
		(2, 'zalo_tthc_worker_paused', 'gauge', 'Whether sending is paused (back-off, operator, re-authorisation).'),
		(3, 'zalo_tthc_queue_depth', 'gauge', 'Open notifications by status and channel.'),
		(4, 'zalo_tthc_oldest_pending_age_seconds', 'gauge', 'Age of the oldest notification waiting for its first attempt (0 if none).'),
		(5, 'zalo_tthc_notifications_total', 'counter', 'Outcomes recorded by the delivery worker by stage, channel and status.'),
		(6, 'zalo_tthc_http_request_duration_seconds', 'histogram', 'Response time of the worker''s requests to Zalo since the server started.'),
		(7, 'zalo_tthc_token_expiry_seconds', 'gauge', 'Seconds until the OA access token expires (negative: expired).'),
		(8, 'zalo_tthc_worker_in_flight', 'gauge', 'Requests on the wire.'),
		(9, 'zalo_tthc_worker_loop_turns_total', 'counter', 'Times the worker woke and looked at its work.')),
	samples (n, k, sample) AS (
		SELECT 1, 0, format('zalo_tthc_worker_up %s', (w.pid IS NOT NULL)::int) FROM w
		UNION ALL
		SELECT 2, 0, format('zalo_tthc_worker_paused %s', (w.state IN ('paused', 'reauthorization_required'))::int) FROM w
		UNION ALL
		SELECT 3, 0, format('zalo_tthc_queue_depth{status="%s",channel="%s"} %s', q.status, q.channel, q.notifications)
		FROM q
		UNION ALL
		SELECT 4, 0, format('zalo_tthc_oldest_pending_age_seconds %s',
						 round(coalesce(max(extract(epoch FROM q.oldest_age)), 0), 3))
		FROM q WHERE q.status = 'pending'
		UNION ALL
		SELECT 5, 0, format('zalo_tthc_notifications_total{stage="%s",channel="%s",status="%s"} %s',
						 t.stage, t.channel, t.status, t.notifications)
		FROM zalo_tthc.delivery_total t
		UNION ALL
		SELECT 6, h.le, format('zalo_tthc_http_request_duration_seconds_bucket{le="%s"} %s',
						 CASE WHEN h.le = 'Infinity' THEN '+Inf' ELSE h.le::text END, h.requests)
		FROM zalo_tthc.latency_histogram() h
		UNION ALL
		SELECT 6, h.le, format('zalo_tthc_http_request_duration_seconds_sum %s', round(h.sum_seconds::numeric, 6))
		FROM zalo_tthc.latency_histogram() h WHERE h.le = 'Infinity'
		UNION ALL
		SELECT 6, h.le, format('zalo_tthc_http_request_duration_seconds_count %s', h.requests)
		FROM zalo_tthc.latency_histogram() h WHERE h.le = 'Infinity'
		UNION ALL
		SELECT 7, 0, format('zalo_tthc_token_expiry_seconds %s',
						 round(extract(epoch FROM c.expires_at - now()), 0))
		FROM zalo_tthc.oa_credentials c
		UNION ALL
		SELECT 8, 0, format('zalo_tthc_worker_in_flight %s', w.in_flight) FROM w
		UNION ALL
		SELECT 9, 0, format('zalo_tthc_worker_loop_turns_total %s', w.loop_turns) FROM w)
	SELECT string_agg(block, '') FROM (
		SELECT f.n, format(E'# HELP %s %s\n# TYPE %s %s\n', f.name, f.help, f.name, f.type)
			   || coalesce((SELECT string_agg(s.sample || E'\n', '' ORDER BY s.k, s.sample) FROM samples s
							WHERE s.n = f.n), '') AS block
		FROM families f
		ORDER BY f.n) b
$$;
COMMENT ON FUNCTION zalo_tthc.metrics() IS
	'Prometheus text exposition (version 0.0.4) of the queue, the outcome totals, the request latency histogram, the token expiry and the worker; see contrib/postgres_exporter/queries.yaml for the same through postgres_exporter.';

CREATE FUNCTION zalo_tthc.dossier_notifications(code text)
RETURNS TABLE (seq integer, stage zalo_tthc.stage, occurred_at timestamptz,
	notify zalo_tthc.notify_decision, outbox_id bigint, channel zalo_tthc.channel,
	kind zalo_tthc.message_kind, status zalo_tthc.delivery_status, attempts integer,
	created_at timestamptz, next_attempt_at timestamptz, sent_at timestamptz,
	last_error text, last_error_code integer, provider_msg_id text,
	last_attempt_at timestamptz, last_outcome text, last_http_status integer)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.seq, e.stage_after, e.occurred_at, e.notify, o.id, o.channel, o.kind, o.status,
		   o.attempts, o.created_at, o.next_attempt_at, o.sent_at, o.last_error, o.last_error_code,
		   o.provider_msg_id, a.started_at, a.outcome, a.http_status
	FROM zalo_tthc.dossier d
	JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
	LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
	LEFT JOIN LATERAL (
		SELECT da.started_at, da.outcome, da.http_status FROM zalo_tthc.delivery_attempt da
		WHERE da.outbox_id = o.id ORDER BY da.id DESC LIMIT 1) a ON true
	WHERE d.code = zalo_tthc.normalize_dossier_code(dossier_notifications.code)
	ORDER BY e.seq, o.id
$$;
COMMENT ON FUNCTION zalo_tthc.dossier_notifications(text) IS
	'Every stage change of one dossier (by its code) with what it did about the citizen''s notification (notify) and each notification''s status, error and last attempt: the answer to "the citizen says no message arrived". No personal data.';

-- ---------------------------------------------------------------------
-- Operator functions (audited in operator_log)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.retry(outbox_id bigint)
RETURNS zalo_tthc.delivery_status
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	previous zalo_tthc.delivery_status;
BEGIN
	SELECT o.status INTO previous FROM zalo_tthc.outbox o WHERE o.id = retry.outbox_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'notification % does not exist', retry.outbox_id
			USING ERRCODE = 'no_data_found',
				  HINT = 'Find the notifications of a dossier with zalo_tthc.dossier_notifications(code).';
	END IF;
	IF previous NOT IN ('failed', 'dead', 'undeliverable') THEN
		RAISE EXCEPTION 'notification % is %, not failed, dead or undeliverable', retry.outbox_id, previous
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = CASE WHEN previous IN ('sent', 'delivered', 'seen')
							   THEN 'Zalo already accepted it; sending it again would send the citizen a duplicate.'
							   ELSE 'It is already waiting for the delivery worker.' END;
	END IF;
	UPDATE zalo_tthc.outbox o
	SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
	WHERE o.id = retry.outbox_id;
	INSERT INTO zalo_tthc.operator_log (action, outbox_id, rows_affected, details)
	VALUES ('retry', retry.outbox_id, 1, jsonb_build_object('previous_status', previous));
	RETURN 'pending';
END
$$;
COMMENT ON FUNCTION zalo_tthc.retry(bigint) IS
	'Queue one failed, dead or undeliverable notification again, at once, with its attempts reset; refuses notifications Zalo already accepted. Logged in operator_log.';

CREATE FUNCTION zalo_tthc.retry_dead(stage zalo_tthc.stage DEFAULT NULL,
	channel zalo_tthc.channel DEFAULT NULL, since timestamptz DEFAULT NULL,
	error_code integer DEFAULT NULL, include_undeliverable boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE zalo_tthc.outbox o
	SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
	WHERE (o.status = 'dead' OR (retry_dead.include_undeliverable AND o.status = 'undeliverable'))
	  AND (retry_dead.stage IS NULL OR o.stage = retry_dead.stage)
	  AND (retry_dead.channel IS NULL OR o.channel = retry_dead.channel)
	  AND (retry_dead.since IS NULL OR o.created_at >= retry_dead.since)
	  AND (retry_dead.error_code IS NULL OR o.last_error_code = retry_dead.error_code);
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected, details)
	VALUES ('retry_dead', n, jsonb_strip_nulls(jsonb_build_object(
		'stage', retry_dead.stage, 'channel', retry_dead.channel, 'since', retry_dead.since,
		'error_code', retry_dead.error_code, 'include_undeliverable', retry_dead.include_undeliverable)));
	RETURN n;
END
$$;
COMMENT ON FUNCTION zalo_tthc.retry_dead(zalo_tthc.stage, zalo_tthc.channel, timestamptz, integer, boolean) IS
	'Queue every dead notification again (optionally only one stage, channel, error code, or created since a time; include_undeliverable adds undeliverable ones). Returns how many. Logged in operator_log.';

CREATE FUNCTION zalo_tthc.pause(reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO zalo_tthc.worker_control AS c (id, paused, reason, changed_by, changed_at)
	VALUES (true, true, pause.reason, session_user, now())
	ON CONFLICT (id) DO UPDATE
	SET paused = true, reason = excluded.reason, changed_by = excluded.changed_by,
		changed_at = excluded.changed_at;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected, details)
	VALUES ('pause', 1, jsonb_strip_nulls(jsonb_build_object('reason', pause.reason)));
END
$$;
COMMENT ON FUNCTION zalo_tthc.pause(text) IS
	'Stop the delivery worker from claiming notifications (requests on the wire finish) until resume(), across restarts. Stage changes are still queued. Logged in operator_log.';

CREATE FUNCTION zalo_tthc.resume()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE zalo_tthc.worker_control
	SET paused = false, reason = NULL, changed_by = session_user, changed_at = now()
	WHERE paused;
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected) VALUES ('resume', n);
END
$$;
COMMENT ON FUNCTION zalo_tthc.resume() IS
	'Let the delivery worker send again after pause(). Logged in operator_log.';

CREATE FUNCTION zalo_tthc.purge(older_than interval, include_dead boolean DEFAULT false,
	OUT notifications bigint, OUT attempts bigint)
RETURNS record
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF older_than IS NULL OR older_than < interval '0' THEN
		RAISE EXCEPTION 'purge needs a positive age, not %', coalesce(older_than::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'For example: SELECT * FROM zalo_tthc.purge(interval ''90 days'');';
	END IF;
	DELETE FROM zalo_tthc.outbox o
	WHERE o.created_at < now() - older_than
	  AND (o.status IN ('sent', 'delivered', 'seen')
		   OR (include_dead AND o.status IN ('dead', 'undeliverable')));
	GET DIAGNOSTICS notifications = ROW_COUNT;
	DELETE FROM zalo_tthc.delivery_attempt a WHERE a.started_at < now() - older_than;
	GET DIAGNOSTICS attempts = ROW_COUNT;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected, details)
	VALUES ('purge', notifications + attempts, jsonb_build_object(
		'older_than', older_than, 'include_dead', include_dead,
		'notifications', notifications, 'attempts', attempts));
END
$$;
COMMENT ON FUNCTION zalo_tthc.purge(interval, boolean) IS
	'Delete, now, notifications in a final state (sent, delivered, seen; with include_dead also dead and undeliverable) created more than older_than ago, and delivery attempts older than that. Open notifications are never deleted. Logged in operator_log.';

-- ---------------------------------------------------------------------
-- Privileges: the operator role, nobody else
-- ---------------------------------------------------------------------

REVOKE ALL ON zalo_tthc.delivery_total, zalo_tthc.operator_log, zalo_tthc.worker_control FROM PUBLIC;
REVOKE ALL ON zalo_tthc.queue_summary, zalo_tthc.delivery_totals FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.worker_status(), zalo_tthc.latency_histogram(), zalo_tthc.metrics(),
	zalo_tthc.open_queue_counts(),
	zalo_tthc.dossier_notifications(text), zalo_tthc.retry(bigint),
	zalo_tthc.retry_dead(zalo_tthc.stage, zalo_tthc.channel, timestamptz, integer, boolean),
	zalo_tthc.pause(text), zalo_tthc.resume(), zalo_tthc.purge(interval, boolean) FROM PUBLIC;

GRANT SELECT ON zalo_tthc.queue_summary, zalo_tthc.delivery_totals, zalo_tthc.operator_log,
	zalo_tthc.outbox, zalo_tthc.delivery_attempt TO zalo_tthc_operator;
GRANT EXECUTE ON FUNCTION zalo_tthc.worker_status(), zalo_tthc.latency_histogram(), zalo_tthc.metrics(),
	zalo_tthc.open_queue_counts(),
	zalo_tthc.dossier_notifications(text), zalo_tthc.retry(bigint),
	zalo_tthc.retry_dead(zalo_tthc.stage, zalo_tthc.channel, timestamptz, integer, boolean),
	zalo_tthc.pause(text), zalo_tthc.resume(), zalo_tthc.purge(interval, boolean) TO zalo_tthc_operator;

-- ---------------------------------------------------------------------
-- Dump and restore
--
-- pg_dump keeps the rows of the tables registered here and the values of
-- their identity sequences (without those a restored database would hand
-- out ids that already exist).  Restore with triggers off for ordinary
-- triggers (PGOPTIONS='-c session_replication_role=replica', see
-- README.md): the rows are already validated and their events and
-- notifications are in the dump.
--
-- The configuration the extension ships (stage_info, stage_transition,
-- template, chat_template) is dumped whole, edits included; on restore,
-- CREATE EXTENSION has already inserted the shipped rows, so a restored row
-- replaces the row with the same key instead of failing on it.  (A WHERE
-- filter could not leave the shipped rows out: an edited text keeps the key
-- of the shipped row it replaces.)
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
CREATE TRIGGER chat_template_merge_row
	BEFORE INSERT ON zalo_tthc.chat_template
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.merge_config_row('kind');
-- they, and the wake-ups, also fire while a restore runs as a replica
ALTER TABLE zalo_tthc.template ENABLE ALWAYS TRIGGER template_merge_row;
ALTER TABLE zalo_tthc.stage_info ENABLE ALWAYS TRIGGER stage_info_merge_row;
ALTER TABLE zalo_tthc.stage_transition ENABLE ALWAYS TRIGGER stage_transition_merge_row;
ALTER TABLE zalo_tthc.chat_template ENABLE ALWAYS TRIGGER chat_template_merge_row;
ALTER TABLE zalo_tthc.stage_info ENABLE ALWAYS TRIGGER stage_info_changed;
ALTER TABLE zalo_tthc.stage_transition ENABLE ALWAYS TRIGGER stage_transition_changed;
ALTER TABLE zalo_tthc.oa_credentials ENABLE ALWAYS TRIGGER oa_credentials_wake_worker;
ALTER TABLE zalo_tthc.outbox ENABLE ALWAYS TRIGGER outbox_wake_worker;

SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.stage_info', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.stage_transition', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.template', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.delivery_attempt', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.delivery_total', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.operator_log', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.worker_control', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.chat_template', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.webhook_event', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.webhook_pending_receipt', '');
-- (one call per statement: each rewrites the pg_extension row)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.recipient_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.delivery_attempt_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_document_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.operator_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.lookup_audit_id_seq', '');

-- ---------------------------------------------------------------------
-- Enqueueing: fewer random index writes per stage change
-- ---------------------------------------------------------------------

-- outbox_dossier_idx (dossier_id, event_id) put each new notification at a
-- random place of a large index (a random page read, and after every
-- checkpoint a full-page image in the WAL).  Its readers (the deletion of a
-- dossier's notifications, dossier_notifications()) join on event_id, and
-- an index on event_id only ever grows at its right end.
DROP INDEX zalo_tthc.outbox_dossier_idx;

-- A stage change has at most one notification per channel and kind: that
-- is the key that stops a replay or a second fallback from notifying a
-- citizen twice.  The idempotency key text is derived from it
-- (<dossier id>-<stage seq>-<oa|zns|file>), so a unique index on the text
-- as well would be a second, random-order index entry for every stage
-- change.  The key on (event_id, channel, kind) grows at its right end and
-- also serves the readers of a stage event's notifications.  Chat messages
-- (no event) keep the text as their key.
ALTER TABLE zalo_tthc.outbox DROP CONSTRAINT outbox_idempotency_key_key;
ALTER TABLE zalo_tthc.outbox
	ADD CONSTRAINT outbox_event_id_channel_kind_key UNIQUE (event_id, channel, kind);
COMMENT ON CONSTRAINT outbox_event_id_channel_kind_key ON zalo_tthc.outbox IS
	'One notification per stage event, channel and kind: a replayed change or a second fallback adds nothing.';
CREATE UNIQUE INDEX outbox_chat_key_idx ON zalo_tthc.outbox (idempotency_key)
	WHERE event_id IS NULL;
COMMENT ON INDEX zalo_tthc.outbox_chat_key_idx IS
	'The idempotency key of a chat message (no stage event): a webhook delivered twice queues one reply.';
COMMENT ON COLUMN zalo_tthc.outbox.idempotency_key IS
	'Khóa chống gửi trùng: <dossier id>-<stage seq>-<oa|zns|file> for a stage notification (unique with its event, channel and kind), the caller''s key for a chat message (unique among chat messages); also the ZNS tracking_id.';

-- ---------------------------------------------------------------------
-- Delivery: the values of a notification, built in C
-- ---------------------------------------------------------------------

-- The delivery worker builds a notification's values from the columns of
-- its claim (src/template_values.c); a SQL function per notification cost
-- it more than the rest of the claim.  notification_values() keeps its
-- signature and results, from the same C code.
CREATE FUNCTION zalo_tthc.template_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event, stage_label text)
RETURNS jsonb
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'zt_template_values';
COMMENT ON FUNCTION zalo_tthc.template_values(zalo_tthc.dossier, zalo_tthc.dossier_event, text) IS
	'The values of the {{placeholders}} of the notification of event e of dossier d whose stage is labelled stage_label; what notification_values() returns.';

CREATE OR REPLACE FUNCTION zalo_tthc.notification_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
	SELECT zalo_tthc.template_values(d, e, s.label_vi)
	FROM zalo_tthc.stage_info s
	WHERE s.stage = e.stage_after
$$;
COMMENT ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event) IS
	'The values of the {{placeholders}} of a notification: dossier fields and the event''s note and due dates, dates as DD/MM/YYYY in Asia/Ho_Chi_Minh, the fee grouped by dots in đồng.';

-- ---------------------------------------------------------------------
-- The database the OA credentials belong to
--
-- A restored dump, a copy made with CREATE DATABASE ... TEMPLATE, or a
-- test server built from production must not send to citizens nor spend
-- the production refresh token.  The credentials remember the database
-- they were stored in (the cluster's system identifier and the database's
-- OID); the worker sends only from that database.  A promoted streaming
-- standby keeps both, so a failover sends on.  Moving production on
-- purpose (new hardware, pg_upgrade) is one call of
-- bind_oa_credentials() in the new database.
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.database_identity()
RETURNS text
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'zt_database_identity_sql';
COMMENT ON FUNCTION zalo_tthc.database_identity() IS
	'This database as the OA credentials record it: the cluster''s system identifier and the database''s OID, as ''system_identifier/oid''. Owner only.';

ALTER TABLE zalo_tthc.oa_credentials ADD COLUMN bound_to text;
COMMENT ON COLUMN zalo_tthc.oa_credentials.bound_to IS
	'The database the credentials were stored in (database_identity()): the worker sends only from it, so a restored copy or a clone never sends. NULL: bound by the worker at its next start.';

CREATE OR REPLACE FUNCTION zalo_tthc.set_oa_credentials(app_id text, app_secret text, access_token text,
	refresh_token text, expires_at timestamptz, oa_secret_key text DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
AS $$
	INSERT INTO zalo_tthc.oa_credentials AS c
		(id, app_id, app_secret, access_token, refresh_token, expires_at, oa_secret_key, bound_to)
	VALUES (true, app_id, app_secret, access_token, refresh_token, expires_at, oa_secret_key,
		zalo_tthc.database_identity())
	ON CONFLICT (id) DO UPDATE
	SET app_id = excluded.app_id, app_secret = excluded.app_secret,
		access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		expires_at = excluded.expires_at, oa_secret_key = excluded.oa_secret_key,
		bound_to = excluded.bound_to, reauthorization_required = false, updated_at = now();
$$;
COMMENT ON FUNCTION zalo_tthc.set_oa_credentials(text, text, text, text, timestamptz, text) IS
	'Store the Official Account credentials (one row; replaces the previous ones and clears reauthorization_required), bound to this database: only it sends. Owner only.';

CREATE FUNCTION zalo_tthc.bind_oa_credentials()
RETURNS text
LANGUAGE sql
SET search_path = pg_catalog
AS $$
	UPDATE zalo_tthc.oa_credentials SET bound_to = zalo_tthc.database_identity(), updated_at = now()
	RETURNING bound_to;
$$;
COMMENT ON FUNCTION zalo_tthc.bind_oa_credentials() IS
	'Make this database the one that sends with the stored credentials (after moving production to new hardware or pg_upgrade); a copy that calls it sends to citizens and spends the refresh token. Returns the new binding. Owner only.';

REVOKE ALL ON FUNCTION zalo_tthc.database_identity(), zalo_tthc.bind_oa_credentials() FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Least privilege for the functions nobody calls by hand
--
-- A trigger's function is not checked when the trigger fires, so the
-- extension's triggers serve every role that writes its tables; EXECUTE
-- is needed only to attach a function to a table.  Left to PUBLIC, it
-- would let any role attach them to tables of its own and forge stage
-- events, notifications or wake-ups of the worker.  (The C triggers also
-- refuse any table but the one they were written for.)  The worker's and
-- the webhook's helpers run as the owner.  PUBLIC keeps the validation
-- functions and those the name index evaluates as whoever writes a
-- dossier (name_terms, f_unaccent, unaccent_dict, vn_lower).
-- ---------------------------------------------------------------------

REVOKE ALL ON FUNCTION zalo_tthc.dossier_before_write(), zalo_tthc.dossier_enqueue(),
	zalo_tthc.stage_rules_changed(), zalo_tthc.wake_worker_at_commit(),
	zalo_tthc.forbid_event_change(), zalo_tthc.dossier_deleted(), zalo_tthc.dossier_event_deleted(),
	zalo_tthc.recipient_deleted(), zalo_tthc.dossier_truncated(), zalo_tthc.merge_config_row(),
	zalo_tthc.apply_pending_receipts()
	FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event),
	zalo_tthc.template_values(zalo_tthc.dossier, zalo_tthc.dossier_event, text),
	zalo_tthc.cs_text_message(text, text) FROM PUBLIC;
