-- The Official Account's credentials (thông tin xác thực OA): one row,
-- readable by the extension owner only, and the database it belongs to.
--
-- A restored dump, a copy made with CREATE DATABASE ... TEMPLATE, or a
-- test server built from production must not send to citizens nor spend
-- the production refresh token.  The credentials remember the database
-- they were stored in (the cluster's system identifier and the database's
-- OID); the worker sends only from that database.  A promoted streaming
-- standby keeps both, so a failover sends on.  Moving production on
-- purpose (new hardware, pg_upgrade) is one call of
-- bind_oa_credentials() in the new database.

CREATE TABLE zalo_tthc.oa_credentials (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	app_id		text NOT NULL CHECK (app_id ~ '^[0-9]{1,19}$'),
	app_secret	text NOT NULL,
	access_token text NOT NULL,
	refresh_token text NOT NULL,
	expires_at	timestamptz NOT NULL,
	oa_secret_key text,
	reauthorization_required boolean NOT NULL DEFAULT false,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	bound_to	text
);
COMMENT ON TABLE zalo_tthc.oa_credentials IS
	'Thông tin xác thực OA: the single row of Official Account credentials. Readable by the extension owner only.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.app_id IS 'Zalo App ID.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.app_secret IS 'App Secret Key (sent as the secret_key header when refreshing tokens). Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.access_token IS 'OA access token. Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.refresh_token IS 'OA refresh token (single use). Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.expires_at IS 'Access token expiry.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.oa_secret_key IS 'OA Secret Key used to verify webhook signatures. Secret.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.reauthorization_required IS 'Cần cấp quyền lại: set when a token refresh was refused; sending pauses until new credentials are stored.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.updated_at IS 'Thời điểm cập nhật.';
COMMENT ON COLUMN zalo_tthc.oa_credentials.bound_to IS
	'The database the credentials were stored in (database_identity()): the worker sends only from it, so a restored copy or a clone never sends. NULL: bound by the worker at its next start.';

REVOKE ALL ON zalo_tthc.oa_credentials FROM PUBLIC;

CREATE FUNCTION zalo_tthc.database_identity()
RETURNS text
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'zt_database_identity_sql';
COMMENT ON FUNCTION zalo_tthc.database_identity() IS
	'This database as the OA credentials record it: the cluster''s system identifier and the database''s OID, as ''system_identifier/oid''. Owner only.';

CREATE FUNCTION zalo_tthc.set_oa_credentials(app_id text, app_secret text, access_token text,
	refresh_token text, expires_at timestamptz, oa_secret_key text DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
AS $$
	INSERT INTO zalo_tthc.oa_credentials AS c
		(id, app_id, app_secret, access_token, refresh_token, expires_at, oa_secret_key, bound_to)
	VALUES (true, app_id, app_secret, access_token, refresh_token, expires_at, oa_secret_key,
		zalo_tthc.database_identity())
	ON CONFLICT (id) DO UPDATE
	SET app_id = excluded.app_id, app_secret = excluded.app_secret,
		access_token = excluded.access_token, refresh_token = excluded.refresh_token,
		expires_at = excluded.expires_at, oa_secret_key = excluded.oa_secret_key,
		bound_to = excluded.bound_to, reauthorization_required = false, updated_at = now();
$$;
COMMENT ON FUNCTION zalo_tthc.set_oa_credentials(text, text, text, text, timestamptz, text) IS
	'Store the Official Account credentials (one row; replaces the previous ones and clears reauthorization_required), bound to this database: only it sends. Owner only.';

CREATE FUNCTION zalo_tthc.bind_oa_credentials()
RETURNS text
LANGUAGE sql
SET search_path = pg_catalog
AS $$
	UPDATE zalo_tthc.oa_credentials SET bound_to = zalo_tthc.database_identity(), updated_at = now()
	RETURNING bound_to;
$$;
COMMENT ON FUNCTION zalo_tthc.bind_oa_credentials() IS
	'Make this database the one that sends with the stored credentials (after moving production to new hardware or pg_upgrade); a copy that calls it sends to citizens and spends the refresh token. Returns the new binding. Owner only.';

REVOKE ALL ON FUNCTION zalo_tthc.set_oa_credentials(text, text, text, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.database_identity(), zalo_tthc.bind_oa_credentials() FROM PUBLIC;

CREATE TRIGGER oa_credentials_wake_worker
	AFTER INSERT OR UPDATE ON zalo_tthc.oa_credentials
	FOR EACH STATEMENT EXECUTE FUNCTION zalo_tthc.wake_worker_at_commit();
-- (also while a restore runs as a replica)
ALTER TABLE zalo_tthc.oa_credentials ENABLE ALWAYS TRIGGER oa_credentials_wake_worker;

-- pg_dump keeps its row (see stages.sql)
SELECT pg_catalog.pg_extension_config_dump('zalo_tthc.oa_credentials', '');
