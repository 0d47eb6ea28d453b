-- What the three set-ups of bench/attach.sh share, loaded once after the
-- one-stop dossiers (test/onestop): Zalo followers for about half the
-- applicants with a usable mobile number, so that notifications go by user
-- id or by phone as in production, and the stage moves a status-only
-- table makes (attach.sql explains why) added to the stage rules, so that
-- the clerk's saves of the benchmark are recorded rather than refused.
SET client_min_messages = warning;

INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed_at)
SELECT (7000000000000000000 + row_number() OVER (ORDER BY phone))::text, phone, 'Công dân', now()
FROM (SELECT DISTINCT zalo_tthc.normalize_phone(so_dien_thoai) AS phone
	  FROM motcua.ho_so
	  WHERE id % 2 = 0
		AND so_dien_thoai ~ '^\+?[0-9 .()-]+$'
		AND regexp_replace(so_dien_thoai, '[^0-9]', '', 'g') ~ '^(84|0)[35789][0-9]{8}$') AS mobiles;

INSERT INTO zalo_tthc.stage_transition (from_stage, to_stage)
VALUES ('assigned', 'result_ready'), ('supplement_requested', 'assigned'), ('payment_requested', 'assigned')
ON CONFLICT DO NOTHING;
