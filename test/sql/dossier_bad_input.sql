-- Every bad input is refused with its SQLSTATE, a message naming the value
-- or column and the rule it broke, and a hint where one helps; nothing is
-- written.
CREATE FUNCTION pg_temp.expect_error(sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; det text; hnt text;
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RETURN st || ': ' || msg
		|| coalesce(E'\n    detail: ' || nullif(regexp_replace(det, '^Failing row contains.*', ''), ''), '')
		|| coalesce(E'\n    hint: ' || nullif(hnt, ''), '');
END
$$;

-- inserts a dossier with one column overridden
CREATE FUNCTION pg_temp.insert_with(col text, val text) RETURNS text
LANGUAGE sql AS $$
	SELECT pg_temp.expect_error(format(
		'INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, %I) VALUES (%L, %L, %L, %s)',
		col, '000.00.04.H60-230501-0001', 'Cấp giấy phép xây dựng', 'Ngô Văn Phúc', val));
$$;

\pset format unaligned
\pset tuples_only on

-- dossier codes
SELECT '1. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES (NULL, 'x', 'Ngô Văn Phúc')$$);
SELECT '2. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('', 'x', 'Ngô Văn Phúc')$$);
SELECT '3. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES (E' \t ', 'x', 'Ngô Văn Phúc')$$);
SELECT '4. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-231315-0028', 'x', 'Ngô Văn Phúc')$$);
SELECT '5. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230230-0028', 'x', 'Ngô Văn Phúc')$$);
SELECT '6. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230229-0028', 'x', 'Ngô Văn Phúc')$$);
SELECT '7. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60''; DROP TABLE x; --', 'x', 'Ngô Văn Phúc')$$);
SELECT '8. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES (repeat('A1', 26), 'x', 'Ngô Văn Phúc')$$);
SELECT '9. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('AB12', 'x', 'Ngô Văn Phúc')$$);
SELECT '10. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('ĐỒNG-230215-0028', 'x', 'Ngô Văn Phúc')$$);

-- CCCD / CMND
SELECT '11. ' || pg_temp.insert_with('applicant_id_number', $$'0010990123'$$);
SELECT '12. ' || pg_temp.insert_with('applicant_id_number', $$'00109901234X'$$);
SELECT '13. ' || pg_temp.insert_with('applicant_id_number', $$''$$);

-- phones
SELECT '14. ' || pg_temp.insert_with('applicant_phone', $$'024 3825 1234'$$);
SELECT '15. ' || pg_temp.insert_with('applicant_phone', $$'0162 123 4567'$$);
SELECT '16. ' || pg_temp.insert_with('applicant_phone', $$'091234567'$$);
SELECT '17. ' || pg_temp.insert_with('applicant_phone', $$'09l2345678'$$);
SELECT '18. ' || pg_temp.insert_with('applicant_phone', $$'+1 415 555 0100'$$);

-- required and free text
SELECT '19. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230501-0001', 'x', NULL)$$);
SELECT '20. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230501-0001', 'x', '   ')$$);
SELECT '21. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230501-0001', 'x', repeat('Nguyễn ', 40))$$);
SELECT '22. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230501-0001', 'x', E'Ngô\nVăn Phúc')$$);
SELECT '23. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230501-0001', NULL, 'Ngô Văn Phúc')$$);
SELECT '24. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.H60-230501-0001', repeat('thủ tục ', 63), 'Ngô Văn Phúc')$$);
SELECT '25. ' || pg_temp.insert_with('summary', $$repeat('x', 2001)$$);
SELECT '26. ' || pg_temp.insert_with('payment_url', $$'ftp://pay.example.gov.vn/123'$$);
SELECT '27. ' || pg_temp.insert_with('representative_name', $$E'Ngô\u0007Văn'$$);

-- dates
SELECT '28. ' || pg_temp.insert_with('submitted_at', $$'2099-01-01 08:00+07'$$);
SELECT '29. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, submitted_at, due_at) VALUES ('000.00.04.H60-230501-0001', 'x', 'Ngô Văn Phúc', '2023-05-01', '2023-04-01')$$);

-- stages and transitions
SELECT '30. ' || pg_temp.insert_with('stage', 'NULL');
SELECT '31. ' || pg_temp.insert_with('stage', $$'signing'$$);
SELECT '32. ' || pg_temp.insert_with('stage', $$'approved'$$);

INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
VALUES ('000.00.04.H60-230502-0001', 'Cấp giấy phép xây dựng', 'Ngô Văn Phúc', '0912000111', now() + interval '10 days');
SELECT '33. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-230502-0001'$$);
SELECT '34. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET stage = 'rejected' WHERE code = '000.00.04.H60-230502-0001'$$);
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230502-0001';
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230502-0001';
SELECT '35. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET stage = 'overdue_apology', stage_note = 'Chờ ý kiến liên ngành' WHERE code = '000.00.04.H60-230502-0001'$$);
SELECT '36. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET stage = 'overdue_apology', stage_note = 'Chờ ý kiến liên ngành', due_at = due_at - interval '1 day' WHERE code = '000.00.04.H60-230502-0001'$$);
SELECT '37. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET status_code = 9 WHERE code = '000.00.04.H60-230502-0001'$$);
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-230502-0001';
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230502-0001';
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-230502-0001';
UPDATE zalo_tthc.dossier SET stage = 'result_returned' WHERE code = '000.00.04.H60-230502-0001';
SELECT '38. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-230502-0001'$$);
SELECT '39. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-230502-0001'$$);

-- constraints and other objects
SELECT '40. ' || pg_temp.insert_with('channel', '4');
SELECT '41. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name) VALUES ('000.00.04.h60-230502-0001', 'x', 'Ngô Văn Phúc')$$);
SELECT '42. ' || pg_temp.expect_error($$UPDATE zalo_tthc.dossier_event SET note = 'sửa lịch sử'$$);
SELECT '43. ' || pg_temp.expect_error($$INSERT INTO zalo_tthc.recipient (zalo_user_id) VALUES ('abc')$$);
SELECT '44. ' || pg_temp.expect_error($$SELECT zalo_tthc.normalize_phone('không có số')$$);
SELECT '45. ' || pg_temp.expect_error($$SELECT zalo_tthc.normalize_dossier_code('TTHC ')$$);
SELECT '46. ' || pg_temp.expect_error($$SELECT zalo_tthc.normalize_id_number('12 34')$$);

\pset tuples_only off
\pset format aligned

-- nothing of the refused rows was written
SELECT count(*) AS refused_dossiers_written FROM zalo_tthc.dossier
WHERE code IN ('000.00.04.H60-230501-0001');
SELECT stage, status_code, stage_seq FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230502-0001';
