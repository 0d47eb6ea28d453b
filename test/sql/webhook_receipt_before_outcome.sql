-- Receipts that arrive before the send's outcome is written: Zalo can
-- deliver a message before the worker has recorded its message id, so a
-- user_received_message or user_seen_message may match no message yet.
-- Such receipts are kept and applied when the outcome with that message
-- id (or, for ZNS, that tracking id) is written; the replay guard must not
-- turn that race into a lost receipt.
BEGIN;
SELECT webhook_fixture.setup();

INSERT INTO zalo_tthc.recipient (zalo_user_id, phone) VALUES ('7000000000000000071', '+84912000071');
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
VALUES ('000.00.04.H60-261120-0811', 'Cấp giấy phép xây dựng', 'Phạm Thị Hoa', '0912000071', now() + interval '10 days'),
	   ('000.00.04.H60-261120-0812', 'Cấp giấy phép xây dựng', 'Phạm Văn Nam', '0912000072', now() + interval '10 days');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-261120-081%';
-- the worker has claimed them and the requests are on the wire
UPDATE zalo_tthc.outbox o SET status = 'sending'
FROM zalo_tthc.dossier d
WHERE d.id = o.dossier_id AND d.code LIKE '000.00.04.H60-261120-081%' AND o.status = 'pending';
SELECT right(d.code, 4) AS dossier, o.stage, o.channel, o.status
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code LIKE '000.00.04.H60-261120-081%' ORDER BY o.id;

-- the receipts come first: the OA message of "received" delivered, the one
-- of "submitted" seen, the ZNS message delivered at Zalo's time
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","sender":{"id":"4300012345678901234"},"recipient":{"id":"7000000000000000071"},"message":{"msg_id":"early-received-1"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_seen_message","sender":{"id":"4300012345678901234"},"recipient":{"id":"7000000000000000071"},"message":{"msg_ids":["early-submitted-1"]}}');
SELECT idempotency_key AS zns_key FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-261120-0812' AND o.channel = 'zns' \gset
SELECT webhook_fixture.deliver(jsonb_build_object('event_name', 'user_received_message',
	'sender', jsonb_build_object('id', '4300012345678901234'), 'recipient', jsonb_build_object('id', '7000000000000000072'),
	'message', jsonb_build_object('msg_id', 'early-zns-2', 'tracking_id', :'zns_key', 'delivery_time', '1795000000000')));
-- Zalo's retry of one of them is still a replay
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","sender":{"id":"4300012345678901234"},"recipient":{"id":"7000000000000000071"},"message":{"msg_id":"early-received-1"}}') ->> 'action' AS retry;

-- then the worker records the outcomes, as zt_record_outcomes does
WITH r AS (
	SELECT o.id, 'sent' AS status,
		   CASE WHEN o.channel = 'zns' THEN 'early-zns-2' ELSE 'early-' || o.stage || '-1' END AS msg_id
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code LIKE '000.00.04.H60-261120-081%' AND o.status = 'sending'),
upd AS (
	UPDATE zalo_tthc.outbox o SET status = r.status::zalo_tthc.delivery_status,
		provider_msg_id = coalesce(r.msg_id, o.provider_msg_id), sent_at = now(), lease_until = NULL
	FROM r WHERE o.id = r.id AND o.status = 'sending'
	RETURNING o.*)
SELECT count(*) AS recorded_as_sent FROM upd WHERE status = 'sent';

-- the receipts are applied
SELECT right(d.code, 4) AS dossier, o.stage, o.channel, o.status, o.provider_msg_id,
	   o.delivered_at IS NOT NULL AS delivered, o.seen_at IS NOT NULL AS seen
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code LIKE '000.00.04.H60-261120-081%' ORDER BY o.id;
SELECT o.delivered_at = to_timestamp(1795000000) AS zalo_delivery_time
FROM zalo_tthc.outbox o WHERE o.idempotency_key = :'zns_key';

-- a receipt for a message already recorded is applied at once, as before
SELECT webhook_fixture.deliver('{"event_name":"user_seen_message","sender":{"id":"4300012345678901234"},"recipient":{"id":"7000000000000000071"},"message":{"msg_ids":["early-received-1"]}}');
SELECT status FROM zalo_tthc.outbox WHERE provider_msg_id = 'early-received-1';

-- nothing is left waiting; receipts of messages that are not ours wait until
-- the replay retention forgets them
SELECT count(*) AS waiting FROM zalo_tthc.webhook_pending_receipt;
SELECT webhook_fixture.deliver('{"event_name":"user_received_message","message":{"msg_id":"sent-from-the-oa-chat"}}') ->> 'pending' AS pending;
SELECT kind, match_key FROM zalo_tthc.webhook_pending_receipt;
ROLLBACK;
