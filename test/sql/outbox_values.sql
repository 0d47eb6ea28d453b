-- The values of a notification's {{placeholders}}, built in C for the
-- delivery worker and for notification_values(): the same as the SQL
-- definition they replace (kept below as the reference) on ordinary and
-- edge values, and what the citizen reads for each field.
BEGIN;
SET LOCAL timezone = 'UTC';
SET LOCAL search_path = public;

CREATE FUNCTION pg_temp.reference(d zalo_tthc.dossier, e zalo_tthc.dossier_event)
RETURNS jsonb LANGUAGE sql STABLE AS $$
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

INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
	applicant_name, representative_name, organization_name, return_method, submitted_at, due_at,
	fee_amount, payment_url)
VALUES ('000.00.99.H60-240301-0101', 'Cấp giấy phép xây dựng', 'Xây dựng', 'UBND huyện Yên Sơn',
	'Trung tâm PVHCC xã Mỹ Bằng', 'Công ty CP Sông Lô', 'Quan Văn Quyết', 'Công ty CP Sông Lô', 1,
	'2024-03-01 16:59:59+00', '2099-03-15 17:00+00', 1500000, 'https://thanhtoan.example/?ma=0101');
UPDATE zalo_tthc.dossier SET stage = 'received', stage_note = 'Ghi chú có "ngoặc kép", \ và
xuống dòng'
WHERE code = '000.00.99.H60-240301-0101';
UPDATE zalo_tthc.dossier SET received_at = '2024-03-02 08:00+07' WHERE code = '000.00.99.H60-240301-0101';

-- what the citizen reads
SELECT jsonb_pretty(zalo_tthc.notification_values(d, e)) AS values
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.seq = d.stage_seq
WHERE d.code = '000.00.99.H60-240301-0101';

-- the same as the reference on variants of that row: nulls and their
-- fallbacks, each return method, dates on either side of midnight in
-- Vietnam, infinite and ancient dates, fees from 0 to 999.999.999.999,
-- escapes
CREATE TEMP TABLE variant (name text, d_changes jsonb, e_changes jsonb);
INSERT INTO variant VALUES
	('as is', '{}', '{}'),
	('no representative, unit or organization',
	 '{"representative_name": null, "receiving_unit": null, "organization_name": null}', '{}'),
	('no agency', '{"agency_name": null}', '{}'),
	('no unit and no agency', '{"agency_name": null, "receiving_unit": null}', '{}'),
	('in person', '{"return_method": 0}', '{}'),
	('online', '{"return_method": 2}', '{}'),
	('no return method', '{"return_method": null}', '{}'),
	('just before midnight in Vietnam', '{"submitted_at": "2024-03-01T16:59:59.999999+00"}', '{}'),
	('at midnight in Vietnam', '{"submitted_at": "2024-03-01T17:00:00+00"}', '{}'),
	('new year in Vietnam', '{"received_at": "2025-12-31T17:00:00+00", "result_at": "2025-12-31T16:00:00+00"}', '{}'),
	('every date', '{"supplement_due_at": "2026-02-28T23:00:00+07", "returned_at": "2028-02-29T12:00:00+07"}',
	 '{"due_before": "2026-01-01T00:00:00+07"}'),
	('infinite dates', '{"supplement_due_at": "infinity", "result_at": "-infinity"}', '{"due_after": "infinity"}'),
	('year 900', '{"returned_at": "0900-06-15T12:00:00+07"}', '{}'),
	('no dates', '{"received_at": null, "result_at": null}', '{"due_after": null, "due_before": null}'),
	('no fee', '{"fee_amount": null}', '{}'),
	('fee 0', '{"fee_amount": 0}', '{}'),
	('fee 7', '{"fee_amount": 7}', '{}'),
	('fee 999', '{"fee_amount": 999}', '{}'),
	('fee 1000', '{"fee_amount": 1000}', '{}'),
	('fee 25000', '{"fee_amount": 25000}', '{}'),
	('fee 100000', '{"fee_amount": 100000}', '{}'),
	('fee 999999999999', '{"fee_amount": 999999999999}', '{}'),
	('no note', '{}', '{"note": null}'),
	('unicode and control characters', '{"applicant_name": "Nguyễn Thị Ánh\tTuyết"}', '{"note": "a\u0001b"}'),
	('no payment link', '{"payment_url": null}', '{}');

SELECT v.name, zalo_tthc.notification_values(d2, e2) = pg_temp.reference(d2, e2) AS same
FROM variant v,
	 zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.seq = d.stage_seq,
	 LATERAL jsonb_populate_record(d, v.d_changes) AS d2,
	 LATERAL jsonb_populate_record(e, v.e_changes) AS e2
WHERE d.code = '000.00.99.H60-240301-0101'
ORDER BY v.name;

-- the dates and the fee as read
SELECT v.name, x->>'ngay_nop' AS ngay_nop, x->>'ngay_tiep_nhan' AS ngay_tiep_nhan,
	   x->>'ngay_co_ket_qua' AS ngay_co_ket_qua, x->>'ngay_tra' AS ngay_tra, x->>'so_tien' AS so_tien
FROM variant v,
	 zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.seq = d.stage_seq,
	 LATERAL zalo_tthc.notification_values(jsonb_populate_record(d, v.d_changes),
										   jsonb_populate_record(e, v.e_changes)) AS x
WHERE d.code = '000.00.99.H60-240301-0101'
  AND (v.name LIKE '%midnight%' OR v.name LIKE 'new year%' OR v.name LIKE 'fee%' OR v.name = 'year 900')
ORDER BY v.name;

-- a fee too large for the old format: grouped, not "###"
SELECT zalo_tthc.notification_values(jsonb_populate_record(d, '{"fee_amount": 12345678901234}'), e)->>'so_tien'
	AS large_fee,
	   pg_temp.reference(jsonb_populate_record(d, '{"fee_amount": 12345678901234}'), e)->>'so_tien'
	AS old_large_fee
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.seq = d.stage_seq
WHERE d.code = '000.00.99.H60-240301-0101';

-- the lookup link: zalo_tthc.lookup_url with the code for {ma_ho_so}
SELECT zalo_tthc.notification_values(d, e)->>'link_tra_cuu' AS link
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.seq = d.stage_seq
WHERE d.code = '000.00.99.H60-240301-0101';

-- a stage without a label row, and null rows, give null as before
SELECT zalo_tthc.notification_values(NULL, NULL) IS NULL AS null_rows,
	   zalo_tthc.template_values(d, e, NULL) IS NULL AS no_label
FROM zalo_tthc.dossier d JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.seq = d.stage_seq
WHERE d.code = '000.00.99.H60-240301-0101';
ROLLBACK;
