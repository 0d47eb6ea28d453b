/* zalo_tthc 0.2.0 -> 1.0.0 */

\echo Use "ALTER EXTENSION zalo_tthc UPDATE" to load this file. \quit

-- 1.0.0 is the first release.  Its objects are those of 0.2.0, the
-- development schema that earlier builds (make demo, test servers)
-- installed, written once per feature file instead of as an install script
-- and the changes made to it since.  The catalog is the same but for what
-- follows.  test/t/020_upgrade.pl checks that an updated database and a
-- fresh install are the same.

-- the postgres_exporter queries moved from contrib/ to monitoring/
COMMENT ON FUNCTION zalo_tthc.metrics() IS
	'Prometheus text exposition (version 0.0.4) of the queue, the outcome totals, the request latency histogram, the token expiry and the worker; see monitoring/postgres_exporter/queries.yaml for the same through postgres_exporter.';

-- an operator's retry goes through one function of the outbox
CREATE FUNCTION zalo_tthc.outbox_requeue(ids bigint[])
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH q AS (
		UPDATE zalo_tthc.outbox o
		SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL
		WHERE o.id = ANY (ids) AND o.status IN ('failed', 'dead', 'undeliverable')
		RETURNING 1)
	SELECT count(*) FROM q
$$;
COMMENT ON FUNCTION zalo_tthc.outbox_requeue(bigint[]) IS
	'Queue the given failed, dead or undeliverable notifications again, at once, with their attempts reset; others are left alone. Returns how many. Called by retry() and retry_dead().';
REVOKE ALL ON FUNCTION zalo_tthc.outbox_requeue(bigint[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION zalo_tthc.retry(outbox_id bigint)
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
	PERFORM zalo_tthc.outbox_requeue(ARRAY[retry.outbox_id]);
	INSERT INTO zalo_tthc.operator_log (action, outbox_id, rows_affected, details)
	VALUES ('retry', retry.outbox_id, 1, jsonb_build_object('previous_status', previous));
	RETURN 'pending';
END
$$;

CREATE OR REPLACE FUNCTION zalo_tthc.retry_dead(stage zalo_tthc.stage DEFAULT NULL,
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
	n := zalo_tthc.outbox_requeue(ARRAY(
		SELECT o.id FROM zalo_tthc.outbox o
		WHERE (o.status = 'dead' OR (retry_dead.include_undeliverable AND o.status = 'undeliverable'))
		  AND (retry_dead.stage IS NULL OR o.stage = retry_dead.stage)
		  AND (retry_dead.channel IS NULL OR o.channel = retry_dead.channel)
		  AND (retry_dead.since IS NULL OR o.created_at >= retry_dead.since)
		  AND (retry_dead.error_code IS NULL OR o.last_error_code = retry_dead.error_code)
		FOR UPDATE));
	INSERT INTO zalo_tthc.operator_log (action, rows_affected, details)
	VALUES ('retry_dead', n, jsonb_strip_nulls(jsonb_build_object(
		'stage', retry_dead.stage, 'channel', retry_dead.channel, 'since', retry_dead.since,
		'error_code', retry_dead.error_code, 'include_undeliverable', retry_dead.include_undeliverable)));
	RETURN n;
END
$$;

-- purge() deletes through one function of the outbox
CREATE FUNCTION zalo_tthc.outbox_delete_final(older_than interval, include_dead boolean)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH d AS (
		DELETE FROM zalo_tthc.outbox o
		WHERE o.created_at < now() - older_than
		  AND (o.status IN ('sent', 'delivered', 'seen')
			   OR (include_dead AND o.status IN ('dead', 'undeliverable')))
		RETURNING 1)
	SELECT count(*) FROM d
$$;
COMMENT ON FUNCTION zalo_tthc.outbox_delete_final(interval, boolean) IS
	'Delete the notifications in a final state (sent, delivered, seen; with include_dead also dead and undeliverable) created more than older_than ago; open ones never. Returns how many. Called by purge().';

REVOKE ALL ON FUNCTION zalo_tthc.outbox_delete_final(interval, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION zalo_tthc.purge(older_than interval, include_dead boolean DEFAULT false,
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
	notifications := zalo_tthc.outbox_delete_final(older_than, include_dead);
	DELETE FROM zalo_tthc.delivery_attempt a WHERE a.started_at < now() - older_than;
	GET DIAGNOSTICS attempts = ROW_COUNT;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected, details)
	VALUES ('purge', notifications + attempts, jsonb_build_object(
		'older_than', older_than, 'include_dead', include_dead,
		'notifications', notifications, 'attempts', attempts));
END
$$;

-- a chat answer is a free reply to the citizen's message
CREATE FUNCTION zalo_tthc.cs_reply_message(message_id text, message_text text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('recipient', jsonb_build_object('message_id', message_id),
							  'message', jsonb_build_object('text', message_text))
$$;
COMMENT ON FUNCTION zalo_tthc.cs_reply_message(text, text) IS
	'The body of a cs text message that replies to a citizen''s message (recipient.message_id): free, 8 replies within 48 hours of it.';

REVOKE ALL ON FUNCTION zalo_tthc.cs_reply_message(text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION zalo_tthc.webhook_on_send_text(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid text := ev->>'user_id';
	rid bigint;
BEGIN
	SELECT id INTO rid FROM zalo_tthc.recipient WHERE zalo_user_id = uid;
	-- a reply to the citizen's message is free; without its id, a cs message
	PERFORM zalo_tthc.enqueue_chat_message(rid, 'chat_reply', 'reply-' || (ev->>'msg_id'),
		CASE WHEN coalesce(ev->>'msg_id', '') <> ''
			 THEN zalo_tthc.cs_reply_message(ev->>'msg_id', zalo_tthc.chat_answer(ev->>'text', uid))
			 ELSE zalo_tthc.cs_text_message(uid, zalo_tthc.chat_answer(ev->>'text', uid)) END);
	RETURN jsonb_build_object('action', 'reply_queued');
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_send_text(jsonb) IS
	'user_send_text: queue the reply of zalo_tthc.chat_answer as a free reply to the citizen''s message (cs with recipient.message_id).';

-- ---------------------------------------------------------------------
-- Zalo in 2026: stage notices as ZBS template messages, by user id and by
-- phone (zalo-api.md §0)
-- ---------------------------------------------------------------------

-- one approved template per stage serves both channels
ALTER TABLE zalo_tthc.template RENAME COLUMN zns_template_id TO zbs_template_id;
ALTER TABLE zalo_tthc.template RENAME COLUMN zns_params TO zbs_params;
-- (no DEFAULT in ADD COLUMN: a stored "missing value" would differ from a
-- fresh install's catalog)
ALTER TABLE zalo_tthc.template ADD COLUMN by_phone boolean;
ALTER TABLE zalo_tthc.template RENAME CONSTRAINT template_zns_params_check TO template_zbs_params_check;

-- A row an operator edited keeps its template and is sent by phone as
-- before: only if it had one.  Rows still as 0.2.0 shipped them take the
-- 1.0.0 templates.
UPDATE zalo_tthc.template SET by_phone = zbs_template_id IS NOT NULL;
ALTER TABLE zalo_tthc.template ALTER COLUMN by_phone SET DEFAULT true, ALTER COLUMN by_phone SET NOT NULL;
UPDATE zalo_tthc.template t
SET zbs_template_id = v.new_id, zbs_params = v.new_params::jsonb, by_phone = v.by_phone
FROM (VALUES
	('submitted', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('received', 'zns_tthc_received', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{ngay_hen_tra}}"}', 'tthc_received', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","ngay_hen_tra":"{{ngay_hen_tra}}"}', true),
	('rejected', 'zns_tthc_status', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}"}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', true),
	('assigned', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('appraising', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('supplement_requested', 'zns_tthc_supplement', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{han_bo_sung}}"}', 'tthc_supplement', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","han_bo_sung":"{{han_bo_sung}}"}', true),
	('supplement_submitted', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('payment_requested', 'zns_tthc_payment', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","amount":"{{so_tien}}"}', 'tthc_payment', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","so_tien":"{{so_tien}}"}', true),
	('withdrawal_requested', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('signing', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('overdue_apology', 'zns_tthc_apology', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{ngay_hen_tra}}"}', 'tthc_apology', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","ngay_hen_tra":"{{ngay_hen_tra}}"}', true),
	('result_ready', 'zns_tthc_result', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}","date":"{{ngay_co_ket_qua}}"}', 'tthc_result', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","trang_thai":"{{trang_thai}}","ngay_co_ket_qua":"{{ngay_co_ket_qua}}"}', true),
	('result_returned', NULL, '{}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', false),
	('returned', 'zns_tthc_status', '{"customer_name":"{{ho_ten}}","dossier_code":"{{ma_ho_so}}","status":"{{trang_thai}}"}', 'tthc_status', '{"ho_ten":"{{ho_ten}}","ma_ho_so":"{{ma_ho_so}}","ten_thu_tuc":"{{ten_thu_tuc}}","trang_thai":"{{trang_thai}}"}', true)) v (stage, old_id, old_params, new_id, new_params, by_phone)
WHERE t.stage = v.stage::zalo_tthc.stage
  AND t.zbs_template_id IS NOT DISTINCT FROM v.old_id AND t.zbs_params = v.old_params::jsonb;

COMMENT ON TABLE zalo_tthc.template IS
	'Mẫu tin nhắn: the approved ZBS template that carries each stage, to a follower by user id and by phone, with the values of its parameters.  Placeholders such as {{ma_ho_so}} are filled from the dossier and its event when the message is sent.  header, body, table_rows, buttons and status_style make the older OA transaction message, sent only with zalo_tthc.follower_message = transaction.';
COMMENT ON COLUMN zalo_tthc.template.stage IS 'Giai đoạn.';
COMMENT ON COLUMN zalo_tthc.template.header IS 'Tiêu đề tin (header element of the transaction message).';
COMMENT ON COLUMN zalo_tthc.template.body IS 'Nội dung tin (text element of the transaction message; <br> for line breaks).';
COMMENT ON COLUMN zalo_tthc.template.table_rows IS 'Bảng thông tin of the transaction message: array of {"key","value"}; the identifying "Mã hồ sơ" row is always added first.';
COMMENT ON COLUMN zalo_tthc.template.buttons IS 'Nút bấm of the transaction message (at most 4): array of {"title","type","payload"}.';
COMMENT ON COLUMN zalo_tthc.template.status_style IS 'Màu của dòng "Trạng thái" in the transaction message: green, blue, yellow, red or grey.';
COMMENT ON COLUMN zalo_tthc.template.zbs_template_id IS 'Mã mẫu ZBS đã duyệt: the Zalo template id that carries this stage, by user id and by phone; one template may serve several stages.  NULL = the stage is not sent.';
COMMENT ON COLUMN zalo_tthc.template.zbs_params IS 'Tham số mẫu ZBS: object mapping each parameter registered with the template to a text with placeholders, e.g. {"ma_ho_so": "{{ma_ho_so}}"}.  Each value is cut to the parameter''s maximum length as Zalo reports it (30 characters until known).';
COMMENT ON COLUMN zalo_tthc.template.updated_at IS 'Thời điểm cập nhật.';
COMMENT ON COLUMN zalo_tthc.template.by_phone IS 'Gửi qua số điện thoại: send this stage by phone (paid per message) when no follower can get it.  Off for the intermediate stages by default.';
-- the delivery worker keeps a copy of the templates: a restore, which
-- runs as a replica, must tell it too
ALTER TABLE zalo_tthc.template ENABLE ALWAYS TRIGGER template_changed;

CREATE TABLE zalo_tthc.zbs_template (
	template_id	text PRIMARY KEY,
	status		text CHECK (status IN ('ENABLE', 'PENDING_REVIEW', 'REJECT', 'DISABLE', 'UNKNOWN')),
	name		text,
	params		jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(params) = 'array'),
	price_uid	numeric,
	price_phone	numeric,
	problem		text,
	checked_at	timestamptz,
	status_changed_at timestamptz
);
COMMENT ON TABLE zalo_tthc.zbs_template IS
	'Trạng thái mẫu ZBS: what Zalo reports of each template that template.zbs_template_id names, read by the delivery worker at start, every zalo_tthc.template_check_interval and when a change_template_status webhook arrives.  A stage whose template is not ENABLE holds its notifications (they wait; other stages keep going).';
COMMENT ON COLUMN zalo_tthc.zbs_template.template_id IS 'The template id, as in template.zbs_template_id.';
COMMENT ON COLUMN zalo_tthc.zbs_template.status IS 'ENABLE (approved, sendable), PENDING_REVIEW, REJECT, DISABLE, or UNKNOWN (Zalo knows no template with this id); NULL = not read yet.';
COMMENT ON COLUMN zalo_tthc.zbs_template.name IS 'The template''s name at Zalo.';
COMMENT ON COLUMN zalo_tthc.zbs_template.params IS 'The template''s parameters as Zalo lists them: array of {"name","type","max_length","require"}; values are cut to max_length.';
COMMENT ON COLUMN zalo_tthc.zbs_template.price_uid IS 'Price of one message by user id (VND), as Zalo reports it.';
COMMENT ON COLUMN zalo_tthc.zbs_template.price_phone IS 'Price of one message by phone (VND), as Zalo reports it.';
COMMENT ON COLUMN zalo_tthc.zbs_template.problem IS 'Why the template''s stages are held, or why the last read failed; NULL when all is well.';
COMMENT ON COLUMN zalo_tthc.zbs_template.checked_at IS 'When Zalo last answered about this template; NULL = to be read again soon.';
COMMENT ON COLUMN zalo_tthc.zbs_template.status_changed_at IS 'When the status last changed (a read or a webhook).';

REVOKE ALL ON zalo_tthc.zbs_template FROM PUBLIC;
GRANT SELECT ON zalo_tthc.zbs_template TO zalo_tthc_operator;
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.zbs_template', '');

COMMENT ON COLUMN zalo_tthc.delivery_attempt.endpoint IS 'API được gọi: template (ZBS by user id), zns (ZBS by phone), zns_hashphone, transaction (legacy), cs, upload_file, quota (the interaction check of a receipt file), or none when the worker decided without a call.';

CREATE FUNCTION zalo_tthc.channel_status(
	OUT channel text, OUT held_until timestamptz, OUT hold_reason text,
	OUT quota_type text, OUT quota_remaining bigint, OUT quota_daily bigint, OUT quota_at timestamptz)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'zt_channel_status';
COMMENT ON FUNCTION zalo_tthc.channel_status() IS
	'The two ways a ZBS template goes out (user_id: to a follower; phone: by phone), from shared memory: until when an account problem (no balance, OA blocked) holds its notices and why, and the quota Zalo''s latest answer reported (quota_type, remaining, daily; NULL until known).';
REVOKE ALL ON FUNCTION zalo_tthc.channel_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.channel_status() TO zalo_tthc_operator;

-- ---------------------------------------------------------------------
-- Attaching the province's own one-stop tables (sql/attach.sql)
-- ---------------------------------------------------------------------

ALTER TABLE zalo_tthc.dossier ADD COLUMN source regclass;
COMMENT ON COLUMN zalo_tthc.dossier.source IS 'Bảng nguồn: the application table an attached dossier is copied from (attach()); NULL for a dossier written here.';
CREATE INDEX dossier_source_idx ON zalo_tthc.dossier (source) WHERE source IS NOT NULL;

-- an attached dossier keeps the CCCD/CMND only as lookups need it
ALTER TABLE zalo_tthc.dossier ADD COLUMN applicant_id_key bytea,
	ADD COLUMN applicant_id_last4 text CHECK (applicant_id_last4 ~ '^[0-9]{4}$');
COMMENT ON COLUMN zalo_tthc.dossier.applicant_id_key IS 'For an attached dossier, the CCCD/CMND as lookups need it: lookup_key_hash() of the number, which is not copied (applicant_id_number is NULL).';
COMMENT ON COLUMN zalo_tthc.dossier.applicant_id_last4 IS 'For an attached dossier, the last 4 digits of the CCCD/CMND: the second factor of a name lookup.';
CREATE INDEX dossier_applicant_id_key_idx ON zalo_tthc.dossier (applicant_id_key) WHERE applicant_id_key IS NOT NULL;
-- stage changes keep the dossier row on its page (HOT): rows written from
-- now on leave room for that
ALTER TABLE zalo_tthc.dossier SET (fillfactor = 85);

-- the receipt slip without planning notification_values() at each call
CREATE OR REPLACE FUNCTION zalo_tthc.take_receipt_snapshot(d zalo_tthc.dossier)
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

CREATE OR REPLACE FUNCTION zalo_tthc.lookup_by_id_number(id_number text)
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


CREATE OR REPLACE FUNCTION zalo_tthc.lookup_by_name(name text, second_factor text DEFAULT NULL)
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


CREATE OR REPLACE FUNCTION zalo_tthc.chat_answer(query text, zalo_user_id text)
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
			  WHERE (ds.applicant_id_number = digits OR ds.applicant_id_key = zalo_tthc.lookup_key_hash(digits))
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


CREATE OR REPLACE FUNCTION zalo_tthc.metrics()
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
		(9, 'zalo_tthc_worker_loop_turns_total', 'counter', 'Times the worker woke and looked at its work.'),
		(10, 'zalo_tthc_channel_held', 'gauge', 'Whether an account problem (no balance, OA blocked) holds the notices of a channel (user_id or phone).'),
		(11, 'zalo_tthc_quota_remaining', 'gauge', 'Messages left in the quota Zalo last reported for a channel.'),
		(12, 'zalo_tthc_quota_daily', 'gauge', 'The daily quota Zalo last reported for a channel.'),
		(13, 'zalo_tthc_template_enabled', 'gauge', 'Whether Zalo reports a ZBS template as ENABLE (1) or not (0: its stages are held); by template and status.'),
		(14, 'zalo_tthc_template_price_vnd', 'gauge', 'Price of one message of a ZBS template, by user id or by phone, as Zalo reports it.'),
		(15, 'zalo_tthc_attachment_problems_total', 'counter', 'Values of an attached application table that zalo_tthc could not map or validate (attachment_problem), by table.')),
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
		SELECT 9, 0, format('zalo_tthc_worker_loop_turns_total %s', w.loop_turns) FROM w
		UNION ALL
		SELECT 10, 0, format('zalo_tthc_channel_held{channel="%s"} %s', c.channel,
						  (coalesce(c.held_until > now(), false))::int)
		FROM zalo_tthc.channel_status() c
		UNION ALL
		SELECT 11, 0, format('zalo_tthc_quota_remaining{channel="%s",quota_type="%s"} %s', c.channel,
						  coalesce(c.quota_type, ''), c.quota_remaining)
		FROM zalo_tthc.channel_status() c WHERE c.quota_remaining IS NOT NULL
		UNION ALL
		SELECT 12, 0, format('zalo_tthc_quota_daily{channel="%s"} %s', c.channel, c.quota_daily)
		FROM zalo_tthc.channel_status() c WHERE c.quota_daily IS NOT NULL
		UNION ALL
		SELECT 13, 0, format('zalo_tthc_template_enabled{template_id="%s",status="%s"} %s', z.template_id,
						  coalesce(z.status, 'unread'), (z.status = 'ENABLE' AND z.problem IS NULL)::int)
		FROM zalo_tthc.zbs_template z WHERE z.status IS NOT NULL OR z.problem IS NOT NULL
		UNION ALL
		SELECT 14, 0, format('zalo_tthc_template_price_vnd{template_id="%s",channel="%s"} %s', z.template_id,
						  p.channel, p.price)
		FROM zalo_tthc.zbs_template z
		CROSS JOIN LATERAL (VALUES ('user_id', z.price_uid), ('phone', z.price_phone)) p (channel, price)
		WHERE p.price IS NOT NULL
		UNION ALL
		SELECT 15, 0, format('zalo_tthc_attachment_problems_total{source="%s"} %s', pr.source, count(*))
		FROM zalo_tthc.attachment_problem pr GROUP BY pr.source)
	SELECT string_agg(block, '') FROM (
		SELECT f.n, format(E'# HELP %s %s\n# TYPE %s %s\n', f.name, f.help, f.name, f.type)
			   || coalesce((SELECT string_agg(s.sample || E'\n', '' ORDER BY s.k, s.sample) FROM samples s
							WHERE s.n = f.n), '') AS block
		FROM families f
		ORDER BY f.n) b
$$;
COMMENT ON FUNCTION zalo_tthc.metrics() IS
	'Prometheus text exposition (version 0.0.4) of the queue, the outcome totals, the request latency histogram, the token expiry, the worker, the channels'' holds and quotas, the ZBS templates'' status and prices, and the problems of attached tables; see monitoring/postgres_exporter/queries.yaml for the same through postgres_exporter.';

CREATE FUNCTION zalo_tthc.templates_changed()
RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'zt_templates_changed';
COMMENT ON FUNCTION zalo_tthc.templates_changed() IS
	'Tell the delivery worker to read the ZBS templates from Zalo again (after a change_template_status webhook).';
REVOKE ALL ON FUNCTION zalo_tthc.templates_changed() FROM PUBLIC;

-- Zalo's own words of the event: {"template_id", "status": {"prev_status",
-- "new_status"}, "reason"}; a flat "new_status" or "status" is read too.
CREATE FUNCTION zalo_tthc.webhook_on_template_status(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tid text := payload->>'template_id';
	new_status text := upper(coalesce(payload#>>'{status,new_status}', payload->>'new_status',
									  CASE WHEN jsonb_typeof(payload->'status') = 'string'
										   THEN payload->>'status' END));
BEGIN
	IF tid IS NULL OR new_status IS NULL OR new_status NOT IN ('ENABLE', 'PENDING_REVIEW', 'REJECT', 'DISABLE') THEN
		RETURN jsonb_build_object('action', 'recorded', 'reason', 'no template id or no known status');
	END IF;
	INSERT INTO zalo_tthc.zbs_template AS z (template_id, status, problem, checked_at, status_changed_at)
	VALUES (tid, new_status,
			CASE WHEN new_status <> 'ENABLE'
				 THEN format('Zalo says template %s is %s (%s)', tid, new_status,
							 coalesce(payload->>'reason', 'no reason given')) END,
			NULL, now())
	ON CONFLICT (template_id) DO UPDATE
	SET status = excluded.status, problem = excluded.problem, checked_at = NULL,
		status_changed_at = CASE WHEN z.status IS DISTINCT FROM excluded.status
								 THEN now() ELSE z.status_changed_at END;
	PERFORM zalo_tthc.templates_changed();
	IF new_status <> 'ENABLE' THEN
		RAISE WARNING 'zalo_tthc: Zalo says ZBS template % is now %; the stages that use it are held', tid, new_status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Fix the template at Zalo, or point those stages at an approved template in zalo_tthc.template.';
	END IF;
	RETURN jsonb_build_object('action', 'template_status_changed', 'template_id', tid, 'status', new_status);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_template_status(jsonb) IS
	'change_template_status: record the template''s new status in zbs_template (a status other than ENABLE holds its stages), warn, and have the worker read the template again.';

CREATE FUNCTION zalo_tthc.webhook_on_daily_quota(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	quota text := coalesce(payload#>>'{quota,new_value}', payload#>>'{quota,new_quota}',
						   payload->>'new_quota', payload->>'daily_quota');
BEGIN
	RAISE WARNING 'zalo_tthc: Zalo changed the Official Account''s daily quota of template messages to %',
		coalesce(quota, 'a value the event does not give')
		USING ERRCODE = 'object_not_in_prerequisite_state',
			  HINT = 'zalo_tthc.metrics() shows the quota each send reports (zalo_tthc_quota_remaining).';
	RETURN jsonb_build_object('action', 'daily_quota_changed', 'daily_quota', quota);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_daily_quota(jsonb) IS
	'change_oa_daily_quota: warn operators of the Official Account''s new daily quota of template messages.';

REVOKE ALL ON FUNCTION zalo_tthc.webhook_on_template_status(jsonb), zalo_tthc.webhook_on_daily_quota(jsonb)
	FROM PUBLIC;

CREATE OR REPLACE FUNCTION zalo_tthc.handle_webhook(body bytea, signature text)
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
		WHEN 'other' THEN CASE ev->>'event'
			WHEN 'change_template_status'
				THEN zalo_tthc.webhook_on_template_status(convert_from(body, 'UTF8')::jsonb)
			WHEN 'change_oa_daily_quota'
				THEN zalo_tthc.webhook_on_daily_quota(convert_from(body, 'UTF8')::jsonb)
			ELSE jsonb_build_object('action', 'recorded') END
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
