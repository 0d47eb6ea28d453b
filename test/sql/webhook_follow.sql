-- follow creates or revives the recipient and queues the welcome message,
-- plus the phone request when no phone is known; unfollow marks the
-- recipient, and that citizen's next notification goes by ZNS.
BEGIN;
SELECT webhook_fixture.setup();

SELECT webhook_fixture.deliver('{"event_name":"follow","oa_id":"4300012345678901234","source":"oa_profile","follower":{"id":"7000000000000000001"}}');
SELECT followed, followed_at IS NOT NULL AS has_followed_at, unfollowed_at, phone
FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000001';
-- the two chat messages, in order, with their complete cs bodies
SELECT o.kind, o.channel, o.status, o.dossier_id, o.event_id, o.stage, jsonb_pretty(o.payload)
FROM zalo_tthc.outbox o JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
WHERE r.zalo_user_id = '7000000000000000001' ORDER BY o.id;

-- the welcome text is a template an operator may edit
UPDATE zalo_tthc.chat_template SET body = 'Chào mừng ông/bà đã đến với Chính quyền số tỉnh Hà Giang.'
WHERE kind = 'welcome';

-- a follower whose phone is known gets the welcome only
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, followed, followed_at, unfollowed_at)
VALUES ('7000000000000000002', '+84912000002', false, now() - interval '2 days', now() - interval '1 day');
SELECT webhook_fixture.deliver('{"event_name":"follow","follower":{"id":"7000000000000000002"}}');
SELECT followed, phone FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000002';
SELECT o.kind, o.payload #>> '{message,text}' AS text
FROM zalo_tthc.outbox o JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
WHERE r.zalo_user_id = '7000000000000000002' ORDER BY o.id;

-- unfollow
SELECT webhook_fixture.deliver('{"event_name":"unfollow","follower":{"id":"7000000000000000002"}}');
SELECT followed, unfollowed_at IS NOT NULL AS has_unfollowed_at
FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000002';
-- an unfollow of someone never seen
SELECT webhook_fixture.deliver('{"event_name":"unfollow","follower":{"id":"7000000000000000003"}}');

-- a follow older than the unfollow already handled (deliveries out of order)
SELECT zalo_tthc.handle_webhook(b, webhook_fixture.sign(b))
FROM (SELECT format('{"app_id":"1234567890123456789","event_name":"follow","follower":{"id":"7000000000000000002"},"timestamp":"%s"}',
					webhook_fixture.now_ms()::bigint - 60000) AS b) s;
SELECT followed FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000002';

-- the unfollowed citizen's dossier: the stage notification goes by ZNS
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
VALUES ('000.00.04.H60-261120-0501', 'Cấp giấy phép xây dựng', 'Trần Thị Bình', '0912000002', now() + interval '10 days');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261120-0501';
SELECT o.stage, o.channel, o.status, o.recipient_id IS NULL AS no_follower
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-261120-0501' ORDER BY o.id;
ROLLBACK;
