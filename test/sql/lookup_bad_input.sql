-- Bad input to a lookup gets a clear answer: an error with its SQLSTATE
-- and a message saying which rule was broken, or an empty result; never
-- an unhandled failure, never a match of everything.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; n bigint;
BEGIN
	EXECUTE 'SELECT count(*) FROM (' || sql || ') s' INTO n;
	RETURN n || ' rows';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN st || ': ' || msg;
END
$$;

\pset format unaligned
\pset tuples_only on
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, submitted_at, due_at)
VALUES ('000.00.89.H60-240301-0001', 'Đăng ký khai sinh', 'Giáp Văn Tư', '2024-03-01 09:00+07', '2099-01-01');

-- empty and white space
SELECT '1. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('')$$);
SELECT '2. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(E' \t\n ')$$);
SELECT '3. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_name('   ')$$);
SELECT '4. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(NULL)$$);
-- 10,000 characters
SELECT '5. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(repeat('Nguyễn ', 1429))$$);
SELECT '6. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(repeat('9', 10000))$$);
SELECT '7. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_code(repeat('A', 10000))$$);
SELECT '8. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_name(repeat('a', 10000))$$);
-- SQL, LIKE and regular-expression metacharacters
SELECT '9. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('''; DROP TABLE zalo_tthc.dossier; --')$$);
SELECT '10. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('Giáp%')$$);
SELECT '11. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('%')$$);
SELECT '12. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('_')$$);
SELECT '13. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('.*')$$);
SELECT '14. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('giap|tu')$$);
SELECT '15. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('g.ap van t.')$$);
SELECT '16. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('giap (van) tu\')$$);
SELECT '17. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('000.00.89.H60-240301-000_')$$);
SELECT '18. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('000.00.89.H60''; --')$$);
-- control characters
SELECT '19. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(E'Giáp\x01Văn Tư')$$);
SELECT '20. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(E'000.00.89.H60-240301-0001\x1b')$$);
SELECT '21. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(E'Giáp Văn Tư\u0085')$$);
SELECT '22. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(E'Giáp Văn Tư\x7f')$$);
SELECT '23. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_name('Giáp Văn Tư', E'19\u009090')$$);
-- invalid UTF-8 never reaches the function: the server refuses it first
SELECT '24. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(E'Gi\xff')$$);
SELECT '25. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(convert_from('\xc3'::bytea, 'UTF8'))$$);
SELECT '26. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup(convert_from('\x4769c3a1ed'::bytea, 'UTF8'))$$);
-- codes with a bad date or shape
SELECT '27. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('000.00.89.H60-240230-0001')$$);
SELECT '28. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('000.00.89.H60-241301-0001')$$);
SELECT '29. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_code('000.00.89.H60-240230-0001')$$);
SELECT '30. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_code('AB1')$$);
-- numbers that are no ID number
SELECT '31. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('0912345678')$$);
SELECT '32. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_id_number('12345')$$);
SELECT '33. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup_by_id_number('12345678X')$$);
-- punctuation only
SELECT '34. ' || pg_temp.try($$SELECT * FROM zalo_tthc.lookup('-- ; ''')$$);

-- the table is intact and nothing else was written
SELECT 'dossiers: ' || count(*) FROM zalo_tthc.dossier WHERE code LIKE '000.00.89.%';
ROLLBACK;
