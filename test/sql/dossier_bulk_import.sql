-- zalo_tthc.bulk_import records historical stage changes as skipped
-- instead of notifying citizens; notify_zalo = false records opt-outs.
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
VALUES ('1111111111111111111', '+84933111222', 'Hoàng Văn Minh');

SET zalo_tthc.bulk_import = on;
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, stage,
	submitted_at, received_at, result_at, returned_at)
VALUES ('000.00.04.H60-200101-0001', 'Cấp giấy phép kinh doanh', 'Hoàng Văn Minh', '0933111222',
		'result_returned', '2020-01-01 08:00+07', '2020-01-01 09:00+07', '2020-01-10 10:00+07',
		'2020-01-11 15:00+07');
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, stage)
VALUES ('000.00.04.H60-200101-0002', 'Cấp giấy phép kinh doanh', 'Hoàng Văn Minh', '0933111222',
		'appraising');
UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-200101-0002';
-- transitions are still checked during an import
UPDATE zalo_tthc.dossier SET stage = 'submitted' WHERE code = '000.00.04.H60-200101-0002';
RESET zalo_tthc.bulk_import;

SELECT d.code, d.status_code, e.seq, e.stage_after, e.notify,
	   (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.event_id = e.id) AS outbox_rows
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
WHERE d.code LIKE '000.00.04.H60-200101-%'
ORDER BY d.code, e.seq;

-- after the import, the same dossier notifies again
UPDATE zalo_tthc.dossier SET stage = 'result_ready' WHERE code = '000.00.04.H60-200101-0002';
SELECT e.stage_after, e.notify, o.channel, o.status
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
LEFT JOIN zalo_tthc.outbox o ON o.event_id = e.id
WHERE d.code = '000.00.04.H60-200101-0002'
ORDER BY e.seq;

-- a citizen who opted out: events recorded as skipped_opt_out
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, notify_zalo)
VALUES ('000.00.04.H60-200101-0003', 'Cấp giấy phép kinh doanh', 'Hoàng Văn Minh', '0933111222', false);
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-200101-0003';
SELECT e.stage_after, e.notify,
	   (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.event_id = e.id) AS outbox_rows
FROM zalo_tthc.dossier d
JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id
WHERE d.code = '000.00.04.H60-200101-0003'
ORDER BY e.seq;

-- the setting is documented and off by default
SELECT name, setting, context, short_desc FROM pg_settings WHERE name = 'zalo_tthc.bulk_import';

-- only a superuser may turn it on: a role that writes dossiers could
-- otherwise silence every notification
CREATE ROLE zt_regress_importer NOLOGIN;
SET ROLE zt_regress_importer;
\set VERBOSITY sqlstate
SET zalo_tthc.bulk_import = on;
SELECT set_config('zalo_tthc.bulk_import', 'on', false);
\set VERBOSITY default
SHOW zalo_tthc.bulk_import;
RESET ROLE;
-- a superuser lets an import role turn it on (GRANT SET ON PARAMETER, or
-- ALTER ROLE ... SET zalo_tthc.bulk_import = on)
GRANT SET ON PARAMETER zalo_tthc.bulk_import TO zt_regress_importer;
SET ROLE zt_regress_importer;
SET zalo_tthc.bulk_import = on;
SHOW zalo_tthc.bulk_import;
RESET zalo_tthc.bulk_import;
RESET ROLE;
REVOKE SET ON PARAMETER zalo_tthc.bulk_import FROM zt_regress_importer;
DROP ROLE zt_regress_importer;
