-- Signed webhook bodies for bench/webhook.sh, :n of each kind, each one a
-- distinct event (no replay), with timestamps of now (the window is 1 h).
SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
									now() + interval '25 hours', 'OAKEY');

CREATE TABLE bench_body (kind text, i int, body text, sig text, PRIMARY KEY (kind, i));
CREATE SEQUENCE bench_seq;

INSERT INTO bench_body (kind, i, body)
SELECT k.kind, i, (jsonb_build_object('app_id', '1234567890123456789',
		'timestamp', ((extract(epoch FROM now()) * 1000)::bigint + i)::text) || CASE k.kind
	WHEN 'follow' THEN jsonb_build_object('event_name', 'follow', 'oa_id', '4300012345678901234',
		'source', 'oa_profile', 'follower', jsonb_build_object('id', (7000000000000000000 + i)::text))
	WHEN 'received' THEN jsonb_build_object('event_name', 'user_received_message',
		'sender', jsonb_build_object('id', '4300012345678901234'),
		'recipient', jsonb_build_object('id', (7000000000000000000 + i)::text),
		'message', jsonb_build_object('msg_id', 'bench-msg-' || i))
	ELSE jsonb_build_object('event_name', 'user_seen_message',
		'sender', jsonb_build_object('id', '4300012345678901234'),
		'recipient', jsonb_build_object('id', (7000000000000000000 + i)::text),
		'message', jsonb_build_object('msg_ids', jsonb_build_array('bench-msg-' || i)))
	END)::text
FROM (VALUES ('follow'), ('received'), ('seen')) k(kind), generate_series(1, :n) i;
UPDATE bench_body SET sig = 'mac=' || encode(sha256(convert_to('1234567890123456789' || body
	|| (body::jsonb->>'timestamp') || 'OAKEY', 'UTF8')), 'hex');

-- the OA messages the receipts are about, as the worker leaves them once sent
INSERT INTO zalo_tthc.outbox (channel, kind, idempotency_key, status, provider_msg_id, sent_at, payload)
SELECT 'zalo_oa', 'chat_reply', 'bench-' || i, 'sent', 'bench-msg-' || i, now(), '{}'
FROM generate_series(1, :n) i;
VACUUM ANALYZE;
