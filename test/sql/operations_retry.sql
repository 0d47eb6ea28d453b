-- retry(id) queues one failed, dead or undeliverable notification again at
-- once with its attempts reset, and logs it; a notification Zalo accepted,
-- or one already waiting, is refused with the reason.
BEGIN;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-260702-0001', 'Đăng ký thường trú', 'Lý Thị Mai', '0933000002');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-260702-0001';
CREATE TEMP TABLE ids AS
SELECT o.stage, o.id FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-260702-0001';
UPDATE zalo_tthc.outbox SET status = 'dead', attempts = 8, last_error = 'HTTP 503'
WHERE id = (SELECT id FROM ids WHERE stage = 'received');

SELECT zalo_tthc.retry((SELECT id FROM ids WHERE stage = 'received'));
SELECT status, attempts, next_attempt_at <= now() AS due_now, last_error
FROM zalo_tthc.outbox WHERE id = (SELECT id FROM ids WHERE stage = 'received');
SELECT action, outbox_id = (SELECT id FROM ids WHERE stage = 'received') AS same_id, rows_affected, details,
	   actor = session_user AS by_session_user
FROM zalo_tthc.operator_log ORDER BY id DESC LIMIT 1;

-- refusals, with the notification id shown as N
CREATE FUNCTION pg_temp.refusal(id bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	PERFORM zalo_tthc.retry(id);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '\d+', 'N') || coalesce(E'\n' || nullif(detail, ''), '');
END
$$;
-- already waiting
SELECT pg_temp.refusal((SELECT id FROM ids WHERE stage = 'received'));
-- accepted by Zalo: a retry would send a duplicate
UPDATE zalo_tthc.outbox SET status = 'sent', sent_at = now() WHERE id = (SELECT id FROM ids WHERE stage = 'received');
SELECT pg_temp.refusal((SELECT id FROM ids WHERE stage = 'received'));
SELECT pg_temp.refusal(-1);
SELECT count(*) AS retries_logged FROM zalo_tthc.operator_log WHERE action = 'retry' AND at >= now();
ROLLBACK;
