-- ---------------------------------------------------------------------
-- Roles (least privilege)
--
-- zalo_tthc_portal: the one-stop portal and its Zalo chat; EXECUTE on the
--   lookup, receipt and webhook functions only, no table access.
-- zalo_tthc_operator: the DBAs on duty; reads the monitoring views and
--   re-queues notifications.
-- The extension owner alone reads or replaces the OA credentials.
--
-- Roles belong to the cluster, not to the database: they are created when
-- missing and kept when the extension is dropped.  Grant them to login
-- roles, e.g. GRANT zalo_tthc_portal TO portal_app.
-- ---------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'zalo_tthc_portal') THEN
		CREATE ROLE zalo_tthc_portal NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'zalo_tthc_operator') THEN
		CREATE ROLE zalo_tthc_operator NOLOGIN;
	END IF;
END
$$;
COMMENT ON ROLE zalo_tthc_portal IS
	'zalo_tthc: the one-stop portal (Tra cứu hồ sơ, Zalo webhooks); EXECUTE on its functions only.';
COMMENT ON ROLE zalo_tthc_operator IS
	'zalo_tthc: operators (DBAs on duty); monitoring views and re-queueing.';

GRANT USAGE ON SCHEMA zalo_tthc TO zalo_tthc_portal, zalo_tthc_operator;

