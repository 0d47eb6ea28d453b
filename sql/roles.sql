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
--
-- Each feature file grants and revokes the privileges on its own objects.
-- Functions nobody calls by hand are revoked from PUBLIC.  A trigger's
-- function is not checked when the trigger fires, so the extension's
-- triggers serve every role that writes its tables; EXECUTE is needed only
-- to attach a function to a table.  Left to PUBLIC, it would let any role
-- attach them to tables of its own and forge stage events, notifications
-- or wake-ups of the worker.  (The C triggers also refuse any table but
-- the one they were written for.)  The worker's and the webhook's helpers
-- run as the owner.  PUBLIC keeps the validation functions and those the
-- name index evaluates as whoever writes a dossier (name_terms, f_unaccent,
-- unaccent_dict, vn_lower).

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
