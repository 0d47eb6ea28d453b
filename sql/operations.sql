-- Operations: what the DBAs on duty (zalo_tthc_operator) see and do.
--
-- queue_summary and metrics() read the open part of the queue through its
-- partial indexes and the totals the delivery worker keeps itself
-- (outbox.sql), so a scrape never counts the whole outbox, and enqueueing
-- (the stage-change trigger) does no extra work at all.  pause(), resume(),
-- retry(), retry_dead() and purge() act on the queue and the worker, each
-- call logged in operator_log.

-- ---------------------------------------------------------------------
-- Operator log (nhật ký vận hành)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.operator_log (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at			timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor		text NOT NULL DEFAULT session_user,
	action		text NOT NULL CHECK (action IN ('retry', 'retry_dead', 'pause', 'resume', 'purge')),
	outbox_id	bigint,
	rows_affected bigint NOT NULL,
	details		jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE zalo_tthc.operator_log IS
	'Nhật ký vận hành: append-only audit of every operator function call (retry, retry_dead, pause, resume, purge): who, when, what and how many rows.';
COMMENT ON COLUMN zalo_tthc.operator_log.id IS 'Khóa nội bộ.';
COMMENT ON COLUMN zalo_tthc.operator_log.at IS 'Thời điểm thực hiện.';
COMMENT ON COLUMN zalo_tthc.operator_log.actor IS 'Người thực hiện (the session user, not the function owner).';
COMMENT ON COLUMN zalo_tthc.operator_log.action IS 'Thao tác: retry, retry_dead, pause, resume or purge.';
COMMENT ON COLUMN zalo_tthc.operator_log.outbox_id IS 'Thông báo (retry of one notification).';
COMMENT ON COLUMN zalo_tthc.operator_log.rows_affected IS 'Số bản ghi bị thay đổi.';
COMMENT ON COLUMN zalo_tthc.operator_log.details IS 'Tham số của lệnh (filters, reason, previous status).';

-- dossier_event's append-only guard (dossier.sql), with its own hint
CREATE TRIGGER operator_log_append_only
	BEFORE UPDATE OR DELETE ON zalo_tthc.operator_log
	FOR EACH ROW EXECUTE FUNCTION zalo_tthc.forbid_event_change('The operator log is an audit trail.');

-- Every operator call logs a row: the worker wakes at commit to act on it.
CREATE TRIGGER operator_log_wake_worker
	AFTER INSERT ON zalo_tthc.operator_log
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();

-- ---------------------------------------------------------------------
-- Operator pause (persists across restarts; no row = sending)
-- ---------------------------------------------------------------------

CREATE TABLE zalo_tthc.worker_control (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	paused		boolean NOT NULL,
	reason		text,
	changed_by	text NOT NULL DEFAULT session_user,
	changed_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zalo_tthc.worker_control IS
	'Điều khiển tiến trình gửi: at most one row; paused = true while an operator has paused sending with zalo_tthc.pause(). Written by pause() and resume() only.';
COMMENT ON COLUMN zalo_tthc.worker_control.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN zalo_tthc.worker_control.paused IS 'Tạm dừng gửi.';
COMMENT ON COLUMN zalo_tthc.worker_control.reason IS 'Lý do tạm dừng.';
COMMENT ON COLUMN zalo_tthc.worker_control.changed_by IS 'Người thay đổi.';
COMMENT ON COLUMN zalo_tthc.worker_control.changed_at IS 'Thời điểm thay đổi.';

-- the worker reads the table again when such a transaction commits
CREATE TRIGGER worker_control_changed
	AFTER INSERT OR UPDATE OR DELETE ON zalo_tthc.worker_control
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();

-- ---------------------------------------------------------------------
-- Monitoring
-- ---------------------------------------------------------------------

-- Never a scan of the whole outbox, whatever the statistics say: with a
-- large backlog the planner would pick a (parallel) sequential scan, which
-- costs O(outbox) instead of O(open rows).
CREATE FUNCTION zalo_tthc.open_queue_counts(OUT status zalo_tthc.delivery_status,
	OUT channel zalo_tthc.channel, OUT notifications bigint, OUT oldest_created_at timestamptz,
	OUT next_attempt_at timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0
AS $$
	SELECT o.status, o.channel, count(*), min(o.created_at), min(o.next_attempt_at)
	FROM zalo_tthc.outbox o
	WHERE o.status IN ('pending', 'failed')
	GROUP BY o.status, o.channel
	UNION ALL
	SELECT o.status, o.channel, count(*), min(o.created_at), min(o.next_attempt_at)
	FROM zalo_tthc.outbox o
	WHERE o.status = 'sending'
	GROUP BY o.status, o.channel
$$;
COMMENT ON FUNCTION zalo_tthc.open_queue_counts() IS
	'Open notifications per status and channel, counted through the partial indexes outbox_claim_idx and outbox_sending_idx; the source of queue_summary.';

CREATE VIEW zalo_tthc.queue_summary AS
SELECT s.status, c.channel,
	   coalesce(q.notifications, 0) AS notifications,
	   q.oldest_created_at,
	   now() - q.oldest_created_at AS oldest_age,
	   q.next_attempt_at
FROM unnest(ARRAY['pending', 'sending', 'failed']::zalo_tthc.delivery_status[]) WITH ORDINALITY s(status, n)
CROSS JOIN unnest(enum_range(NULL::zalo_tthc.channel)) c(channel)
LEFT JOIN zalo_tthc.open_queue_counts() q ON q.status = s.status AND q.channel = c.channel
ORDER BY s.n, c.channel;
COMMENT ON VIEW zalo_tthc.queue_summary IS
	'Hàng đợi: the open notifications (pending, sending, failed) per status and channel, the oldest one''s age and the earliest next attempt (for failed: the next retry). Reads only the open rows, through the outbox''s partial index. Final states are counted in zalo_tthc.delivery_totals.';

CREATE VIEW zalo_tthc.delivery_totals AS
SELECT stage, channel, status, notifications, updated_at
FROM zalo_tthc.delivery_total;
COMMENT ON VIEW zalo_tthc.delivery_totals IS
	'Tổng kết quả gửi per stage, channel and outcome since the extension was installed (zalo_tthc.delivery_total).';

CREATE FUNCTION zalo_tthc.worker_status(
	OUT pid integer, OUT database name, OUT state text, OUT started_at timestamptz,
	OUT in_flight integer, OUT sent bigint, OUT failed bigint, OUT dead bigint,
	OUT undeliverable bigint, OUT zns_fallbacks bigint, OUT unknown_outcomes bigint,
	OUT token_refreshes bigint, OUT commit_wakeups bigint,
	OUT last_success_at timestamptz, OUT last_error_at timestamptz, OUT last_error text,
	OUT token_expires_at timestamptz, OUT paused_until timestamptz, OUT pause_reason text,
	OUT backoff interval, OUT rate_limit double precision, OUT loop_turns bigint)
RETURNS record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'zt_worker_status';
COMMENT ON FUNCTION zalo_tthc.worker_status() IS
	'Live state of the delivery worker, from shared memory: state (not_running, starting, waiting_for_extension, no_credentials, idle, sending, paused, reauthorization_required, standby), requests in flight, counters since the server started, last success and error, token expiry and the current back-off; loop_turns counts the times the worker woke and looked at its work (it grows with the work, not with time).';

CREATE FUNCTION zalo_tthc.latency_histogram(OUT le double precision, OUT requests bigint,
	OUT sum_seconds double precision)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'zt_latency_histogram';
COMMENT ON FUNCTION zalo_tthc.latency_histogram() IS
	'Cumulative histogram of the response time of the worker''s requests to Zalo since the server started: requests answered within le seconds (le = Infinity: all); sum_seconds is the total time.';

CREATE FUNCTION zalo_tthc.channel_status(
	OUT channel text, OUT held_until timestamptz, OUT hold_reason text,
	OUT quota_type text, OUT quota_remaining bigint, OUT quota_daily bigint, OUT quota_at timestamptz)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'zt_channel_status';
COMMENT ON FUNCTION zalo_tthc.channel_status() IS
	'The two ways a ZBS template goes out (user_id: to a follower; phone: by phone), from shared memory: until when an account problem (no balance, OA blocked) holds its notices and why, and the quota Zalo''s latest answer reported (quota_type, remaining, daily; NULL until known).';

CREATE FUNCTION zalo_tthc.metrics()
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

CREATE FUNCTION zalo_tthc.dossier_notifications(code text)
RETURNS TABLE (seq integer, stage zalo_tthc.stage, occurred_at timestamptz,
	notify zalo_tthc.notify_decision, outbox_id bigint, channel zalo_tthc.channel,
	kind zalo_tthc.message_kind, status zalo_tthc.delivery_status, attempts integer,
	created_at timestamptz, next_attempt_at timestamptz, sent_at timestamptz,
	last_error text, last_error_code integer, provider_msg_id text,
	last_attempt_at timestamptz, last_outcome text, last_http_status integer)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT e.seq, e.stage_after, e.occurred_at, e.notify, o.id, o.channel, o.kind, o.status,
		   o.attempts, o.created_at, o.next_attempt_at, o.sent_at, o.last_error, o.last_error_code,
		   o.provider_msg_id, a.started_at, a.outcome, a.http_status
	FROM zalo_tthc.dossier d
	JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
	LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
	LEFT JOIN LATERAL (
		SELECT da.started_at, da.outcome, da.http_status FROM zalo_tthc.delivery_attempt da
		WHERE da.outbox_id = o.id ORDER BY da.id DESC LIMIT 1) a ON true
	WHERE d.code = zalo_tthc.normalize_dossier_code(dossier_notifications.code)
	ORDER BY e.seq, o.id
$$;
COMMENT ON FUNCTION zalo_tthc.dossier_notifications(text) IS
	'Every stage change of one dossier (by its code) with what it did about the citizen''s notification (notify) and each notification''s status, error and last attempt: the answer to "the citizen says no message arrived". No personal data.';

-- ---------------------------------------------------------------------
-- Operator functions (audited in operator_log)
-- ---------------------------------------------------------------------

CREATE FUNCTION zalo_tthc.retry(outbox_id bigint)
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
COMMENT ON FUNCTION zalo_tthc.retry(bigint) IS
	'Queue one failed, dead or undeliverable notification again, at once, with its attempts reset; refuses notifications Zalo already accepted. Logged in operator_log.';

CREATE FUNCTION zalo_tthc.retry_dead(stage zalo_tthc.stage DEFAULT NULL,
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
COMMENT ON FUNCTION zalo_tthc.retry_dead(zalo_tthc.stage, zalo_tthc.channel, timestamptz, integer, boolean) IS
	'Queue every dead notification again (optionally only one stage, channel, error code, or created since a time; include_undeliverable adds undeliverable ones). Returns how many. Logged in operator_log.';

CREATE FUNCTION zalo_tthc.pause(reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO zalo_tthc.worker_control AS c (id, paused, reason, changed_by, changed_at)
	VALUES (true, true, pause.reason, session_user, now())
	ON CONFLICT (id) DO UPDATE
	SET paused = true, reason = excluded.reason, changed_by = excluded.changed_by,
		changed_at = excluded.changed_at;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected, details)
	VALUES ('pause', 1, jsonb_strip_nulls(jsonb_build_object('reason', pause.reason)));
END
$$;
COMMENT ON FUNCTION zalo_tthc.pause(text) IS
	'Stop the delivery worker from claiming notifications (requests on the wire finish) until resume(), across restarts. Stage changes are still queued. Logged in operator_log.';

CREATE FUNCTION zalo_tthc.resume()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE zalo_tthc.worker_control
	SET paused = false, reason = NULL, changed_by = session_user, changed_at = now()
	WHERE paused;
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO zalo_tthc.operator_log (action, rows_affected) VALUES ('resume', n);
END
$$;
COMMENT ON FUNCTION zalo_tthc.resume() IS
	'Let the delivery worker send again after pause(). Logged in operator_log.';

CREATE FUNCTION zalo_tthc.purge(older_than interval, include_dead boolean DEFAULT false,
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
COMMENT ON FUNCTION zalo_tthc.purge(interval, boolean) IS
	'Delete, now, notifications in a final state (sent, delivered, seen; with include_dead also dead and undeliverable) created more than older_than ago, and delivery attempts older than that. Open notifications are never deleted. Logged in operator_log.';

-- ---------------------------------------------------------------------
-- Privileges: the operator role, nobody else
-- ---------------------------------------------------------------------

REVOKE ALL ON zalo_tthc.operator_log, zalo_tthc.worker_control FROM PUBLIC;
REVOKE ALL ON zalo_tthc.queue_summary, zalo_tthc.delivery_totals FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.worker_status(), zalo_tthc.latency_histogram(), zalo_tthc.metrics(),
	zalo_tthc.channel_status(),
	zalo_tthc.open_queue_counts(),
	zalo_tthc.dossier_notifications(text), zalo_tthc.retry(bigint),
	zalo_tthc.retry_dead(zalo_tthc.stage, zalo_tthc.channel, timestamptz, integer, boolean),
	zalo_tthc.pause(text), zalo_tthc.resume(), zalo_tthc.purge(interval, boolean) FROM PUBLIC;

GRANT SELECT ON zalo_tthc.queue_summary, zalo_tthc.delivery_totals, zalo_tthc.operator_log,
	zalo_tthc.outbox, zalo_tthc.delivery_attempt TO zalo_tthc_operator;
GRANT EXECUTE ON FUNCTION zalo_tthc.worker_status(), zalo_tthc.latency_histogram(), zalo_tthc.metrics(),
	zalo_tthc.channel_status(),
	zalo_tthc.open_queue_counts(),
	zalo_tthc.dossier_notifications(text), zalo_tthc.retry(bigint),
	zalo_tthc.retry_dead(zalo_tthc.stage, zalo_tthc.channel, timestamptz, integer, boolean),
	zalo_tthc.pause(text), zalo_tthc.resume(), zalo_tthc.purge(interval, boolean) TO zalo_tthc_operator;

-- pg_dump keeps their rows and where their sequences stand (see stages.sql)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.operator_log', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.worker_control', '');
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.operator_log_id_seq', '');
