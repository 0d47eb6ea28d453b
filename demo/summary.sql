-- The end of `make demo`: what the queue holds once the worker is done.
\set QUIET on
\pset footer off
\pset pager off

\echo '--- Summary: notifications by stage, channel and status'
SELECT stage, channel, kind, status, count(*) AS notifications
FROM zalo_tthc.outbox
GROUP BY stage, channel, kind, status
ORDER BY stage, channel, kind, status;

\echo '--- Summary: dossiers'
SELECT right(d.code, 4) AS "hồ sơ", d.applicant_name AS "người nộp", s.label_vi AS "giai đoạn hiện tại",
	   count(o.id) AS notifications,
	   count(o.id) FILTER (WHERE o.status IN ('sent', 'delivered', 'seen')) AS sent,
	   count(o.id) FILTER (WHERE o.status IN ('undeliverable', 'dead')) AS "not sent",
	   coalesce(string_agg(DISTINCT o.channel::text, ', ')
				FILTER (WHERE o.status IN ('sent', 'delivered', 'seen')), '–') AS "reached by"
FROM zalo_tthc.dossier d
JOIN zalo_tthc.stage_info s ON s.stage = d.stage
LEFT JOIN zalo_tthc.outbox o ON o.dossier_id = d.id
GROUP BY d.id, d.code, d.applicant_name, s.label_vi
ORDER BY d.code;
