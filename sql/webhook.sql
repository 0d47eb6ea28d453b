-- Zalo webhooks (Zalo → the portal → handle_webhook)
--
-- handle_webhook(body, signature) verifies X-ZEvent-Signature in C
-- (src/webhook_core.c) before anything of the body is read, remembers the
-- event to ignore replays, and acts on it: follow (welcome message, phone
-- request), unfollow, user_submit_info (phone link), user_send_text (chat
-- lookup), and the delivery and seen receipts of OA and ZNS messages.
-- Chat messages go through zalo_tthc.outbox like stage notifications, as
-- rows without a dossier whose payload is the message body.

-- ---------------------------------------------------------------------
-- Chat texts (mẫu tin nhắn tư vấn)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.chat_template (
	kind		text PRIMARY KEY CHECK (kind IN ('welcome', 'request_user_info', 'help', 'not_found',
												 'id_needs_phone', 'id_not_found', 'id_list')),
	title		text CHECK (length(title) <= 100),
	body		text NOT NULL CHECK (length(body) <= 1000),
	image_url	text CHECK (image_url ~ '^https?://'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.chat_template IS
	'Mẫu tin nhắn tư vấn: the texts of the chat messages the webhook sends (welcome on follow, the phone request, lookup answers and help). Operators may edit them; {{placeholders}} are listed per row in zalo_tthc.chat_template.body''s comment.';
COMMENT ON COLUMN zalo_tthc.chat_template.kind IS 'Loại: welcome, request_user_info, help, not_found, id_needs_phone, id_not_found, id_list.';
COMMENT ON COLUMN zalo_tthc.chat_template.title IS 'Tiêu đề (request_user_info: the title of the request card).';
COMMENT ON COLUMN zalo_tthc.chat_template.body IS 'Nội dung: the text (request_user_info: the subtitle). Placeholders: {{ma_ho_so}} (not_found), {{so_giay_to}} (id_not_found, id_list: the masked CCCD/CMND).';
COMMENT ON COLUMN zalo_tthc.chat_template.image_url IS 'Ảnh (request_user_info: the image of the request card).';
COMMENT ON COLUMN zalo_tthc.chat_template.updated_at IS 'Thời điểm cập nhật.';

INSERT INTO zalo_tthc.chat_template (kind, title, body, image_url)
VALUES
	('welcome', NULL,
	 'Chào mừng ông/bà đã đến với Chính quyền số tỉnh Tuyên Quang; thông tin về dịch vụ công sẽ được gửi tới tài khoản Zalo này thay thế cho tin nhắn SMS. Để tra cứu hồ sơ, vui lòng nhắn: TTHC <số hồ sơ>.',
	 NULL),
	('request_user_info', 'Chính quyền số tỉnh Tuyên Quang',
	 'Vui lòng chia sẻ số điện thoại đã dùng khi nộp hồ sơ để nhận thông báo về hồ sơ qua Zalo',
	 'https://dichvucong.gov.vn/p/home/images/logo-dvc.png'),
	('help', NULL,
	 'Để tra cứu hồ sơ, vui lòng nhắn: TTHC <số hồ sơ>, ví dụ: TTHC 000.00.04.H60-230215-0028. Số hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.',
	 NULL),
	('not_found', NULL,
	 'Không tìm thấy hồ sơ số {{ma_ho_so}}. Vui lòng kiểm tra lại số hồ sơ trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.',
	 NULL),
	('id_needs_phone', NULL,
	 'Để tra cứu theo số CCCD/CMND, ông/bà cần chia sẻ với Zalo OA này số điện thoại đã dùng khi nộp hồ sơ. Hoặc nhắn: TTHC <số hồ sơ>.',
	 NULL),
	('id_not_found', NULL,
	 'Không có hồ sơ nào của số giấy tờ {{so_giay_to}} gắn với số điện thoại ông/bà đã chia sẻ.',
	 NULL),
	('id_list', NULL, 'Các hồ sơ của số giấy tờ {{so_giay_to}}:', NULL);

CREATE TRIGGER chat_template_merge_row
	BEFORE INSERT ON zalo_tthc.chat_template
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.merge_config_row('kind');
-- (also while a restore runs as a replica)
ALTER TABLE zalo_tthc.chat_template ENABLE ALWAYS TRIGGER chat_template_merge_row;

-- ---------------------------------------------------------------------
-- Handled events (replay protection)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.webhook_event (
	dedupe_key	bytea PRIMARY KEY CHECK (octet_length(dedupe_key) = 32),
	event_name	text NOT NULL,
	zalo_user_id text,
	occurred_at	timestamptz NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	action		text
);
COMMENT ON TABLE zalo_tthc.webhook_event IS
	'Sự kiện webhook đã xử lý: one row per verified Zalo webhook event, kept zalo_tthc.webhook_replay_retention so that a second delivery of the same event is ignored. Holds no message text and no phone number.';
COMMENT ON COLUMN zalo_tthc.webhook_event.dedupe_key IS 'SHA-256 of the event name and Zalo''s msg_id / tracking_id, or of the raw body for events without one.';
COMMENT ON COLUMN zalo_tthc.webhook_event.event_name IS 'Tên sự kiện (Zalo event_name), also for events zalo_tthc does not act on.';
COMMENT ON COLUMN zalo_tthc.webhook_event.zalo_user_id IS 'Người dùng Zalo của sự kiện, when the event names one.';
COMMENT ON COLUMN zalo_tthc.webhook_event.occurred_at IS 'Thời điểm sự kiện (the signed timestamp).';
COMMENT ON COLUMN zalo_tthc.webhook_event.received_at IS 'Thời điểm nhận.';
COMMENT ON COLUMN zalo_tthc.webhook_event.action IS 'Việc đã làm: the action handle_webhook reported.';

CREATE INDEX webhook_event_received_idx ON zalo_tthc.webhook_event (received_at);

-- ---------------------------------------------------------------------
-- Receipts that arrive before the send's outcome (biên nhận chờ khớp)
--
-- Zalo may report a message delivered or seen before the worker has
-- written its outcome (the message id is only known then).  Such a receipt
-- is kept here and applied by the outbox trigger below when the outcome
-- is written; the replay guard would otherwise make its loss permanent.
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.webhook_pending_receipt (
	kind		text NOT NULL CHECK (kind IN ('delivered', 'seen', 'zns_delivered')),
	match_key	text NOT NULL,
	occurred_at	timestamptz NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (match_key, kind)
);
COMMENT ON TABLE zalo_tthc.webhook_pending_receipt IS
	'Biên nhận chờ khớp: delivery and seen receipts that matched no sent message yet, applied when the worker records the outcome with that message id (or ZNS tracking id); forgotten after zalo_tthc.webhook_replay_retention (receipts of messages the OA sent by other means never match).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.kind IS 'Loại: delivered (user_received_message), seen (user_seen_message), zns_delivered (ZNS user_received_message).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.match_key IS 'Khóa khớp: Zalo''s msg_id (= outbox.provider_msg_id), or for zns_delivered the tracking_id (= outbox.idempotency_key).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.occurred_at IS 'Thời điểm nhận/xem tin (Zalo''s delivery_time, else the signed timestamp).';
COMMENT ON COLUMN zalo_tthc.webhook_pending_receipt.received_at IS 'Thời điểm nhận webhook.';

CREATE INDEX webhook_pending_receipt_received_idx ON zalo_tthc.webhook_pending_receipt (received_at);

-- ---------------------------------------------------------------------
-- Verification (C)
-- ---------------------------------------------------------------------

-- The signature covers the bytes Zalo sent, so the body is bytea: a text
-- argument would have been converted from the client encoding already.
CREATE FUNCTION zalo_tthc.webhook_verify(body bytea, signature text)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'zt_webhook_verify';
COMMENT ON FUNCTION zalo_tthc.webhook_verify(bytea, text) IS
	'Verify one Zalo webhook delivery (X-ZEvent-Signature over the raw body bytes, time window) and parse it; no state change. Internal to handle_webhook.';
REVOKE ALL ON FUNCTION zalo_tthc.webhook_verify(bytea, text) FROM PUBLIC;

CREATE FUNCTION zalo_tthc.verify_webhook_signature(body bytea, signature text)
RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'zt_verify_webhook_signature';
COMMENT ON FUNCTION zalo_tthc.verify_webhook_signature(bytea, text) IS
	'True when signature is the X-ZEvent-Signature of body, the raw bytes (SHA-256 of app id, body, its timestamp and the OA secret key); the check alone, without time window or parsing. Owner only.';
REVOKE ALL ON FUNCTION zalo_tthc.verify_webhook_signature(bytea, text) FROM PUBLIC;

CREATE FUNCTION zalo_tthc.verify_webhook_signature(body text, signature text)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT zalo_tthc.verify_webhook_signature(convert_to(body, 'UTF8'), signature)
$$;
COMMENT ON FUNCTION zalo_tthc.verify_webhook_signature(text, text) IS
	'verify_webhook_signature of the UTF-8 bytes of body (right only when the session''s client_encoding is UTF8). Owner only.';
REVOKE ALL ON FUNCTION zalo_tthc.verify_webhook_signature(text, text) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Chat lookup (tra cứu qua tin nhắn)
-- ---------------------------------------------------------------------

-- masks: zalo_tthc.mask_name() and friends (lookup.sql)

CREATE FUNCTION zalo_tthc.chat_template_text(kind text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT body FROM zalo_tthc.chat_template WHERE chat_template.kind = chat_template_text.kind
$$;
COMMENT ON FUNCTION zalo_tthc.chat_template_text(text) IS
	'The body of one zalo_tthc.chat_template row.';

-- A lookup by chat is audited like one from the portal (kind code or
-- id_number, the key hashed), refusals included: the audit is for
-- spotting someone who tries many numbers, whatever the way in.
CREATE FUNCTION zalo_tthc.chat_answer(query text, zalo_user_id text)
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

-- ---------------------------------------------------------------------
-- Event handlers (internal to handle_webhook)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.cs_text_message(user_id text, message_text text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object('recipient', jsonb_build_object('user_id', user_id),
							  'message', jsonb_build_object('text', message_text))
$$;
COMMENT ON FUNCTION zalo_tthc.cs_text_message(text, text) IS
	'The body of a cs text message to a Zalo user.';

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

CREATE FUNCTION zalo_tthc.webhook_on_follow(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid text := ev->>'user_id';
	occurred timestamptz := to_timestamp((ev->>'timestamp_ms')::bigint / 1000.0);
	rec record;
	queued text[] := '{}';
	t record;
BEGIN
	INSERT INTO zalo_tthc.recipient AS r (zalo_user_id, followed, followed_at)
	VALUES (uid, true, occurred)
	ON CONFLICT (zalo_user_id) DO UPDATE
		SET followed = true, followed_at = excluded.followed_at, updated_at = now()
		WHERE r.unfollowed_at IS NULL OR r.unfollowed_at <= excluded.followed_at
	RETURNING r.id, r.phone, (r.xmax = 0) AS created INTO rec;
	IF NOT FOUND THEN
		RETURN jsonb_build_object('action', 'ignored_out_of_order',
								  'detail', 'an unfollow later than this follow was handled already');
	END IF;

	IF zalo_tthc.enqueue_chat_message(rec.id, 'welcome', format('welcome-%s-%s', rec.id, ev->>'timestamp_ms'),
			zalo_tthc.cs_text_message(uid, zalo_tthc.chat_template_text('welcome'))) THEN
		queued := queued || 'welcome'::text;
	END IF;
	IF rec.phone IS NULL THEN
		SELECT title, body, image_url INTO t FROM zalo_tthc.chat_template WHERE kind = 'request_user_info';
		IF zalo_tthc.enqueue_chat_message(rec.id, 'request_user_info',
				format('request-info-%s-%s', rec.id, ev->>'timestamp_ms'),
				jsonb_build_object('recipient', jsonb_build_object('user_id', uid),
					'message', jsonb_build_object('attachment', jsonb_build_object(
						'type', 'template',
						'payload', jsonb_build_object(
							'template_type', 'request_user_info',
							'elements', jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
								'title', t.title, 'subtitle', t.body, 'image_url', t.image_url)))))))) THEN
			queued := queued || 'request_user_info'::text;
		END IF;
	END IF;
	RETURN jsonb_build_object('action', CASE WHEN rec.created THEN 'recipient_created' ELSE 'recipient_followed' END,
							  'queued', to_jsonb(queued), 'phone_known', rec.phone IS NOT NULL);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_follow(jsonb) IS
	'follow: create or revive the recipient, queue the welcome message and, when no phone is known, the request for it.';

CREATE FUNCTION zalo_tthc.webhook_on_unfollow(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	occurred timestamptz := to_timestamp((ev->>'timestamp_ms')::bigint / 1000.0);
BEGIN
	UPDATE zalo_tthc.recipient
	SET followed = false, unfollowed_at = occurred, updated_at = now()
	WHERE zalo_user_id = ev->>'user_id' AND (followed_at IS NULL OR followed_at <= occurred);
	IF FOUND THEN
		RETURN jsonb_build_object('action', 'recipient_unfollowed');
	ELSIF EXISTS (SELECT FROM zalo_tthc.recipient WHERE zalo_user_id = ev->>'user_id') THEN
		RETURN jsonb_build_object('action', 'ignored_out_of_order',
								  'detail', 'a follow later than this unfollow was handled already');
	END IF;
	RETURN jsonb_build_object('action', 'unknown_recipient');
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_unfollow(jsonb) IS
	'unfollow: mark the recipient; later notifications go by ZNS or end undeliverable, and queued OA messages are not sent.';

CREATE FUNCTION zalo_tthc.webhook_on_submit_info(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	uid text := ev->>'user_id';
	new_phone text := ev->>'phone';
	moved bigint;
	open_dossiers bigint;
BEGIN
	IF NOT (ev ? 'phone_valid') THEN
		RETURN jsonb_build_object('action', 'no_phone');
	ELSIF NOT (ev->>'phone_valid')::boolean THEN
		RETURN jsonb_build_object('action', 'invalid_phone',
								  'detail', 'info.phone is not a Vietnamese mobile number');
	END IF;

	-- one phone, one Zalo link: the latest to share it gets the notifications
	UPDATE zalo_tthc.recipient r SET phone = NULL, updated_at = now()
	WHERE r.phone = new_phone AND r.zalo_user_id <> uid;
	GET DIAGNOSTICS moved = ROW_COUNT;

	INSERT INTO zalo_tthc.recipient AS r (zalo_user_id, phone, display_name, followed)
	VALUES (uid, new_phone, ev->>'name', true)
	ON CONFLICT (zalo_user_id) DO UPDATE
		SET phone = excluded.phone, display_name = coalesce(excluded.display_name, r.display_name),
			updated_at = now();

	-- the dossiers whose next notifications now go to this follower
	SELECT count(*) INTO open_dossiers
	FROM zalo_tthc.dossier d JOIN zalo_tthc.stage_info s ON s.stage = d.stage
	WHERE d.applicant_phone = new_phone AND NOT s.is_final;

	RETURN jsonb_build_object('action', 'phone_linked', 'open_dossiers', open_dossiers,
							  'unlinked_from_others', moved);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_submit_info(jsonb) IS
	'user_submit_info: link the normalised phone to the recipient (and unlink it from any other), so the next stage notifications of the dossiers with that phone go to Zalo.';

CREATE FUNCTION zalo_tthc.webhook_on_send_text(ev jsonb)
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

CREATE FUNCTION zalo_tthc.webhook_on_receipt(ev jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	occurred timestamptz := to_timestamp(coalesce((ev->>'delivery_time_ms')::bigint,
											(ev->>'timestamp_ms')::bigint) / 1000.0);
	ev_kind text := ev->>'kind';
	zns_id bigint;
	zns_status zalo_tthc.delivery_status;
	matched text[];
	n bigint;
	pending bigint := 0;
BEGIN
	IF ev_kind = 'user_seen_message' THEN
		WITH u AS (
			UPDATE zalo_tthc.outbox
			SET status = CASE WHEN status = 'sending' THEN status ELSE 'seen' END,
				seen_at = coalesce(seen_at, occurred), delivered_at = coalesce(delivered_at, occurred)
			WHERE provider_msg_id IN (SELECT jsonb_array_elements_text(ev->'msg_ids'))
			  AND status IN ('sending', 'sent', 'delivered', 'seen')
			RETURNING provider_msg_id)
		SELECT count(*), array_agg(provider_msg_id) INTO n, matched FROM u;
		-- the ids of messages whose outcome is not written yet wait for it
		INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
		SELECT DISTINCT 'seen', id, occurred
		FROM jsonb_array_elements_text(ev->'msg_ids') AS id
		WHERE id <> ALL (coalesce(matched, '{}'))
		ON CONFLICT DO NOTHING;
		GET DIAGNOSTICS pending = ROW_COUNT;
	ELSIF ev_kind = 'zns_delivered' THEN
		SELECT o.id, o.status INTO zns_id, zns_status
		FROM zalo_tthc.outbox o
		WHERE o.idempotency_key = ev->>'tracking_id' AND o.channel = 'zns' AND o.kind = 'stage'
		  AND o.event_id = (SELECT e.id
							FROM regexp_match(ev->>'tracking_id', '^([0-9]{1,18})-([0-9]{1,9})-zns$') AS k,
								 zalo_tthc.dossier_event e
							WHERE e.dossier_id = k[1]::bigint AND e.seq = k[2]::integer);
		IF zns_status IN ('sent', 'delivered', 'seen') THEN
			UPDATE zalo_tthc.outbox
			SET status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END,
				delivered_at = coalesce(delivered_at, occurred)
			WHERE id = zns_id;
		ELSIF zns_status IN ('pending', 'sending', 'failed') THEN
			-- ours, its outcome not written yet: applied when it is
			INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
			VALUES ('zns_delivered', ev->>'tracking_id', occurred)
			ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS pending = ROW_COUNT;
		END IF;
		n := CASE WHEN zns_status IN ('sent', 'delivered', 'seen') THEN 1 ELSE 0 END;
	ELSE
		UPDATE zalo_tthc.outbox
		SET status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END,
			delivered_at = coalesce(delivered_at, occurred)
		WHERE provider_msg_id = ev->>'msg_id' AND status IN ('sending', 'sent', 'delivered', 'seen');
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n = 0 THEN
			INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
			VALUES ('delivered', ev->>'msg_id', occurred)
			ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS pending = ROW_COUNT;
		END IF;
	END IF;
	RETURN jsonb_build_object('action', CASE WHEN ev_kind = 'user_seen_message' THEN 'marked_seen'
										 ELSE 'marked_delivered' END,
							  'messages', n, 'pending', pending);
END
$$;
COMMENT ON FUNCTION zalo_tthc.webhook_on_receipt(jsonb) IS
	'user_received_message (msg_id), its ZNS form (tracking_id = outbox.idempotency_key) and user_seen_message (msg_ids[]): mark the outbox rows delivered or seen with the time; a seen message is never set back to delivered. A receipt for a message whose outcome is not written yet is kept in webhook_pending_receipt ("pending" counts them) and applied by apply_pending_receipts.';

-- Runs once per UPDATE of the outbox (the worker writes a batch of outcomes
-- in one), and then costs one probe of a table that is nearly always
-- empty: a receipt that waits for its outcome is rare.
CREATE FUNCTION zalo_tthc.apply_pending_receipts()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (this function's own UPDATE below writes no 'sent' row: it stops here)
	IF NOT EXISTS (SELECT FROM zalo_tthc.webhook_pending_receipt)
	   OR NOT EXISTS (SELECT FROM new_rows WHERE status = 'sent') THEN
		RETURN NULL;
	END IF;
	WITH s AS (
		SELECT n.id, n.provider_msg_id, n.idempotency_key, n.channel
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.status = 'sent' AND o.status IS DISTINCT FROM n.status),
	p AS (
		DELETE FROM zalo_tthc.webhook_pending_receipt r
		USING s
		WHERE (r.match_key = s.provider_msg_id AND r.kind IN ('delivered', 'seen'))
		   OR (r.match_key = s.idempotency_key AND r.kind = 'zns_delivered' AND s.channel = 'zns')
		RETURNING s.id, r.kind, r.occurred_at),
	a AS (
		SELECT id, bool_or(kind = 'seen') AS seen, min(occurred_at) AS delivered_at,
			   min(occurred_at) FILTER (WHERE kind = 'seen') AS seen_at
		FROM p GROUP BY id)
	UPDATE zalo_tthc.outbox o
	SET status = CASE WHEN a.seen THEN 'seen' ELSE 'delivered' END::zalo_tthc.delivery_status,
		delivered_at = coalesce(o.delivered_at, a.delivered_at),
		seen_at = coalesce(o.seen_at, a.seen_at)
	FROM a
	WHERE o.id = a.id AND o.status = 'sent';
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.apply_pending_receipts() IS
	'Trigger of outbox: when notifications are recorded as sent, apply the receipts that arrived for them before (webhook_pending_receipt, by provider_msg_id or the ZNS tracking id) and forget them.';

CREATE TRIGGER outbox_apply_pending_receipts
	AFTER UPDATE ON zalo_tthc.outbox
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT
	EXECUTE FUNCTION zalo_tthc.apply_pending_receipts();

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

-- ---------------------------------------------------------------------
-- The entry point for the portal
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.handle_webhook(body bytea, signature text)
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
REVOKE ALL ON FUNCTION zalo_tthc.handle_webhook(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.handle_webhook(bytea, text) TO zalo_tthc_portal;

-- For a portal that holds the body as text: its UTF-8 bytes, which are
-- Zalo's only when the session's client_encoding is UTF8.
CREATE FUNCTION zalo_tthc.handle_webhook(body text, signature text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT zalo_tthc.handle_webhook(convert_to(body, 'UTF8'), signature)
$$;
COMMENT ON FUNCTION zalo_tthc.handle_webhook(text, text) IS
	'handle_webhook of the UTF-8 bytes of body. Text is converted from the client encoding before any function sees it, so in a session whose client_encoding is not UTF8 the signature cannot match: pass the raw body as bytea there.';
REVOKE ALL ON FUNCTION zalo_tthc.handle_webhook(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zalo_tthc.handle_webhook(text, text) TO zalo_tthc_portal;

REVOKE ALL ON FUNCTION zalo_tthc.chat_answer(text, text), zalo_tthc.chat_template_text(text),
	zalo_tthc.cs_text_message(text, text), zalo_tthc.cs_reply_message(text, text),
	zalo_tthc.webhook_on_follow(jsonb), zalo_tthc.webhook_on_unfollow(jsonb),
	zalo_tthc.webhook_on_submit_info(jsonb), zalo_tthc.webhook_on_send_text(jsonb),
	zalo_tthc.webhook_on_receipt(jsonb), zalo_tthc.apply_pending_receipts()
	FROM PUBLIC;

-- pg_dump keeps their rows (see stages.sql)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.chat_template', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.webhook_event', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.webhook_pending_receipt', '');
