-- Correctly signed bodies that cannot be used: each gets a clear answer
-- (verified true: the portal answers 200 so that Zalo does not retry) and
-- changes nothing.  Bodies that cannot even be verified say so.
BEGIN;
SELECT webhook_fixture.setup();
SELECT webhook_fixture.state() AS before \gset
SELECT webhook_fixture.now_ms() AS ts \gset
SELECT '"app_id":"1234567890123456789","timestamp":"' || :'ts' || '"' AS head \gset

-- deliver(body) signed with the timestamp :ts, whatever the body is
CREATE FUNCTION pg_temp.deliver_raw(body text, ts text) RETURNS jsonb LANGUAGE sql AS $$
	SELECT zalo_tthc.handle_webhook(body, webhook_fixture.sign(body, ts))
$$;

-- malformed JSON: truncated, trailing text, single quotes, a trailing comma
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"follow","follower":{"id":"1"', :'ts');
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"follow"} trailing', :'ts');
SELECT pg_temp.deliver_raw('{' || :'head' || ',''event_name'':''follow''}', :'ts');
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"follow",}', :'ts');
-- JSON that is not an object has no signed timestamp
SELECT pg_temp.deliver_raw('[{' || :'head' || '}]', :'ts');
SELECT pg_temp.deliver_raw('"timestamp"', :'ts');
-- a huge body is refused before its signature is computed
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"user_send_text","message":{"text":"'
						   || repeat('x', 70000) || '"}}', :'ts');
SHOW zalo_tthc.webhook_max_body_size;
-- very deep nesting
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"follow","follower":{"id":"1","x":'
						   || repeat('[', 5000) || repeat(']', 5000) || '}}', :'ts');
-- wrong field types
SELECT webhook_fixture.deliver('{"event_name":"follow","follower":"2468458835296197922"}');
SELECT webhook_fixture.deliver('{"event_name":"user_send_text","sender":{"id":"1"},"message":{"msg_id":"m1","text":42}}');
SELECT webhook_fixture.deliver('{"event_name":"user_seen_message","message":{"msg_ids":"a1b2"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_seen_message","message":{"msg_ids":["a1b2", 7]}}');
SELECT webhook_fixture.deliver('{"event_name":17}');
SELECT pg_temp.deliver_raw('{"app_id":1234567890123456789,"timestamp":"' || :'ts' || '","event_name":"follow"}', :'ts');
-- ids as numbers instead of strings
SELECT webhook_fixture.deliver('{"event_name":"follow","follower":{"id":2468458835296197922}}');
SELECT webhook_fixture.deliver('{"event_name":"user_send_text","sender":{"id":2468458835296197922},"message":{"msg_id":"m1","text":"TTHC"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","recipient":{"id":2468458835296197922},"message":{"msg_id":"m1"}}');
-- ids that are not Zalo ids, tokens that are not tokens
SELECT webhook_fixture.deliver('{"event_name":"follow","follower":{"id":"24684588352961979221234"}}');
SELECT webhook_fixture.deliver('{"event_name":"unfollow","follower":{"id":"-1"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","message":{"msg_id":"a b"}}');
-- missing fields
SELECT webhook_fixture.deliver('{"event_name":"follow"}');
SELECT webhook_fixture.deliver('{"event_name":"user_send_text","sender":{"id":"1"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"1"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_seen_message","message":{"msg_ids":[]}}');
-- another app's event; a second timestamp member (the last one counts, as in json-c)
SELECT webhook_fixture.deliver('{"event_name":"follow","follower":{"id":"1"},"app_id":"999"}');
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"follow","follower":{"id":"1"},"timestamp":"1"}', :'ts');
-- text with a NUL character, which no PostgreSQL text can hold
SELECT pg_temp.deliver_raw('{' || :'head' || ',"event_name":"user_send_text","sender":{"id":"1"},"message":{"msg_id":"m1","text":"TTHC\u0000x"}}', :'ts');

SELECT webhook_fixture.state() = :'before' AS nothing_changed;

-- an event zalo_tthc does not act on is recorded and acknowledged
SELECT webhook_fixture.deliver('{"event_name":"user_send_sticker","sender":{"id":"2468458835296197922"},"message":{"msg_id":"s1","attachments":[{"type":"sticker","payload":{"id":"x"}}]}}');
SELECT event_name, zalo_user_id, action FROM zalo_tthc.webhook_event WHERE event_name = 'user_send_sticker';
ROLLBACK;
