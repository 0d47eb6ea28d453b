-- The very end of `make demo`: what a DBA on duty sees (README.md, Operations).
\set QUIET on
\pset footer off
\pset pager off

\echo '--- Operations: zalo_tthc.queue_summary (what is still waiting)'
SELECT status, channel, notifications, oldest_age, next_attempt_at FROM zalo_tthc.queue_summary;

\echo '--- Operations: a few lines of zalo_tthc.metrics() (Prometheus text)'
SELECT line AS "metrics()" FROM regexp_split_to_table(zalo_tthc.metrics(), E'\n') AS line
WHERE line ~ '^zalo_tthc_(worker_up|queue_depth\{status="pending"|notifications_total\{stage="received"|http_request_duration_seconds_(count|sum)|token_expiry_seconds)';
