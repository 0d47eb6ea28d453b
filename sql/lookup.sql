-- Dossier lookup (Tra cứu hồ sơ): lookup(query) reads a dossier code, a
-- CCCD/CMND number or a name and returns the matching dossiers with
-- personal data masked; receipt(code) the receipt slip (Phiếu tiếp nhận)
-- as it was at the received stage.  Also the name indexes of the dossier
-- table, the masks, the receipt snapshots and the audit of lookups: every
-- lookup writes an audit row (who, when, which kind, a keyed hash of the
-- key).  The portal role may call the lookup functions and nothing else:
-- they are SECURITY DEFINER with a pinned search_path.

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
	FROM zalo_tthc.dossier_event e
		JOIN zalo_tthc.stage_info s ON s.stage = e.stage_after,
		-- notification_values(d, e), without planning a SQL function at each call
		LATERAL zalo_tthc.template_values(d, e, s.label_vi) AS v
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
	-- an attached dossier keeps the number only as this keyed hash
	id_key bytea := zalo_tthc.lookup_key_hash(normalized);
	ids bigint[];
BEGIN
	ids := ARRAY(SELECT d.id FROM zalo_tthc.dossier d
				 WHERE (d.applicant_id_number = normalized OR d.applicant_id_key = id_key)
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
				OR right(d.applicant_id_number, 4) = $4 OR d.applicant_id_last4 = $4
				OR right(d.applicant_phone, 4) = $4
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

-- pg_dump keeps their rows and where their sequences stand (see stages.sql)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.receipt_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.lookup_audit', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.lookup_secret', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.lookup_audit_id_seq', '');
