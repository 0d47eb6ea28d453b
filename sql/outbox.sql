-- The outbox (hàng đợi thông báo): the notifications to deliver, queued by
-- the stage-change trigger in the same transaction as the change and by
-- the webhook for chat messages, then claimed and sent by the delivery
-- worker (src/outbox.c, src/worker.c).  Also the Zalo recipients they go
-- to, the log of delivery attempts, the worker's totals of its outcomes,
-- the values of a notification's {{placeholders}}, and the trigger that
-- wakes the worker at commit.  webhook.sql adds the trigger that applies
-- the receipts that arrived before an outcome was written.

CREATE TYPE zalo_tthc.delivery_status AS ENUM
	('pending', 'sending', 'sent', 'delivered', 'seen', 'failed', 'dead', 'undeliverable');
COMMENT ON TYPE zalo_tthc.delivery_status IS
	'Trạng thái gửi của một thông báo; sent, delivered, seen, dead and undeliverable are final.';
CREATE TYPE zalo_tthc.channel AS ENUM ('zalo_oa', 'zns');
COMMENT ON TYPE zalo_tthc.channel IS
	'Kênh gửi: zalo_oa (tin giao dịch OA tới người quan tâm) or zns (tin ZNS theo số điện thoại).';
CREATE TYPE zalo_tthc.message_kind AS ENUM
	('stage', 'receipt_file', 'welcome', 'request_user_info', 'chat_reply');
COMMENT ON TYPE zalo_tthc.message_kind IS
	'Loại tin: stage (the stage message), receipt_file (the receipt PDF sent after the received message), welcome (lời chào khi quan tâm OA), request_user_info (yêu cầu chia sẻ số điện thoại), chat_reply (trả lời tin nhắn tra cứu).';

-- ---------------------------------------------------------------------
-- Zalo recipients (người dân quan tâm OA)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.recipient (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	zalo_user_id text NOT NULL UNIQUE CHECK (zalo_user_id ~ '^[0-9]{1,19}$'),
	phone		text,
	id_number	text,
	display_name text,
	followed	boolean NOT NULL DEFAULT true,
	followed_at	timestamptz,
	unfollowed_at timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.recipient IS
	'Người nhận Zalo: a citizen''s link to the Official Account, matched to dossiers by phone or CCCD/CMND.';
COMMENT ON COLUMN zalo_tthc.recipient.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.recipient.zalo_user_id IS 'Zalo user_id (OA-scoped, decimal string up to 19 digits).';
COMMENT ON COLUMN zalo_tthc.recipient.phone IS 'Số điện thoại đã liên kết, +84XXXXXXXXX. Personal data.';
COMMENT ON COLUMN zalo_tthc.recipient.id_number IS 'Số CCCD/CMND đã liên kết. Personal data.';
COMMENT ON COLUMN zalo_tthc.recipient.display_name IS 'Tên hiển thị Zalo.';
COMMENT ON COLUMN zalo_tthc.recipient.followed IS 'Đang quan tâm OA.';
COMMENT ON COLUMN zalo_tthc.recipient.followed_at IS 'Thời điểm quan tâm.';
COMMENT ON COLUMN zalo_tthc.recipient.unfollowed_at IS 'Thời điểm bỏ quan tâm.';
COMMENT ON COLUMN zalo_tthc.recipient.created_at IS 'Thời điểm tạo.';
COMMENT ON COLUMN zalo_tthc.recipient.updated_at IS 'Thời điểm cập nhật.';

CREATE INDEX recipient_phone_idx ON zalo_tthc.recipient (phone) WHERE followed;
CREATE INDEX recipient_id_number_idx ON zalo_tthc.recipient (id_number) WHERE followed;

-- Like the links of the dossier tables (dossier.sql), outbox.recipient_id
-- has no foreign key: this statement trigger does what ON DELETE SET NULL
-- would.
CREATE FUNCTION zalo_tthc.recipient_deleted()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
	UPDATE zalo_tthc.outbox o SET recipient_id = NULL
	FROM gone
	WHERE o.recipient_id = gone.id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION zalo_tthc.recipient_deleted() IS
	'Unlink the notifications of deleted recipients.';

CREATE TRIGGER recipient_deleted
	AFTER DELETE ON zalo_tthc.recipient
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.recipient_deleted();

-- ---------------------------------------------------------------------
-- Outbox
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.outbox (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_id	bigint,
	dossier_id	bigint,
	stage		zalo_tthc.stage,
	channel		zalo_tthc.channel NOT NULL,
	kind		zalo_tthc.message_kind NOT NULL DEFAULT 'stage',
	recipient_id bigint,
	idempotency_key text NOT NULL,
	status		zalo_tthc.delivery_status NOT NULL DEFAULT 'pending',
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	lease_until	timestamptz,
	last_error	text,
	last_error_code integer,
	provider_msg_id text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	delivered_at timestamptz,
	seen_at		timestamptz,
	payload		jsonb,
	-- chat messages have no dossier, event or stage; their body is ready
	CONSTRAINT outbox_stage_or_chat CHECK
		(payload IS NOT NULL OR (event_id IS NOT NULL AND dossier_id IS NOT NULL AND stage IS NOT NULL)),
	CONSTRAINT outbox_event_id_channel_kind_key UNIQUE (event_id, channel, kind)
);
COMMENT ON TABLE zalo_tthc.outbox IS
	'Hàng đợi thông báo: one row per notification to deliver, written in the same transaction as the stage change. Final states: sent, delivered, seen, dead, undeliverable.';
COMMENT ON COLUMN zalo_tthc.outbox.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.outbox.event_id IS 'Sự kiện chuyển giai đoạn gây ra thông báo (NULL for a chat message).';
COMMENT ON COLUMN zalo_tthc.outbox.dossier_id IS 'Hồ sơ (NULL for a chat message).';
COMMENT ON COLUMN zalo_tthc.outbox.stage IS 'Giai đoạn được thông báo (NULL for a chat message).';
COMMENT ON COLUMN zalo_tthc.outbox.channel IS 'Kênh gửi: zalo_oa (tin giao dịch OA tới người quan tâm) or zns (tin ZNS theo số điện thoại).';
COMMENT ON COLUMN zalo_tthc.outbox.kind IS 'Loại tin: stage (the stage message) or receipt_file (the receipt PDF sent after the received message).';
COMMENT ON COLUMN zalo_tthc.outbox.recipient_id IS 'Người nhận Zalo đã liên kết (zalo_oa).';
COMMENT ON COLUMN zalo_tthc.outbox.idempotency_key IS
	'Khóa chống gửi trùng: <dossier id>-<stage seq>-<oa|zns|file> for a stage notification (unique with its event, channel and kind), the caller''s key for a chat message (unique among chat messages); also the ZNS tracking_id.';
COMMENT ON COLUMN zalo_tthc.outbox.status IS 'Trạng thái gửi: pending, sending, sent, delivered, seen, failed, dead, undeliverable.';
COMMENT ON COLUMN zalo_tthc.outbox.attempts IS 'Số lần đã gửi.';
COMMENT ON COLUMN zalo_tthc.outbox.next_attempt_at IS 'Thời điểm gửi (lại) tiếp theo.';
COMMENT ON COLUMN zalo_tthc.outbox.lease_until IS 'Hạn giữ của tiến trình gửi: a claim not finished by then returns to the queue.';
COMMENT ON COLUMN zalo_tthc.outbox.last_error IS 'Lỗi gần nhất (or the reason a notification is undeliverable).';
COMMENT ON COLUMN zalo_tthc.outbox.last_error_code IS 'Mã lỗi Zalo gần nhất.';
COMMENT ON COLUMN zalo_tthc.outbox.provider_msg_id IS 'Mã tin Zalo (message_id / msg_id).';
COMMENT ON COLUMN zalo_tthc.outbox.created_at IS 'Thời điểm xếp hàng.';
COMMENT ON COLUMN zalo_tthc.outbox.sent_at IS 'Thời điểm Zalo chấp nhận tin.';
COMMENT ON COLUMN zalo_tthc.outbox.delivered_at IS 'Thời điểm người dân nhận được tin.';
COMMENT ON COLUMN zalo_tthc.outbox.seen_at IS 'Thời điểm người dân đã xem tin.';
COMMENT ON COLUMN zalo_tthc.outbox.payload IS
	'Nội dung tin nhắn tư vấn: the complete /v3.0/oa/message/cs body of a chat message (welcome, request_user_info, chat_reply); NULL for stage notifications, which are rendered from zalo_tthc.template when sent.';

-- A stage change has at most one notification per channel and kind: that
-- is the key that stops a replay or a second fallback from notifying a
-- citizen twice.  The idempotency key text is derived from it
-- (<dossier id>-<stage seq>-<oa|zns|file>), so a unique index on the text
-- as well would be a second, random-order index entry for every stage
-- change.  The key on (event_id, channel, kind) grows at its right end and
-- also serves the readers of a stage event's notifications (the deletion
-- of a dossier's notifications, dossier_notifications()).  Chat messages
-- (no event) keep the text as their key.
COMMENT ON CONSTRAINT outbox_event_id_channel_kind_key ON zalo_tthc.outbox IS
	'One notification per stage event, channel and kind: a replayed change or a second fallback adds nothing.';
CREATE UNIQUE INDEX outbox_chat_key_idx ON zalo_tthc.outbox (idempotency_key)
	WHERE event_id IS NULL;
COMMENT ON INDEX zalo_tthc.outbox_chat_key_idx IS
	'The idempotency key of a chat message (no stage event): a webhook delivered twice queues one reply.';

-- The worker claims in (next_attempt_at, id) order through the claim index
-- and stops after a batch, whatever the size of the backlog.  The claim
-- index (pending and failed rows; a new notification enters it at its
-- right end) and a small index of the rows in flight carry the columns
-- queue_summary counts (operations.sql), so a backlog that autovacuum has
-- marked visible is counted by index-only scans.  There is no index of the
-- notifications by dossier: a stage change would pay for its entry at a
-- random place of a large index (a random page read, and after every
-- checkpoint a full-page image in the WAL); the worker keeps each
-- dossier's order through dossier_event's key instead (src/outbox.c).
CREATE INDEX outbox_claim_idx ON zalo_tthc.outbox (next_attempt_at, id)
	INCLUDE (status, channel, created_at)
	WHERE status IN ('pending', 'failed');
COMMENT ON INDEX zalo_tthc.outbox_claim_idx IS
	'The notifications waiting to be sent (pending, failed), in the order the worker claims them; with the columns queue_summary counts.';
CREATE INDEX outbox_sending_idx ON zalo_tthc.outbox (id)
	INCLUDE (channel, created_at, next_attempt_at)
	WHERE status = 'sending';
COMMENT ON INDEX zalo_tthc.outbox_sending_idx IS
	'The notifications in flight (claimed by the worker, outcome not yet recorded): counted by queue_summary, put back in the queue when a worker starts.';

-- Retention: sent notifications older than zalo_tthc.sent_retention are
-- deleted by the worker in small batches, found through this index.  It is
-- partial: enqueueing (a pending row) never touches it.
CREATE INDEX outbox_sent_idx ON zalo_tthc.outbox (sent_at)
	WHERE status IN ('sent', 'delivered', 'seen');

-- Receipts find their message by Zalo's id; NULL until the message is sent,
-- so a fresh notification adds no entry.
CREATE INDEX outbox_provider_msg_idx ON zalo_tthc.outbox (provider_msg_id)
	WHERE provider_msg_id IS NOT NULL;
-- A citizen's open chat messages, sent one after the other.
CREATE INDEX outbox_chat_open_idx ON zalo_tthc.outbox (recipient_id, id)
	WHERE event_id IS NULL AND status IN ('pending', 'sending', 'failed');

-- ---------------------------------------------------------------------
-- Delivery attempts (nhật ký gửi)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.delivery_attempt (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	outbox_id	bigint NOT NULL,
	attempt		integer NOT NULL,
	endpoint	text NOT NULL,
	started_at	timestamptz NOT NULL,
	latency_ms	real,
	http_status	integer,
	zalo_error	integer,
	outcome		text NOT NULL,
	sent_unknown boolean NOT NULL DEFAULT false,
	error_text	text
);
COMMENT ON TABLE zalo_tthc.delivery_attempt IS
	'Nhật ký gửi: one row per HTTP attempt of the delivery worker, kept apart from the queue.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.outbox_id IS 'Thông báo (zalo_tthc.outbox.id); no foreign key, so the log outlives queue retention.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.attempt IS 'Lần gửi thứ mấy.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.endpoint IS 'API được gọi: template (ZBS by user id), zns (ZBS by phone), zns_hashphone, transaction (legacy), cs, upload_file, quota (the interaction check of a receipt file), or none when the worker decided without a call.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.started_at IS 'Thời điểm bắt đầu gửi.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.latency_ms IS 'Thời gian chờ trả lời (ms).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.http_status IS 'Mã HTTP (NULL: no answer).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.zalo_error IS 'Mã lỗi Zalo trong câu trả lời (0: thành công).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.outcome IS 'Kết quả: ok, retry, refresh, rate_limited, defer, recipient, config, bug, or unknown (the worker stopped while the request was on the wire).';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.sent_unknown IS 'Có thể đã tới Zalo: the request may have been delivered although no answer says so.';
COMMENT ON COLUMN zalo_tthc.delivery_attempt.error_text IS 'Nội dung lỗi.';

CREATE INDEX delivery_attempt_outbox_idx ON zalo_tthc.delivery_attempt (outbox_id);
-- (retention and purge() delete the old attempts through this one)
CREATE INDEX delivery_attempt_started_idx ON zalo_tthc.delivery_attempt (started_at);

-- ---------------------------------------------------------------------
-- Totals of the worker's outcomes
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.delivery_total (
	stage		zalo_tthc.stage NOT NULL,
	channel		zalo_tthc.channel NOT NULL,
	status		zalo_tthc.delivery_status NOT NULL,
	notifications bigint NOT NULL DEFAULT 0,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (stage, channel, status)
);
COMMENT ON TABLE zalo_tthc.delivery_total IS
	'Tổng kết quả gửi: how many times the delivery worker recorded each outcome (sent, failed = a retry was scheduled, dead, undeliverable) of a stage notification (chat messages are not counted) per stage and channel, updated in the worker''s own outcome transaction. Never decreases: queue retention and purge() do not change it. Rows written undeliverable by the stage change itself are not counted here.';
COMMENT ON COLUMN zalo_tthc.delivery_total.stage IS 'Giai đoạn.';
COMMENT ON COLUMN zalo_tthc.delivery_total.channel IS 'Kênh gửi.';
COMMENT ON COLUMN zalo_tthc.delivery_total.status IS 'Kết quả: sent, failed, dead or undeliverable.';
COMMENT ON COLUMN zalo_tthc.delivery_total.notifications IS 'Số lần (a notification retried twice counts twice as failed).';
COMMENT ON COLUMN zalo_tthc.delivery_total.updated_at IS 'Lần cộng gần nhất.';

-- ---------------------------------------------------------------------
-- The values of a notification, built in C
-- ---------------------------------------------------------------------

-- The delivery worker builds a notification's values from the columns of
-- its claim (src/outbox_values.c); a SQL function per notification cost
-- it more than the rest of the claim.  notification_values() keeps its
-- signature and results, from the same C code.
CREATE FUNCTION zalo_tthc.template_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event, stage_label text)
RETURNS jsonb
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'zt_template_values';
COMMENT ON FUNCTION zalo_tthc.template_values(zalo_tthc.dossier, zalo_tthc.dossier_event, text) IS
	'The values of the {{placeholders}} of the notification of event e of dossier d whose stage is labelled stage_label; what notification_values() returns.';

CREATE FUNCTION zalo_tthc.notification_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
	SELECT zalo_tthc.template_values(d, e, s.label_vi)
	FROM zalo_tthc.stage_info s
	WHERE s.stage = e.stage_after
$$;
COMMENT ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event) IS
	'The values of the {{placeholders}} of a notification: dossier fields and the event''s note and due dates, dates as DD/MM/YYYY in Asia/Ho_Chi_Minh, the fee grouped by dots in đồng.';

-- ---------------------------------------------------------------------
-- Who writes the outbox
-- ---------------------------------------------------------------------

-- Rows are added by src/outbox.c (a stage change's notifications, the ZNS
-- fallback, the receipt file) and by enqueue_chat_message (chat answers,
-- the welcome message); statuses move as src/outbox.h describes: the
-- worker's claims and outcomes in src/outbox.c, Zalo's receipts in
-- webhook.sql (webhook_on_receipt, apply_pending_receipts), an operator's
-- retry through outbox_requeue; the deletion triggers of dossier.sql and
-- recipient_deleted above, retention (src/operations_retention.c) and purge()
-- (through outbox_delete_final) remove them.

CREATE FUNCTION zalo_tthc.enqueue_chat_message(recipient_id bigint, kind text, idempotency_key text,
	payload jsonb)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	INSERT INTO zalo_tthc.outbox (channel, kind, recipient_id, idempotency_key, payload)
	VALUES ('zalo_oa', kind::zalo_tthc.message_kind, recipient_id, idempotency_key, payload)
	ON CONFLICT (idempotency_key) WHERE event_id IS NULL DO NOTHING;
	RETURN FOUND;
END
$$;
COMMENT ON FUNCTION zalo_tthc.enqueue_chat_message(bigint, text, text, jsonb) IS
	'Queue one chat message (a /v3.0/oa/message/cs body) for the delivery worker; false if its key was queued already.';

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

-- ---------------------------------------------------------------------
-- Waking the worker
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.wake_worker_at_commit()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'zt_wake_worker_at_commit_trigger';
COMMENT ON FUNCTION zalo_tthc.wake_worker_at_commit() IS
	'Statement trigger: wake the delivery worker when the transaction commits (new notifications or new credentials).';

CREATE TRIGGER outbox_wake_worker
	AFTER INSERT ON zalo_tthc.outbox
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();
-- (also while a restore runs as a replica)
ALTER TABLE zalo_tthc.outbox ENABLE ALWAYS TRIGGER outbox_wake_worker;

-- pg_dump keeps their rows and where their sequences stand (see stages.sql)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.recipient', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.delivery_attempt', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.delivery_total', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.recipient_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.outbox_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.delivery_attempt_id_seq', '');

REVOKE ALL ON zalo_tthc.delivery_total FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.wake_worker_at_commit(), zalo_tthc.recipient_deleted(),
	zalo_tthc.enqueue_chat_message(bigint, text, text, jsonb), zalo_tthc.outbox_requeue(bigint[]),
	zalo_tthc.outbox_delete_final(interval, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event),
	zalo_tthc.template_values(zalo_tthc.dossier, zalo_tthc.dossier_event, text) FROM PUBLIC;
