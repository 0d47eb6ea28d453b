-- Each notifying stage change leaves exactly one dossier_event and one
-- outbox row for the channel that can reach the citizen.
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, id_number, display_name, followed_at)
VALUES ('2468458835296197922', '+84912345678', NULL, 'Nguyễn Văn An', now()),
	   ('3579569946307208033', NULL, '038185000123', 'Trần Thị Bình', now());

-- follower linked by phone: the whole natural flow goes to Zalo OA
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
VALUES ('000.00.04.H60-230215-0028', 'Cấp giấy phép xây dựng', 'Nguyễn Văn An',
		'0912345678', now() + interval '15 days');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230215-0028';
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230215-0028';
UPDATE zalo_tthc.dossier SET stage = 'appraising' WHERE code = '000.00.04.H60-230215-0028';
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-230215-0028';
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-230215-0028';
UPDATE zalo_tthc.dossier SET stage = 'result_returned' WHERE code = '000.00.04.H60-230215-0028';

SELECT e.seq, e.stage_before, e.stage_after, e.status_before, e.status_after, e.notify,
	   o.channel, o.status, o.idempotency_key = d.id || '-' || e.seq || '-oa' AS key_ok,
	   r.zalo_user_id
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
LEFT JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
WHERE d.code = '000.00.04.H60-230215-0028'
ORDER BY e.seq;

-- one outbox row per event and channel, never more
SELECT count(*) AS events, count(o.id) AS outbox_rows,
	   count(DISTINCT (o.event_id, o.channel)) AS distinct_event_channels
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230215-0028';

-- follower linked by CCCD: supplement requested and submitted
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_id_number, stage)
VALUES ('000.00.12.H56-240501-0001', 'Đăng ký khai sinh', 'Trần Thị Bình', '038185000123', 'received');
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested',
	stage_note = 'Bổ sung bản sao giấy chứng sinh', supplement_due_at = now() + interval '5 days'
WHERE code = '000.00.12.H56-240501-0001';
UPDATE zalo_tthc.dossier SET stage = 'supplement_submitted' WHERE code = '000.00.12.H56-240501-0001';
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Ký lại tờ khai'
WHERE code = '000.00.12.H56-240501-0001';
UPDATE zalo_tthc.dossier SET stage = 'returned', stage_note = 'Quá hạn bổ sung'
WHERE code = '000.00.12.H56-240501-0001';

SELECT e.seq, e.stage_after, e.note, o.channel, o.status, r.display_name
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
LEFT JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
WHERE d.code = '000.00.12.H56-240501-0001'
ORDER BY e.seq;

-- no follower, a mobile phone: ZNS where the stage has a ZNS template,
-- otherwise the notification ends undeliverable with its reason
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230216-0001', 'Cấp phiếu lý lịch tư pháp', 'Lê Văn Cường', '0987654321');
UPDATE zalo_tthc.dossier SET stage = 'rejected', stage_note = 'Thiếu tờ khai'
WHERE code = '000.00.04.H60-230216-0001';

SELECT e.stage_after, o.channel, o.status, o.recipient_id, o.last_error,
	   o.idempotency_key ~ '^[0-9]+-[0-9]+-(oa|zns)$' AS key_shape_ok
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230216-0001'
ORDER BY e.seq;

-- no follower and no phone: undeliverable, with the reason
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, stage)
VALUES ('000.00.04.H60-230216-0002', 'Chứng thực bản sao', 'Phạm Thị Dung', 'received');
SELECT o.channel, o.status, o.last_error
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-230216-0002';

-- an unfollowed recipient is not used
UPDATE zalo_tthc.recipient SET followed = false, unfollowed_at = now()
WHERE zalo_user_id = '2468458835296197922';
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, stage)
VALUES ('000.00.04.H60-230216-0003', 'Cấp giấy phép xây dựng', 'Nguyễn Văn An', '0912345678', 'received');
SELECT o.channel, o.status, o.recipient_id
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-230216-0003';

-- interoperating is internal: an event, no notification
UPDATE zalo_tthc.recipient SET followed = true WHERE zalo_user_id = '2468458835296197922';
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230216-0003';
UPDATE zalo_tthc.dossier SET stage = 'interoperating' WHERE code = '000.00.04.H60-230216-0003';
SELECT e.stage_after, e.notify, count(o.id) AS outbox_rows
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-230216-0003'
GROUP BY e.seq, e.stage_after, e.notify
ORDER BY e.seq;
