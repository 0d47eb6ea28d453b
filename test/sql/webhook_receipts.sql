-- Delivery receipts: user_received_message (msg_id) marks an OA message
-- delivered, user_seen_message (msg_ids[]) marks messages seen, and the
-- ZNS delivery event (tracking_id = outbox.idempotency_key) marks a ZNS
-- message delivered; each with its time.  Seen is never set back.
BEGIN;
SELECT webhook_fixture.setup();

INSERT INTO zalo_tthc.recipient (zalo_user_id, phone) VALUES ('7000000000000000031', '+84912000031');
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
VALUES ('000.00.04.H60-261120-0801', 'Cấp giấy phép xây dựng', 'Phạm Thị Hoa', '0912000031', now() + interval '10 days'),
	   ('000.00.04.H60-261120-0802', 'Cấp giấy phép xây dựng', 'Phạm Văn Nam', '0912000032', now() + interval '10 days');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-261120-080%';
-- as the worker records them once Zalo accepted them
UPDATE zalo_tthc.outbox o SET status = 'sent', sent_at = now(),
	provider_msg_id = 'oa-msg-' || o.stage || '-' || right(d.code, 1)
FROM zalo_tthc.dossier d WHERE d.id = o.dossier_id AND d.code LIKE '000.00.04.H60-261120-080%';
SELECT right(d.code, 4) AS dossier, o.stage, o.channel, o.status, o.provider_msg_id
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code LIKE '000.00.04.H60-261120-080%' ORDER BY o.id;

-- OA message delivered
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","sender":{"id":"4300012345678901234"},"recipient":{"id":"7000000000000000031"},"message":{"msg_id":"oa-msg-received-1"}}');
-- both OA messages of the follower seen
SELECT webhook_fixture.deliver('{"event_name":"user_seen_message","sender":{"id":"4300012345678901234"},"recipient":{"id":"7000000000000000031"},"message":{"msg_ids":["oa-msg-submitted-1","oa-msg-received-1"]}}');
-- a late delivery receipt does not undo seen
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","recipient":{"id":"7000000000000000031"},"message":{"msg_id":"oa-msg-submitted-1"}}');
-- the ZNS message, by its tracking_id, with Zalo's delivery time
SELECT webhook_fixture.deliver(jsonb_build_object('event_name', 'user_received_message',
	'sender', jsonb_build_object('id', '4300012345678901234'), 'recipient', jsonb_build_object('id', '7000000000000000032'),
	'message', jsonb_build_object('msg_id', 'oa-msg-received-2', 'tracking_id', o.idempotency_key,
								  'delivery_time', '1795000000000')))
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-261120-0802' AND o.channel = 'zns';
-- unknown ids match nothing
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","message":{"msg_id":"never-sent"}}');
-- tracking ids that are no key of ours match nothing, without an error
SELECT t AS tracking_id, webhook_fixture.deliver(jsonb_build_object('event_name', 'user_received_message',
	'message', jsonb_build_object('msg_id', 'zns-' || t, 'tracking_id', t)))->>'messages' AS messages
FROM unnest(ARRAY['1-999-zns', '99999999999999999999-1-zns', '1-99999999999-zns', 'x-1-zns', '1-1-oa']) AS t;

SELECT right(d.code, 4) AS dossier, o.stage, o.channel, o.status,
	   o.delivered_at IS NOT NULL AS delivered, o.seen_at IS NOT NULL AS seen
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code LIKE '000.00.04.H60-261120-080%' ORDER BY o.id;
SELECT o.delivered_at = to_timestamp(1795000000) AS zalo_delivery_time
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-261120-0802' AND o.channel = 'zns';
SELECT event_name, action, count(*) FROM zalo_tthc.webhook_event GROUP BY 1, 2 ORDER BY 1, 2;
-- in a ZNS receipt recipient.id is the citizen's phone: it is not kept as a Zalo user id
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","recipient":{"id":"84912000099"},"message":{"msg_id":"zns-phone-1","tracking_id":"1-999-zns"}}') ->> 'ok' AS zns_receipt_ok;
SELECT count(*) AS phones_kept_as_user_ids FROM zalo_tthc.webhook_event WHERE zalo_user_id = '84912000099';
ROLLBACK;
