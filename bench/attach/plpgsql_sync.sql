-- What a DBA writes today to notify citizens from the one-stop system of
-- test/onestop/schema.sql without attach(): a PL/pgSQL trigger on
-- motcua.ho_so that maps the vendor's columns and statuses and writes the
-- dossier into zalo_tthc.dossier (whose own triggers record the stage
-- change and queue the notification), and a one-off load of the existing
-- dossiers.  Set-up (b) of bench/attach.sh, to compare with attach().
--
-- The application's save must never fail because of the sync: values
-- zalo_tthc would refuse are dropped beforehand where the dossier can do
-- without them (a landline, a passport number in the ID column), and
-- whatever zalo_tthc still refuses (22023 invalid_parameter_value, 23514
-- check_violation for a stage move its rules do not allow, and the rest of
-- classes 22 and 23: a code with an impossible date, an empty name) is
-- caught and written to motcua_zalo.loi_dong_bo instead.  The block with
-- an EXCEPTION clause costs a subtransaction on every save; that is part
-- of what this set-up measures.

CREATE SCHEMA motcua_zalo;
COMMENT ON SCHEMA motcua_zalo IS 'Đồng bộ hồ sơ một cửa sang zalo_tthc (viết tay).';

CREATE TABLE motcua_zalo.loi_dong_bo (
	id			bigserial PRIMARY KEY,
	ma_ho_so	text,
	ma_loi		text NOT NULL,
	thong_bao	text NOT NULL,
	thoi_gian	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE motcua_zalo.loi_dong_bo IS
	'Lỗi đồng bộ: hồ sơ hoặc thay đổi mà zalo_tthc không nhận; thao tác của phần mềm một cửa vẫn thành công.';

-- The zalo_tthc stage of a national status.
CREATE FUNCTION motcua_zalo.giai_doan(trang_thai integer)
RETURNS zalo_tthc.stage
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT (CASE trang_thai
				WHEN 1 THEN 'submitted'
				WHEN 2 THEN 'received'
				WHEN 3 THEN 'rejected'
				WHEN 4 THEN 'assigned'
				WHEN 5 THEN 'supplement_requested'
				WHEN 6 THEN 'payment_requested'
				WHEN 7 THEN 'withdrawal_requested'
				WHEN 8 THEN 'returned'
				WHEN 9 THEN 'result_ready'
				WHEN 10 THEN 'result_returned'
			END)::zalo_tthc.stage
$$;

-- The phone as written when zalo_tthc takes it for a mobile number, else
-- NULL (landlines, retired 11-digit numbers, text, empty).
CREATE FUNCTION motcua_zalo.di_dong(so text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN so ~ '^\+?[0-9 .()-]+$'
					 AND regexp_replace(so, '[^0-9]', '', 'g') ~ '^(84|0)[35789][0-9]{8}$'
				THEN so END
$$;

-- The identity number as written when it is a CCCD (12 digits) or CMND
-- (9 digits), else NULL.
CREATE FUNCTION motcua_zalo.giay_to(so text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN replace(so, ' ', '') ~ '^([0-9]{9}|[0-9]{12})$' THEN so END
$$;

-- AFTER INSERT OR UPDATE on motcua.ho_so: the dossier into zalo_tthc.
-- A new dossier is upserted (ON CONFLICT (code)): it starts at submitted
-- or received, which zalo_tthc accepts for a new row.  A changed one is
-- updated by its code as zalo_tthc stores it, and inserted if it is not
-- there yet: an upsert cannot serve here, because zalo_tthc's BEFORE
-- INSERT trigger, which PostgreSQL runs before it looks for the conflict,
-- refuses a new dossier at a later stage (23514), so every status change
-- past received would be lost.
CREATE FUNCTION motcua_zalo.dong_bo_ho_so()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'UPDATE'
	   AND (NEW.ma_ho_so, NEW.trang_thai_id, NEW.chu_ho_so, NEW.so_giay_to, NEW.so_dien_thoai,
			NEW.ten_thu_tuc, NEW.ten_linh_vuc, NEW.co_quan_giai_quyet, NEW.noi_tiep_nhan,
			NEW.ngay_nop, NEW.ngay_hen_tra, NEW.ghi_chu)
		   IS NOT DISTINCT FROM
		   (OLD.ma_ho_so, OLD.trang_thai_id, OLD.chu_ho_so, OLD.so_giay_to, OLD.so_dien_thoai,
			OLD.ten_thu_tuc, OLD.ten_linh_vuc, OLD.co_quan_giai_quyet, OLD.noi_tiep_nhan,
			OLD.ngay_nop, OLD.ngay_hen_tra, OLD.ghi_chu) THEN
		RETURN NULL;
	END IF;
	BEGIN
		IF TG_OP = 'UPDATE' THEN
			UPDATE zalo_tthc.dossier
			SET procedure_name = NEW.ten_thu_tuc,
				field_name = NEW.ten_linh_vuc,
				agency_name = NEW.co_quan_giai_quyet,
				receiving_unit = NEW.noi_tiep_nhan,
				applicant_name = NEW.chu_ho_so,
				applicant_id_number = motcua_zalo.giay_to(NEW.so_giay_to),
				applicant_phone = motcua_zalo.di_dong(NEW.so_dien_thoai),
				stage = motcua_zalo.giai_doan(NEW.trang_thai_id),
				stage_note = NEW.ghi_chu,
				due_at = NEW.ngay_hen_tra
			WHERE code = zalo_tthc.normalize_dossier_code(NEW.ma_ho_so);
			IF FOUND THEN
				RETURN NULL;
			END IF;
		END IF;
		INSERT INTO zalo_tthc.dossier
			(code, procedure_name, field_name, agency_name, receiving_unit, applicant_name,
			 applicant_id_number, applicant_phone, stage, stage_note, submitted_at, due_at)
		VALUES (NEW.ma_ho_so, NEW.ten_thu_tuc, NEW.ten_linh_vuc, NEW.co_quan_giai_quyet, NEW.noi_tiep_nhan,
				NEW.chu_ho_so, motcua_zalo.giay_to(NEW.so_giay_to), motcua_zalo.di_dong(NEW.so_dien_thoai),
				motcua_zalo.giai_doan(NEW.trang_thai_id), NEW.ghi_chu, coalesce(NEW.ngay_nop, now()),
				NEW.ngay_hen_tra)
		ON CONFLICT (code) DO UPDATE
			SET procedure_name = EXCLUDED.procedure_name,
				field_name = EXCLUDED.field_name,
				agency_name = EXCLUDED.agency_name,
				receiving_unit = EXCLUDED.receiving_unit,
				applicant_name = EXCLUDED.applicant_name,
				applicant_id_number = EXCLUDED.applicant_id_number,
				applicant_phone = EXCLUDED.applicant_phone,
				stage = EXCLUDED.stage,
				stage_note = EXCLUDED.stage_note,
				due_at = EXCLUDED.due_at;
	EXCEPTION
		WHEN data_exception OR integrity_constraint_violation THEN
			INSERT INTO motcua_zalo.loi_dong_bo (ma_ho_so, ma_loi, thong_bao)
			VALUES (NEW.ma_ho_so, SQLSTATE, SQLERRM);
	END;
	RETURN NULL;
END
$$;

CREATE TRIGGER dong_bo_zalo
	AFTER INSERT OR UPDATE ON motcua.ho_so
	FOR EACH ROW EXECUTE FUNCTION motcua_zalo.dong_bo_ho_so();

-- The one-off load of the dossiers already there, at their current stage
-- and without notifying (zalo_tthc.bulk_import, superuser or granted),
-- leaving out, and listing in loi_dong_bo, the dossiers zalo_tthc would
-- refuse: a code that is not one, a standard-looking code with an
-- impossible date, an empty name or one with control characters, a due
-- date before the submission.  Returns the number of dossiers loaded.
CREATE FUNCTION motcua_zalo.nap_ban_dau()
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	loaded bigint;
BEGIN
	PERFORM set_config('zalo_tthc.bulk_import', 'on', true);
	WITH ho_so AS (
		SELECT h.*,
			   upper(regexp_replace(h.ma_ho_so, '\s', '', 'g')) ~ '^[0-9A-Z][0-9A-Z./_-]{5,49}$'
			   AND NOT (upper(h.ma_ho_so) ~ '^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4}$'
						AND NOT zalo_tthc.is_standard_dossier_code(h.ma_ho_so))
			   AND btrim(h.chu_ho_so) <> '' AND h.chu_ho_so !~ '[[:cntrl:]]'
			   AND (h.ngay_hen_tra IS NULL OR h.ngay_nop IS NULL OR h.ngay_hen_tra >= h.ngay_nop) AS nhan
		FROM motcua.ho_so h
	), nap AS (
		INSERT INTO zalo_tthc.dossier
			(code, procedure_name, field_name, agency_name, receiving_unit, applicant_name,
			 applicant_id_number, applicant_phone, stage, stage_note, submitted_at, due_at)
		SELECT ma_ho_so, ten_thu_tuc, ten_linh_vuc, co_quan_giai_quyet, noi_tiep_nhan, chu_ho_so,
			   motcua_zalo.giay_to(so_giay_to), motcua_zalo.di_dong(so_dien_thoai),
			   motcua_zalo.giai_doan(trang_thai_id), ghi_chu, coalesce(ngay_nop, now()), ngay_hen_tra
		FROM ho_so
		WHERE nhan
		ORDER BY id
		ON CONFLICT (code) DO NOTHING
		RETURNING 1
	), bo_qua AS (
		INSERT INTO motcua_zalo.loi_dong_bo (ma_ho_so, ma_loi, thong_bao)
		SELECT ma_ho_so, 'nap_ban_dau', 'Không nạp: mã hồ sơ, họ tên hoặc ngày hẹn trả không hợp lệ'
		FROM ho_so
		WHERE NOT nhan
	)
	SELECT count(*) INTO loaded FROM nap;
	PERFORM set_config('zalo_tthc.bulk_import', 'off', true);
	RETURN loaded;
END
$$;
