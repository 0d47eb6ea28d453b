-- Name lookups are backed by indexes on the accent-free, lower-case name:
-- a btree for whole names and a GIN index of their terms (words, neighbouring
-- words, first and last word) for words of names, both
-- through the IMMUTABLE wrapper f_unaccent, applied to the very
-- expressions lookup_by_name uses.
SELECT zalo_tthc.f_unaccent('Nguyễn Văn Đức - ĐẶNG THỊ HƯƠNG'),
	zalo_tthc.f_unaccent(normalize('Nguyễn Văn Đức', NFD)),
	zalo_tthc.vn_lower('ĐẶNG THỊ HƯƠNG ƯỚC ƠN');
SELECT p.proname, p.provolatile
FROM pg_proc p WHERE p.pronamespace = 'zalo_tthc'::regnamespace
	AND p.proname IN ('f_unaccent', 'unaccent_dict', 'vn_lower') ORDER BY 1;
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) ~ 'name_terms' AS terms
FROM pg_index WHERE indrelid = 'zalo_tthc.dossier'::regclass
	AND pg_get_indexdef(indexrelid) ~ 'f_unaccent' ORDER BY 1;

BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, submitted_at, due_at)
SELECT format('000.00.88.H60-240301-%s', lpad(i::text, 4, '0')), 'Chứng thực',
	(ARRAY['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Vũ'])[1 + i % 5] || ' ' ||
	(ARRAY['Văn', 'Thị', 'Đức', 'Ngọc'])[1 + i % 4] || ' ' ||
	(ARRAY['An', 'Bình', 'Cường', 'Dũng', 'Hà', 'Lan', 'Minh'])[1 + i % 7] || ' ' || i,
	'2024-03-01 09:00+07', '2099-01-01'
FROM generate_series(1, 3000) AS i;
ANALYZE zalo_tthc.dossier;

EXPLAIN (COSTS OFF)
SELECT d.id FROM zalo_tthc.dossier d
WHERE lower(zalo_tthc.f_unaccent(d.applicant_name)) = 'nguyen van duc'
ORDER BY zalo_tthc.vn_lower(d.applicant_name) = 'nguyễn văn đức' DESC, d.submitted_at DESC, d.id DESC
LIMIT 10;
-- the terms of a name, and the two conditions of a word search as
-- lookup_by_name writes them, through the index of terms (a table this
-- small would otherwise be read whole)
SELECT zalo_tthc.name_terms('nguyen thi thanh man');
SELECT zalo_tthc.name_terms('le an'), zalo_tthc.name_terms(''), zalo_tthc.name_terms('  an  ');
SELECT zalo_tthc.name_terms_query('nguyen man', true), zalo_tthc.name_terms_query('thi thanh man', true),
	zalo_tthc.name_terms_query('man', true) IS NULL AS one_word,
	zalo_tthc.name_terms_query('nguyen thi man', false),
	zalo_tthc.name_terms_query($$o'neil a\b$$, false);
SELECT zalo_tthc.name_terms('nguyen thi thanh man') @@ zalo_tthc.name_terms_query('nguyen man', true) AS first_last,
	zalo_tthc.name_terms('nguyen thi thanh man') @@ zalo_tthc.name_terms_query('thanh man', true) AS neighbours,
	zalo_tthc.name_terms('nguyen thi thanh man') @@ zalo_tthc.name_terms_query('nguyen thi man', true) AS first_middle_last,
	zalo_tthc.name_terms('nguyen thi thanh man') @@ zalo_tthc.name_terms_query('thi man', true) AS apart,
	zalo_tthc.name_terms('nguyen thi thanh man') @@ zalo_tthc.name_terms_query('thi man', false) AS apart_all_words;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT d.id FROM zalo_tthc.dossier d
WHERE zalo_tthc.name_terms(lower(zalo_tthc.f_unaccent(d.applicant_name))) @@ zalo_tthc.name_terms_query('binh 1234', true)
	AND lower(zalo_tthc.f_unaccent(d.applicant_name)) ~ '(^| )binh (.* )?1234( |$)';
EXPLAIN (COSTS OFF)
SELECT d.id FROM zalo_tthc.dossier d
WHERE lower(zalo_tthc.f_unaccent(d.applicant_name)) ~ '(^| )binh (.* )?1234( |$)'
	AND zalo_tthc.name_terms(lower(zalo_tthc.f_unaccent(d.applicant_name))) @@ zalo_tthc.name_terms_query('binh 1234', false);
-- and the search finds the words in order, as whole words only
SELECT (SELECT count(*) FROM zalo_tthc.lookup_by_name('cường 1234')) AS in_order,
	(SELECT count(*) FROM zalo_tthc.lookup_by_name('1234 cuong')) AS reversed,
	(SELECT count(*) FROM zalo_tthc.lookup_by_name('cuong 123')) AS part_of_a_word;
ROLLBACK;

-- A lookup is planned once per session: the masks and lookup_present are
-- inlined into the lookup functions' queries, which keep generic plans.
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;
SELECT pg_temp.plan_of('SELECT zalo_tthc.mask_name(applicant_name), zalo_tthc.mask_dossier_code(code) FROM zalo_tthc.dossier')
		!~ 'mask_' AS masks_inlined,
	pg_temp.plan_of('SELECT * FROM zalo_tthc.lookup_present(ARRAY[1, 2]::bigint[], false)')
		!~ 'Function Scan on (zalo_tthc\.)?lookup_present' AS present_inlined;
SELECT p.proname, 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig) AS generic_plans
FROM pg_proc p WHERE p.pronamespace = 'zalo_tthc'::regnamespace
	AND p.proname IN ('lookup', 'lookup_by_code', 'lookup_by_id_number', 'lookup_by_name', 'receipt')
ORDER BY 1;
