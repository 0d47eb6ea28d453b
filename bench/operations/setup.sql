-- :rows outbox rows of mixed states for the operations benchmark, loaded
-- directly (triggers and foreign-key checks off as for a restore), one
-- dossier per four notifications.  Of every 1000 notifications: 930 sent,
-- delivered or seen, 20 dead, 20 undeliverable, 25 pending, 4 failed and
-- 1 sending; four in five by the OA, one in five by ZNS.  The worker's
-- totals are filled as the 0.2.0 update fills them.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS zalo_tthc CASCADE;
SET session_replication_role = replica;

INSERT INTO zalo_tthc.dossier (id, code, procedure_name, applicant_name, applicant_phone, stage, stage_seq)
OVERRIDING SYSTEM VALUE
SELECT i, format('000.00.04.H60-%s-%s', to_char(date '2024-01-01' + i / 9999, 'YYMMDD'),
				 lpad((i % 9999 + 1)::text, 4, '0')),
	   'Cấp giấy phép xây dựng', 'Công dân ' || i, '+8491' || lpad((i % 10000000)::text, 7, '0'),
	   'result_returned', 4
FROM generate_series(1, :rows / 4) i;

INSERT INTO zalo_tthc.dossier_event (id, dossier_id, seq, stage_before, stage_after, status_before,
	status_after, occurred_at, actor, notify)
OVERRIDING SYSTEM VALUE
SELECT i, (i - 1) / 4 + 1, (i - 1) % 4 + 1,
	   (ARRAY[NULL, 'submitted', 'received', 'result_ready'])[(i - 1) % 4 + 1]::zalo_tthc.stage,
	   (ARRAY['submitted', 'received', 'result_ready', 'result_returned'])[(i - 1) % 4 + 1]::zalo_tthc.stage,
	   NULL, 1, now() - (:rows - i) * interval '2 seconds', 'bench', 'enqueued'
FROM generate_series(1, :rows) i;

INSERT INTO zalo_tthc.outbox (id, event_id, dossier_id, stage, channel, idempotency_key, status,
	attempts, next_attempt_at, created_at, sent_at, last_error)
OVERRIDING SYSTEM VALUE
SELECT i, i, (i - 1) / 4 + 1,
	   (ARRAY['submitted', 'received', 'result_ready', 'result_returned'])[(i - 1) % 4 + 1]::zalo_tthc.stage,
	   CASE WHEN i % 5 = 0 THEN 'zns' ELSE 'zalo_oa' END::zalo_tthc.channel,
	   ((i - 1) / 4 + 1) || '-' || ((i - 1) % 4 + 1) || CASE WHEN i % 5 = 0 THEN '-zns' ELSE '-oa' END,
	   s.status, CASE WHEN s.status = 'pending' THEN 0 ELSE 1 END,
	   CASE WHEN s.status = 'failed' THEN now() + interval '5 minutes' ELSE created END,
	   created, CASE WHEN s.status IN ('sent', 'delivered', 'seen') THEN created + interval '1 second' END,
	   CASE WHEN s.status IN ('dead', 'undeliverable', 'failed') THEN 'bench' END
FROM generate_series(1, :rows) i,
	 LATERAL (SELECT now() - (:rows - i) * interval '2 seconds' AS created) c,
	 LATERAL (SELECT (CASE
		 WHEN i % 1000 < 880 THEN 'sent' WHEN i % 1000 < 910 THEN 'delivered' WHEN i % 1000 < 930 THEN 'seen'
		 WHEN i % 1000 < 950 THEN 'dead' WHEN i % 1000 < 970 THEN 'undeliverable'
		 WHEN i % 1000 < 995 THEN 'pending' WHEN i % 1000 < 999 THEN 'failed'
		 ELSE 'sending' END)::zalo_tthc.delivery_status AS status) s;

RESET session_replication_role;
SELECT setval('zalo_tthc.dossier_id_seq', :rows / 4), setval('zalo_tthc.dossier_event_id_seq', :rows),
	   setval('zalo_tthc.outbox_id_seq', :rows);

INSERT INTO zalo_tthc.delivery_total (stage, channel, status, notifications)
SELECT stage, channel, CASE WHEN status IN ('delivered', 'seen') THEN 'sent' ELSE status END, count(*)
FROM zalo_tthc.outbox WHERE status IN ('sent', 'delivered', 'seen', 'dead') GROUP BY 1, 2, 3
ON CONFLICT (stage, channel, status) DO UPDATE SET notifications = excluded.notifications;
