-- user_submit_info: the shared phone is normalised and linked to the
-- follower, so the next stage notifications of the dossiers with that
-- phone go to Zalo OA instead of ZNS.
BEGIN;
SELECT webhook_fixture.setup();

INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
VALUES ('000.00.04.H60-261120-0601', 'Đăng ký khai sinh', 'Lê Văn Cường', '0987 654 321', now() + interval '5 days'),
	   ('000.00.04.H60-261120-0602', 'Cấp giấy phép xây dựng', 'Lê Văn Cường', '+84987654321', now() + interval '9 days');
-- before the link: no follower, the received notification goes by ZNS
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261120-0601';

SELECT webhook_fixture.deliver('{"event_name":"follow","follower":{"id":"7000000000000000011"}}') ->> 'queued' AS queued;
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"7000000000000000011"},"recipient":{"id":"4300012345678901234"},"info":{"name":"Lê Văn Cường","phone":"84987654321","address":"Tổ 5, phường Minh Xuân","city":"Tuyên Quang"}}');
SELECT phone, display_name, followed FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000011';

-- after the link: both dossiers' next stages go to this follower by OA
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-261120-0601';
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261120-0602';
SELECT d.code, o.stage, o.channel, r.zalo_user_id
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
LEFT JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
WHERE d.code LIKE '000.00.04.H60-261120-06%' ORDER BY o.id;

-- the phone as a number, in another spelling, moved to a new Zalo account
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"7000000000000000012"},"info":{"phone":84987654321}}');
SELECT zalo_user_id, phone FROM zalo_tthc.recipient
WHERE zalo_user_id IN ('7000000000000000011', '7000000000000000012') ORDER BY 1;

-- no phone, a landline, a malformed phone: the linked phone stays
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"7000000000000000012"},"info":{"name":"Cường"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"7000000000000000012"},"info":{"phone":"02073822123"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"7000000000000000012"},"info":{"phone":"không có"}}');
SELECT webhook_fixture.deliver('{"event_name":"user_submit_info","sender":{"id":"7000000000000000012"},"info":{"phone":["84987654321"]}}');
SELECT phone FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000012';
ROLLBACK;
