-- Attaching the province's one-stop system (schema.sql) to zalo_tthc: the
-- worked example a DBA follows.  The application keeps writing its own
-- tables as it always has; zalo_tthc's triggers on them record each stage
-- change of a dossier and queue the citizen's Zalo notification in the same
-- transaction, and never make the application's write fail: a value that
-- cannot be mapped or validated is recorded in zalo_tthc.attachments and
-- the application's change commits.
--
-- Run once, by a DBA, in the database of the one-stop system, after
--   CREATE EXTENSION zalo_tthc CASCADE;
-- The vendor's timestamps (ngay_nop, ngay_hen_tra) have no time zone; they
-- are read in the session's TimeZone, as PostgreSQL converts timestamp to
-- timestamptz, so the database should run with
--   ALTER DATABASE <db> SET timezone = 'Asia/Ho_Chi_Minh';

-- ---------------------------------------------------------------------
-- 1. The dossier table, motcua.ho_so
-- ---------------------------------------------------------------------
--
-- columns, zalo_tthc field <- vendor column:
--
--  code <- ma_ho_so: the số biên nhận printed on the receipt, the key the
--    citizen looks the dossier up by.  zalo_tthc keeps it upper-case
--    without spaces; the older local codes (MC-2019-000123,
--    STP/LLTP/2019/00042) are kept as non-standard codes.  A row whose code
--    is not a code at all (an en dash pasted from a word processor, an
--    impossible date) cannot be recorded and is reported.
--  stage <- trang_thai_id: the national status, 1..10, translated by
--    `stages` below.
--  applicant_name <- chu_ho_so: the owner of the dossier, not nguoi_nop
--    (the person who filed it on the owner's behalf).
--  applicant_id_number <- so_giay_to: CCCD (12 digits) or CMND (9 digits),
--    as the clerk typed it; loai_giay_to is not needed, zalo_tthc tells the
--    two apart by their digits.  A passport number or a tax code is not an
--    ID number zalo_tthc can link to a Zalo follower: the dossier is
--    recorded without it.
--  applicant_phone <- so_dien_thoai: the contact phone of the dossier (for
--    a dossier filed by proxy, the number the clerk was given), in any of
--    the ways it is written ("0912 345 678", "+84 912345678",
--    "0912.345.678").  Landlines, retired 11-digit numbers and text cannot
--    receive Zalo messages: the dossier is recorded without a phone.
--  procedure_name <- ten_thu_tuc, field_name <- ten_linh_vuc: the names the
--    citizen reads, not the codes ma_thu_tuc and ma_linh_vuc.
--  agency_name <- co_quan_giai_quyet, receiving_unit <- noi_tiep_nhan: two
--    columns, since a dossier may be received anywhere in the province
--    (the provincial centre, any commune) and resolved by another agency.
--  submitted_at <- ngay_nop, due_at <- ngay_hen_tra: the dates of the
--    receipt slip.  ngay_tiep_nhan, ngay_ket_thuc_xu_ly and ngay_tra are
--    not mapped: zalo_tthc stamps received_at, result_at and returned_at
--    when the dossier enters received, result_ready and result_returned.
--  stage_note <- ghi_chu: the clerk's note of the save that changed the
--    status: the reason of a refusal (3) or of stopping (8), what to
--    supplement (5).  It is what the citizen is told for those stages.
--
-- Not mapped: e-mail, address and date of birth (a notification needs none
-- of them, and personal data not needed is not copied: NĐ 13/2023), the
-- proxy's name, the channel, fees.
--
-- stages, vendor status -> zalo_tthc stage:
--
--   1 Mới đăng ký                         -> submitted
--   2 Được tiếp nhận                      -> received (with the receipt slip)
--   3 Không được tiếp nhận                -> rejected
--   4 Đang xử lý                          -> assigned
--   5 Yêu cầu bổ sung giấy tờ             -> supplement_requested
--   6 Yêu cầu thực hiện nghĩa vụ tài chính -> payment_requested
--   7 Công dân yêu cầu rút hồ sơ          -> withdrawal_requested
--   8 Dừng xử lý                          -> returned
--   9 Đã xử lý xong                       -> result_ready
--  10 Đã trả kết quả                      -> result_returned
--
-- Status 4 covers everything between the handover to the specialist
-- department and the result: zalo_tthc's assigned, appraising and signing
-- all have national status 4.  The status table can only say that the
-- dossier entered 4, which is the handover (phân công thụ lý), so 4 maps to
-- assigned; appraising and signing come from the steps table (2. below),
-- which is where the application writes them.
--
-- What the status list cannot express: a dossier back from 5 (supplement)
-- or 6 (fees) to 4 is, in zalo_tthc's terms, supplement_submitted or
-- payment_confirmed, but "4" names one stage, assigned; and without the
-- steps table a dossier would go from 4 straight to 9.  The default rules
-- of zalo_tthc.stage_transition do not allow supplement_requested ->
-- assigned, payment_requested -> assigned or assigned -> result_ready:
-- such changes are reported in zalo_tthc.attachments (and the application's
-- save commits).  A province whose clerks move dossiers that way adds the
-- transitions it wants notified as rows of zalo_tthc.stage_transition.
--
-- backfill (true by default): the dossiers already in the table are
-- recorded at their current stage without notifying anyone, so that the
-- next status change of each is a change from a known stage, and lookups
-- find them at once.

SELECT zalo_tthc.attach('motcua.ho_so',
	columns => '{"code": "ma_ho_so",
				 "stage": "trang_thai_id",
				 "applicant_name": "chu_ho_so",
				 "applicant_id_number": "so_giay_to",
				 "applicant_phone": "so_dien_thoai",
				 "procedure_name": "ten_thu_tuc",
				 "field_name": "ten_linh_vuc",
				 "agency_name": "co_quan_giai_quyet",
				 "receiving_unit": "noi_tiep_nhan",
				 "submitted_at": "ngay_nop",
				 "due_at": "ngay_hen_tra",
				 "stage_note": "ghi_chu"}',
	stages => '{"1": "submitted",
				"2": "received",
				"3": "rejected",
				"4": "assigned",
				"5": "supplement_requested",
				"6": "payment_requested",
				"7": "withdrawal_requested",
				"8": "returned",
				"9": "result_ready",
				"10": "result_returned"}');

-- ---------------------------------------------------------------------
-- 2. The steps table, motcua.qua_trinh_xu_ly
-- ---------------------------------------------------------------------
--
-- Each inserted row is a step of the dossier whose ma_ho_so it names; a
-- step mapped below is a stage change of that dossier:
--
--   PHAN_CONG (phân công thụ lý) -> assigned: the same stage as status 4.
--     The application writes the step and the status in the same save or
--     one after the other; whichever comes first moves the dossier to
--     assigned and the other finds it there, so the citizen is told once.
--   THAM_DINH (thẩm định)        -> appraising
--   TRINH_KY (trình ký)          -> signing
--     The two steps inside status 4 that the citizen is told about, which
--     ho_so's status cannot show.
--
-- Not mapped: TIEP_NHAN and TRA_KET_QUA (the status changes to 2 and 10
-- already notify: mapping them would tell the citizen twice), KY_DUYET (the
-- leader has signed: what the citizen hears next is result_ready, status
-- 9), YEU_CAU_BO_SUNG and TU_CHOI (the status changes to 5 and 3 carry them,
-- with ho_so.ghi_chu as the note), CHUYEN_LIEN_THONG (the hand-over to
-- another agency is internal).
--
-- columns: stage_note <- noi_dung (the official's note of the step),
-- stage_actor <- can_bo_xu_ly (the official, kept in the dossier's history
-- in zalo_tthc.dossier_event).

SELECT zalo_tthc.attach_steps('motcua.qua_trinh_xu_ly', 'ma_ho_so', 'ma_buoc',
	'{"PHAN_CONG": "assigned",
	  "THAM_DINH": "appraising",
	  "TRINH_KY": "signing"}',
	'{"stage_note": "noi_dung",
	  "stage_actor": "can_bo_xu_ly"}');

-- Afterwards: SELECT * FROM zalo_tthc.attachments; shows both tables, the
-- rows seen, the changes notified, the values that could not be mapped and
-- the latest problem.  zalo_tthc.detach('motcua.ho_so') and
-- zalo_tthc.detach('motcua.qua_trinh_xu_ly') remove the triggers; what was
-- recorded and queued stays.
