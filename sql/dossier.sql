-- Dossiers (hồ sơ TTHC): the dossier table, its append-only stage history
-- (dossier_event) and its documents (dossier_document); the functions that
-- validate and normalise a dossier before it is written; the triggers that
-- record each stage change and queue its notification in the same
-- transaction (src/dossier_trigger.c, src/outbox.c), and those that take a
-- deleted dossier's history and notifications with it.  The indexes of
-- name search are in lookup.sql.

CREATE TYPE zalo_tthc.notify_decision AS ENUM
	('enqueued', 'not_notifying_stage', 'skipped_bulk_import', 'skipped_opt_out');
COMMENT ON TYPE zalo_tthc.notify_decision IS
	'What a stage change did about the citizen''s notification.';

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
	updated_at	timestamptz NOT NULL DEFAULT now(),
	source		regclass,
	applicant_id_key bytea,
	applicant_id_last4 text CHECK (applicant_id_last4 ~ '^[0-9]{4}$')
)
-- Every stage change rewrites the row: room on its page keeps the new
-- version there (a HOT update), without a new entry in each index.
WITH (fillfactor = 85);
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
COMMENT ON COLUMN zalo_tthc.dossier.source IS 'Bảng nguồn: the application table an attached dossier is copied from (attach()); NULL for a dossier written here.';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_id_key IS 'For an attached dossier, the CCCD/CMND as lookups need it: lookup_key_hash() of the number, which is not copied (applicant_id_number is NULL).';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_id_last4 IS 'For an attached dossier, the last 4 digits of the CCCD/CMND: the second factor of a name lookup.';

CREATE INDEX dossier_applicant_id_number_idx ON zalo_tthc.dossier (applicant_id_number);
CREATE INDEX dossier_applicant_phone_idx ON zalo_tthc.dossier (applicant_phone);
CREATE INDEX dossier_source_idx ON zalo_tthc.dossier (source) WHERE source IS NOT NULL;
CREATE INDEX dossier_applicant_id_key_idx ON zalo_tthc.dossier (applicant_id_key) WHERE applicant_id_key IS NOT NULL;

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

-- The append-only guard names the table it guards and takes its hint as
-- an argument: it serves the operator log too (operations.sql).
CREATE FUNCTION zalo_tthc.forbid_event_change()
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

CREATE TRIGGER dossier_event_append_only
	BEFORE UPDATE ON zalo_tthc.dossier_event
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.forbid_event_change();

-- ---------------------------------------------------------------------
-- Documents (tài liệu hồ sơ)
-- ---------------------------------------------------------------------

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

CREATE TRIGGER dossier_before_write
	BEFORE INSERT OR UPDATE ON zalo_tthc.dossier
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.dossier_before_write();

CREATE TRIGGER dossier_enqueue
	AFTER INSERT OR UPDATE OF stage ON zalo_tthc.dossier
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.dossier_enqueue();

-- ---------------------------------------------------------------------
-- Deleting dossiers and events
--
-- dossier_event, outbox and their links are written only by the enqueue
-- trigger, which takes the ids from the row it fires for; they carry no
-- foreign keys, whose per-row checks would double the cost of a stage
-- change.  These statement triggers do what ON DELETE CASCADE did: a
-- deleted dossier takes its history and notifications with it.
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

-- pg_dump keeps their rows and where their sequences stand (see stages.sql)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_event', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_document', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.dossier_document_id_seq', '');

REVOKE ALL ON FUNCTION zalo_tthc.dossier_before_write(), zalo_tthc.dossier_enqueue(),
	zalo_tthc.forbid_event_change(), zalo_tthc.dossier_deleted(), zalo_tthc.dossier_event_deleted(),
	zalo_tthc.dossier_truncated()
	FROM PUBLIC;
