-- Attaching the province's own one-stop tables (gắn vào bảng của hệ thống
-- một cửa): attach(), attach_steps() and detach() put zalo_tthc's triggers
-- on an application's existing dossier table and its table of processing
-- steps.  Each change there is copied, with the columns and statuses
-- mapped, into zalo_tthc.dossier, whose own triggers record the stage
-- change and queue its notification: one path for attached and built-in
-- dossiers.  The application is the authority: what zalo_tthc cannot map
-- or validate is recorded in attachment_problem and the application's
-- write commits.  Owns: attachment, attachment_problem, the view
-- attachments and the functions below.

CREATE TABLE zalo_tthc.attachment (
	source		regclass PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('dossiers', 'steps')),
	columns		jsonb NOT NULL CHECK (jsonb_typeof(columns) = 'object'),
	stages		jsonb NOT NULL CHECK (jsonb_typeof(stages) = 'object'),
	attached_at	timestamptz NOT NULL DEFAULT now(),
	attached_by	name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE zalo_tthc.attachment IS
	'Bảng được gắn: an application table whose changes zalo_tthc copies into dossier (kind dossiers, by attach()) or reads as stage changes (kind steps, by attach_steps()). Written by attach(), attach_steps() and detach() only.';
COMMENT ON COLUMN zalo_tthc.attachment.source IS 'The application''s table.';
COMMENT ON COLUMN zalo_tthc.attachment.kind IS 'dossiers: one row per dossier, a status column; steps: one row per processing step of a dossier.';
COMMENT ON COLUMN zalo_tthc.attachment.columns IS 'zalo_tthc field -> the source''s column (code, stage, applicant_name, ...; for steps also code and step).';
COMMENT ON COLUMN zalo_tthc.attachment.stages IS 'The source''s status or step value, as text -> stage name.';
COMMENT ON COLUMN zalo_tthc.attachment.attached_at IS 'Thời điểm gắn.';
COMMENT ON COLUMN zalo_tthc.attachment.attached_by IS 'Who attached it.';

CREATE TABLE zalo_tthc.attachment_problem (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source		text NOT NULL,
	dossier_code text,
	field		text NOT NULL,
	problem		text NOT NULL,
	occurred_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.attachment_problem IS
	'Vấn đề dữ liệu: what zalo_tthc could not map or validate in a row of an attached table. The application''s write committed; the change was recorded and notified by whatever channel remained.';
COMMENT ON COLUMN zalo_tthc.attachment_problem.id IS 'Mã vấn đề.';
COMMENT ON COLUMN zalo_tthc.attachment_problem.source IS 'The application''s table, by its schema-qualified name (kept after detach).';
COMMENT ON COLUMN zalo_tthc.attachment_problem.dossier_code IS 'Số hồ sơ, as the source wrote it.';
COMMENT ON COLUMN zalo_tthc.attachment_problem.field IS 'The zalo_tthc field: code, stage, applicant_phone, applicant_id_number, applicant_name, ...';
COMMENT ON COLUMN zalo_tthc.attachment_problem.problem IS 'What was wrong and what zalo_tthc did; never a full phone or ID number.';
COMMENT ON COLUMN zalo_tthc.attachment_problem.occurred_at IS 'Thời điểm.';

CREATE INDEX attachment_problem_source_idx ON zalo_tthc.attachment_problem (source, occurred_at);

-- ---------------------------------------------------------------------
-- The triggers (C)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.attached_row_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_attached_row_changed';
COMMENT ON FUNCTION zalo_tthc.attached_row_changed() IS
	'AFTER INSERT OR UPDATE row trigger that attach() and attach_steps() put on an application table: copies the mapped row into dossier (or applies the step as a stage change) without ever failing the application''s write for bad data.';
REVOKE ALL ON FUNCTION zalo_tthc.attached_row_changed() FROM PUBLIC;

CREATE FUNCTION zalo_tthc.attach_backfill(source regclass)
RETURNS bigint
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'zt_attach_backfill';
COMMENT ON FUNCTION zalo_tthc.attach_backfill(regclass) IS
	'Record the rows already in an attached dossier table, without notifying anyone, with a NOTICE every 10,000 rows; returns how many. Called by attach().';
REVOKE ALL ON FUNCTION zalo_tthc.attach_backfill(regclass) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- attach, attach_steps, detach
-- ---------------------------------------------------------------------

-- The checks both attach functions make of a source table and a mapping.
CREATE FUNCTION zalo_tthc.attach_check(source regclass, columns jsonb, mapping jsonb, required text[],
	optional text[], mapping_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k text;
	v text;
BEGIN
	IF source IS NULL OR columns IS NULL OR mapping IS NULL THEN
		RAISE EXCEPTION 'the table, its columns and its % must not be NULL', mapping_name
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_class WHERE oid = source) THEN
		RAISE EXCEPTION 'relation with OID % does not exist', source::oid USING ERRCODE = 'undefined_table';
	END IF;
	IF (SELECT relkind FROM pg_class WHERE oid = source) NOT IN ('r', 'p') THEN
		RAISE EXCEPTION '% is not a table', source USING ERRCODE = 'wrong_object_type';
	END IF;
	IF (SELECT relnamespace FROM pg_class WHERE oid = source) = 'zalo_tthc'::regnamespace THEN
		RAISE EXCEPTION '% is a table of zalo_tthc itself', source USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Attach the application''s own tables.';
	END IF;
	IF EXISTS (SELECT FROM zalo_tthc.attachment a WHERE a.source = attach_check.source) THEN
		RAISE EXCEPTION '% is attached already', source USING ERRCODE = 'duplicate_object',
			HINT = 'SELECT zalo_tthc.detach(...) first to change its mapping.';
	END IF;
	IF jsonb_typeof(columns) IS DISTINCT FROM 'object' THEN
		RAISE EXCEPTION 'columns must be a JSON object of zalo_tthc field -> column' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOREACH k IN ARRAY required LOOP
		IF NOT columns ? k THEN
			RAISE EXCEPTION 'columns must map "%"', k USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END LOOP;
	FOR k, v IN SELECT * FROM jsonb_each_text(columns) LOOP
		IF NOT k = ANY (required || optional) THEN
			RAISE EXCEPTION 'unknown zalo_tthc field "%" in columns', k USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The fields are %s.', array_to_string(required || optional, ', '));
		END IF;
		IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attname = v
					   AND a.attnum > 0 AND NOT a.attisdropped) THEN
			RAISE EXCEPTION 'table % has no column "%" (mapped to %)', source, v, k
				USING ERRCODE = 'undefined_column';
		END IF;
		IF k IN ('submitted_at', 'due_at') AND (SELECT a.atttypid FROM pg_attribute a
				WHERE a.attrelid = source AND a.attname = v) NOT IN
				('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
			RAISE EXCEPTION 'column "%" of % (mapped to %) must be a date or a timestamp', v, source, k
				USING ERRCODE = 'datatype_mismatch';
		END IF;
	END LOOP;
	IF jsonb_typeof(mapping) IS DISTINCT FROM 'object' OR mapping = '{}' THEN
		RAISE EXCEPTION '% must be a non-empty JSON object of value -> stage', mapping_name
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR k, v IN SELECT * FROM jsonb_each_text(mapping) LOOP
		IF NOT v = ANY (enum_range(NULL::zalo_tthc.stage)::text[]) THEN
			RAISE EXCEPTION 'unknown stage "%" for value "%" in %', v, k, mapping_name
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = format('The stages are %s.', array_to_string(enum_range(NULL::zalo_tthc.stage)::text[], ', '));
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION zalo_tthc.attach_check(regclass, jsonb, jsonb, text[], text[], text) IS
	'The checks of attach() and attach_steps(): a table of the application, not attached yet, its mapped columns present, the stage names known. Internal.';
REVOKE ALL ON FUNCTION zalo_tthc.attach_check(regclass, jsonb, jsonb, text[], text[], text) FROM PUBLIC;

CREATE FUNCTION zalo_tthc.attach(source regclass, columns jsonb, stages jsonb, backfill boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	recorded bigint := 0;
BEGIN
	PERFORM zalo_tthc.attach_check(source, columns, stages, ARRAY['code', 'stage'],
		ARRAY['applicant_name', 'applicant_id_number', 'applicant_phone', 'procedure_name', 'field_name',
			  'agency_name', 'receiving_unit', 'submitted_at', 'due_at', 'stage_note'], 'stages');
	INSERT INTO zalo_tthc.attachment (source, kind, columns, stages)
	VALUES (source, 'dossiers', columns, stages);
	EXECUTE format('CREATE TRIGGER zalo_tthc_attached AFTER INSERT OR UPDATE ON %s '
				   'FOR EACH ROW EXECUTE FUNCTION zalo_tthc.attached_row_changed()', source);
	IF backfill THEN
		recorded := zalo_tthc.attach_backfill(source);
	END IF;
	RETURN jsonb_build_object('attached', source::text, 'backfilled', recorded);
END
$$;
COMMENT ON FUNCTION zalo_tthc.attach(regclass, jsonb, jsonb, boolean) IS
	'Put zalo_tthc''s trigger on an application''s dossier table. columns: zalo_tthc field -> column (code and stage required; applicant_name, applicant_id_number, applicant_phone, procedure_name, field_name, agency_name, receiving_unit, submitted_at, due_at, stage_note optional). stages: the status value as text -> stage. With backfill, the rows already there are recorded without notifying anyone. Returns {"attached", "backfilled"}.';

CREATE FUNCTION zalo_tthc.attach_steps(source regclass, dossier_code_column text, step_column text, steps jsonb,
	columns jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mapped jsonb := coalesce(columns, '{}') || jsonb_build_object('code', dossier_code_column, 'step', step_column);
BEGIN
	PERFORM zalo_tthc.attach_check(source, mapped, steps, ARRAY['code', 'step'],
		ARRAY['stage_note', 'stage_actor'], 'steps');
	INSERT INTO zalo_tthc.attachment (source, kind, columns, stages)
	VALUES (source, 'steps', mapped, steps);
	EXECUTE format('CREATE TRIGGER zalo_tthc_attached AFTER INSERT ON %s '
				   'FOR EACH ROW EXECUTE FUNCTION zalo_tthc.attached_row_changed()', source);
	RETURN jsonb_build_object('attached', source::text);
END
$$;
COMMENT ON FUNCTION zalo_tthc.attach_steps(regclass, text, text, jsonb, jsonb) IS
	'Put zalo_tthc''s trigger on an application''s table of processing steps: a row inserted there whose step value maps (steps: value -> stage) is a stage change of the attached dossier with that code; columns may name stage_note and stage_actor.';

CREATE FUNCTION zalo_tthc.detach(source regclass)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM zalo_tthc.attachment a WHERE a.source = detach.source) THEN
		RAISE EXCEPTION '% is not attached', source USING ERRCODE = 'undefined_object';
	END IF;
	EXECUTE format('DROP TRIGGER IF EXISTS zalo_tthc_attached ON %s', source);
	DELETE FROM zalo_tthc.attachment a WHERE a.source = detach.source;
	RETURN jsonb_build_object('detached', source::text);
END
$$;
COMMENT ON FUNCTION zalo_tthc.detach(regclass) IS
	'Remove zalo_tthc''s trigger from an attached table; the dossiers, events, notifications and problems recorded from it stay.';

REVOKE ALL ON FUNCTION zalo_tthc.attach(regclass, jsonb, jsonb, boolean),
	zalo_tthc.attach_steps(regclass, text, text, jsonb, jsonb), zalo_tthc.detach(regclass) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- For operators
-- ---------------------------------------------------------------------

CREATE VIEW zalo_tthc.attachments AS
SELECT a.source, a.kind, a.columns, a.stages, a.attached_at, a.attached_by,
	   coalesce(d.dossiers, 0) AS rows_seen,
	   coalesce(d.changes_notified, 0) AS changes_notified,
	   coalesce(p.unmapped, 0) AS unmapped_values,
	   p.latest_problem, p.latest_problem_at
FROM zalo_tthc.attachment a
LEFT JOIN LATERAL (
	SELECT count(DISTINCT dd.id) AS dossiers, count(e.id) FILTER (WHERE e.notify = 'enqueued') AS changes_notified
	FROM zalo_tthc.dossier dd LEFT JOIN zalo_tthc.dossier_event e ON e.dossier_id = dd.id
	WHERE dd.source = a.source AND a.kind = 'dossiers') d ON true
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE pr.field IN ('stage', 'step')) AS unmapped,
		   (array_agg(pr.field || ': ' || pr.problem ORDER BY pr.id DESC))[1] AS latest_problem,
		   max(pr.occurred_at) AS latest_problem_at
	FROM zalo_tthc.attachment_problem pr
	WHERE pr.source = (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
					   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = a.source)) p ON true;
COMMENT ON VIEW zalo_tthc.attachments IS
	'Each attached table: its kind and mapping, when and by whom attached, dossiers recorded from it (rows_seen), their stage changes notified, values that could not be mapped, and the latest problem.';

REVOKE ALL ON zalo_tthc.attachment, zalo_tthc.attachment_problem, zalo_tthc.attachments FROM PUBLIC;
GRANT SELECT ON zalo_tthc.attachments, zalo_tthc.attachment_problem TO zalo_tthc_operator;

SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.attachment', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.attachment_problem', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.attachment_problem_id_seq', '');
