-- Fixtures of the webhook tests: signed Zalo webhook bodies, built the way
-- Zalo signs them (zalo-api.md §7.2), in a schema of their own.  Each
-- webhook_* test runs in a transaction that it rolls back.
CREATE SCHEMA webhook_fixture;

-- The credentials the fixtures are signed with.
CREATE FUNCTION webhook_fixture.setup() RETURNS void LANGUAGE sql AS $$
	SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
										now() + interval '25 hours', 'OAKEY')
$$;

-- Now, as Zalo's timestamp field: epoch milliseconds as a string.
CREATE FUNCTION webhook_fixture.now_ms() RETURNS text LANGUAGE sql AS $$
	SELECT ((extract(epoch FROM clock_timestamp()) * 1000)::bigint)::text
$$;

-- A body of our app with a fresh timestamp; fields of the event merged in.
CREATE FUNCTION webhook_fixture.body(event jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT (jsonb_build_object('app_id', '1234567890123456789', 'timestamp', webhook_fixture.now_ms())
			|| event)::text
$$;

-- "mac=" + SHA-256 hex of app_id + body + timestamp + OA secret key.
CREATE FUNCTION webhook_fixture.sign(body text, ts text DEFAULT NULL, secret text DEFAULT 'OAKEY')
RETURNS text LANGUAGE sql AS $$
	SELECT 'mac=' || encode(sha256(convert_to('1234567890123456789' || body
		|| coalesce(ts, body::jsonb->>'timestamp') || secret, 'UTF8')), 'hex')
$$;

-- Sign and deliver one event; returns handle_webhook's answer.
CREATE FUNCTION webhook_fixture.deliver(event jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b)) FROM webhook_fixture.body(event) b
$$;

-- What a refused delivery may not change: row counts of every table it touches.
CREATE FUNCTION webhook_fixture.state() RETURNS text LANGUAGE sql AS $$
	SELECT format('recipients %s, outbox %s, events %s, followed %s',
		(SELECT count(*) FROM zalo_tthc.recipient), (SELECT count(*) FROM zalo_tthc.outbox),
		(SELECT count(*) FROM zalo_tthc.webhook_event),
		(SELECT count(*) FILTER (WHERE followed) FROM zalo_tthc.recipient))
$$;

SELECT 'fixtures ready' AS status;
