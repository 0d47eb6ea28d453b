-- operator_log is an audit trail: rows are added by the operator
-- functions and can be neither changed nor deleted.
\set ON_ERROR_ROLLBACK on
BEGIN;
SELECT zalo_tthc.pause('kiểm tra');
UPDATE zalo_tthc.operator_log SET actor = 'someone else';
DELETE FROM zalo_tthc.operator_log;
SELECT action, details FROM zalo_tthc.operator_log ORDER BY id DESC LIMIT 1;
ROLLBACK;
