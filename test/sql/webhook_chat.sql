-- user_send_text: "TTHC <số hồ sơ>" or a bare code is answered with what
-- the lookup rules allow for a code (status, dates, procedure, receiving
-- unit, masked name); a CCCD/CMND only for the Zalo user who shared the
-- phone of those dossiers; anything else gets the help text.  The answer
-- is a cs message queued in the outbox.
BEGIN;
SELECT webhook_fixture.setup();
SET LOCAL timezone = 'Asia/Ho_Chi_Minh';

INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
	applicant_name, applicant_id_number, applicant_phone, applicant_email, applicant_address,
	applicant_birth_date, submitted_at, due_at)
VALUES ('000.00.04.H60-261120-0701', 'Cấp phiếu lý lịch tư pháp', 'Tư pháp', 'Sở Tư pháp',
		'Trung tâm Phục vụ hành chính công tỉnh', 'Nguyễn Văn Đức', '008090001234', '0912345678',
		'duc@example.vn', 'Số 1, phường Minh Xuân', '1990-05-17', '2026-11-20 09:00+07', '2026-11-30 17:00+07'),
	   ('000.00.04.H60-261121-0702', 'Đăng ký khai sinh', 'Hộ tịch', 'UBND phường Minh Xuân', NULL,
		'Nguyễn Văn Đức', '008090001234', '0912345678', NULL, NULL, NULL, '2026-11-21 09:00+07', '2026-11-25 17:00+07');
UPDATE zalo_tthc.dossier SET stage = 'received', received_at = '2026-11-20 10:00+07'
WHERE code = '000.00.04.H60-261120-0701';

-- the answers themselves
DELETE FROM zalo_tthc.lookup_audit;
SELECT zalo_tthc.chat_answer('TTHC 000.00.04.H60-261120-0701', '7000000000000000021');
SELECT zalo_tthc.chat_answer('  tthc   000.00.04.h60-261120-0701 ', '7000000000000000021') =
	   zalo_tthc.chat_answer('000.00.04.H60-261120-0701', '7000000000000000021') AS same_answer;
SELECT zalo_tthc.chat_answer('TTHC: 000.00.04.H60-261121-0702', NULL);
SELECT zalo_tthc.chat_answer('TTHC 000.00.04.H60-261120-9999', NULL);
SELECT zalo_tthc.chat_answer('Cho tôi hỏi hồ sơ của tôi', NULL);
SELECT zalo_tthc.chat_answer('TTHC', NULL);
-- a CCCD from a Zalo user who shared no phone, or another phone
SELECT zalo_tthc.chat_answer('008 090 001 234', '7000000000000000021');
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone) VALUES ('7000000000000000022', '+84999888777');
SELECT zalo_tthc.chat_answer('008090001234', '7000000000000000022');
-- the Zalo user who shared the dossiers' phone
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone) VALUES ('7000000000000000021', '+84912345678');
SELECT zalo_tthc.chat_answer('008090001234', '7000000000000000021');
-- every lookup by chat is audited (refusals included), the key hashed;
-- the help text is not a lookup
SELECT kind, second_factor, results, key_hash = zalo_tthc.lookup_key_hash('008090001234') AS id_hashed
FROM zalo_tthc.lookup_audit ORDER BY id;
SELECT count(*) AS raw_keys FROM zalo_tthc.lookup_audit
WHERE encode(key_hash, 'escape') ~ '(008090001234|261120)';
-- nothing personal beyond the masked name, in any answer
SELECT bool_or(a ~ '(0912|345678|duc@|Số 1,|1990|17/05|008090001234|Văn Đức)') AS reveals
FROM (SELECT zalo_tthc.chat_answer(q, u) AS a
	  FROM unnest(ARRAY['TTHC 000.00.04.H60-261120-0701', '000.00.04.H60-261121-0702', '008090001234']) q,
		   unnest(ARRAY['7000000000000000021', '7000000000000000022']) u) s;

-- through the webhook: the reply is queued as a free cs reply to the message, once
SELECT webhook_fixture.deliver('{"event_name":"user_send_text","sender":{"id":"7000000000000000021"},"recipient":{"id":"4300012345678901234"},"message":{"msg_id":"7f3c01","text":"TTHC 000.00.04.H60-261120-0701"}}');
SELECT o.kind, o.channel, o.status, o.idempotency_key, o.payload #>> '{recipient,message_id}' AS replies_to,
	   o.payload #>> '{message,text}' = zalo_tthc.chat_answer('TTHC 000.00.04.H60-261120-0701', '7000000000000000021') AS is_the_answer
FROM zalo_tthc.outbox o WHERE o.kind = 'chat_reply';
-- Zalo's retry of the same message (same msg_id, new timestamp) is a replay
SELECT webhook_fixture.deliver('{"event_name":"user_send_text","sender":{"id":"7000000000000000021"},"message":{"msg_id":"7f3c01","text":"TTHC 000.00.04.H60-261120-0701"}}');
-- someone who does not follow the OA is answered too (Zalo decides whether it arrives)
SELECT webhook_fixture.deliver('{"event_name":"user_send_text","sender":{"id":"7000000000000000029"},"message":{"msg_id":"7f3c02","text":"xin chào"}}');
SELECT o.recipient_id, o.payload #>> '{message,text}' AS text
FROM zalo_tthc.outbox o WHERE o.idempotency_key = 'reply-7f3c02';
-- a chat key is queued once, whatever reaches the queue twice
SELECT zalo_tthc.enqueue_chat_message(NULL, 'chat_reply', 'reply-7f3c02', '{}') AS queued_again;
SELECT count(*) AS rows_with_key FROM zalo_tthc.outbox WHERE idempotency_key = 'reply-7f3c02';
ROLLBACK;
