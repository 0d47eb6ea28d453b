-- X-ZEvent-Signature: "mac=" + SHA-256(app_id + raw body + timestamp + OA
-- secret key), checked before the body is parsed.  A refused delivery says
-- why (verified false: the portal may answer 401) and changes nothing.
BEGIN;
SELECT webhook_fixture.setup();
SELECT webhook_fixture.state() AS before \gset

SELECT webhook_fixture.body('{"event_name":"follow","follower":{"id":"7000000000000000041"}}') AS body \gset
SELECT webhook_fixture.body('{"event_name":"follow","follower":{"id":"7000000000000000042"}}') AS other \gset

-- wrong signature
SELECT zalo_tthc.handle_webhook(:'body', 'mac=' || repeat('ab', 32));
-- signed with another secret
SELECT zalo_tthc.handle_webhook(:'body', webhook_fixture.sign(:'body', secret => 'OTHERKEY'));
-- the signature of a different body
SELECT zalo_tthc.handle_webhook(:'body', webhook_fixture.sign(:'other'));
-- one byte of the body changed after signing
SELECT zalo_tthc.handle_webhook(replace(:'body', '0041', '0043'), webhook_fixture.sign(:'body'));
-- missing header, empty header, not a SHA-256 hex
SELECT zalo_tthc.handle_webhook(:'body', NULL);
SELECT zalo_tthc.handle_webhook(:'body', '');
SELECT zalo_tthc.handle_webhook(:'body', 'mac=12345');
SELECT zalo_tthc.handle_webhook(:'body', 'mac=' || repeat('zz', 32));
-- no body at all
SELECT zalo_tthc.handle_webhook(NULL, webhook_fixture.sign(:'body'));
-- no top-level timestamp string to check the signature with
SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b, ''))
FROM (SELECT '{"app_id":"1234567890123456789","event_name":"follow","follower":{"id":"1"}}' AS b) s;
SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b, '1714529559833'))
FROM (SELECT '{"app_id":"1234567890123456789","timestamp":1714529559833,"event_name":"follow"}' AS b) s;
-- a nested timestamp is not the event's
SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b, webhook_fixture.now_ms()))
FROM (SELECT format('{"app_id":"1234567890123456789","event_name":"follow","message":{"timestamp":"%s"}}',
					webhook_fixture.now_ms()) AS b) s;
-- stale and future timestamps (window: zalo_tthc.webhook_max_age, 2 hours,
-- in the past; 5 minutes of clock skew in the future)
SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b))
FROM (SELECT '{"app_id":"1234567890123456789","event_name":"follow","follower":{"id":"1"},"timestamp":"1714529559833"}' AS b) s;
SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b))
FROM (SELECT format('{"app_id":"1234567890123456789","event_name":"follow","follower":{"id":"1"},"timestamp":"%s"}',
					webhook_fixture.now_ms()::bigint + 10 * 60 * 1000) AS b) s;
SHOW zalo_tthc.webhook_max_age;

SELECT webhook_fixture.state() = :'before' AS nothing_changed;

-- the right signature: with or without "mac=", in either case of hex
SAVEPOINT s;
SELECT zalo_tthc.handle_webhook(:'body', webhook_fixture.sign(:'body')) ->> 'action' AS with_prefix;
ROLLBACK TO s;
SELECT zalo_tthc.handle_webhook(:'body', substr(webhook_fixture.sign(:'body'), 5)) ->> 'action' AS bare_hex;
ROLLBACK TO s;
SELECT zalo_tthc.handle_webhook(:'body', upper(substr(webhook_fixture.sign(:'body'), 5))) ->> 'action' AS upper_hex;

-- Zalo retries a delivery 30 s, 5 min, 15 min, 30 min and 1 h after a failed
-- one, with the same body and signature: the last retry, 1 h 50 min after
-- the signed timestamp, is accepted once; a replay of it is ignored
SAVEPOINT r;
SELECT format('{"app_id":"1234567890123456789","event_name":"user_send_text","sender":{"id":"7000000000000000991"},"recipient":{"id":"4300012345678901234"},"message":{"msg_id":"retry-1h50","text":"xin chao"},"timestamp":"%s"}',
			  webhook_fixture.now_ms()::bigint - (110 * 60 + 30) * 1000) AS late_body \gset
SELECT zalo_tthc.handle_webhook(:'late_body', webhook_fixture.sign(:'late_body')) ->> 'ok' AS last_retry_accepted;
SELECT zalo_tthc.handle_webhook(:'late_body', webhook_fixture.sign(:'late_body')) ->> 'action' AS its_replay;
ROLLBACK TO r;

-- a replay of a handled event is ignored, and changes nothing
SELECT webhook_fixture.state() AS before \gset
SELECT zalo_tthc.handle_webhook(:'body', webhook_fixture.sign(:'body'));
SELECT webhook_fixture.state() = :'before' AS replay_changed_nothing;

-- the signature check alone, as the benchmark's baseline
SELECT zalo_tthc.verify_webhook_signature(:'body', webhook_fixture.sign(:'body')) AS good,
	   zalo_tthc.verify_webhook_signature(:'body', webhook_fixture.sign(:'other')) AS bad;

-- the portal may call handle_webhook, and nothing else of it
SELECT webhook_fixture.sign(:'other') AS other_sig \gset
SET LOCAL ROLE zalo_tthc_portal;
SELECT zalo_tthc.handle_webhook(:'other', :'other_sig') ->> 'action' AS as_portal;
SAVEPOINT p;
SELECT zalo_tthc.webhook_verify(:'other', :'other_sig');
ROLLBACK TO p;
SELECT count(*) FROM zalo_tthc.webhook_event;
ROLLBACK;

-- without an OA secret key nothing can be verified: an error, not a guess
BEGIN;
SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0', now() + interval '1 hour');
SELECT zalo_tthc.handle_webhook('{}', 'mac=' || repeat('ab', 32));
ROLLBACK;
