-- pause() and resume() keep the operator's decision in worker_control
-- (one row, kept across restarts) and log each call; a second resume()
-- changes nothing and says so in the log.
BEGIN;
SELECT count(*) AS control_rows FROM zalo_tthc.worker_control;
SELECT zalo_tthc.pause('Bảo trì OA');
SELECT paused, reason, changed_by = session_user AS by_session_user FROM zalo_tthc.worker_control;
SELECT zalo_tthc.pause('Bảo trì OA, kéo dài');
SELECT count(*) AS control_rows, bool_and(paused) AS paused, max(reason) AS reason FROM zalo_tthc.worker_control;
SELECT zalo_tthc.resume();
SELECT zalo_tthc.resume();
SELECT paused, reason FROM zalo_tthc.worker_control;
SELECT action, rows_affected, details FROM zalo_tthc.operator_log
WHERE action IN ('pause', 'resume') ORDER BY id;
ROLLBACK;
