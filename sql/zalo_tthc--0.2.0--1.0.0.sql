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
