/* zalo_tthc 0.2.0 -> 1.0.0 */

\echo Use "ALTER EXTENSION zalo_tthc UPDATE" to load this file. \quit

-- 1.0.0 is the first release.  Its objects are those of 0.2.0, the
-- development schema that earlier builds (make demo, test servers)
-- installed, written once per feature file instead of as an install script
-- and the changes made to it since.  The catalog is the same but for what
-- follows.  test/t/020_upgrade.pl checks that an updated database and a
-- fresh install are the same.

-- the postgres_exporter queries moved from contrib/ to monitoring/
COMMENT ON FUNCTION zalo_tthc.metrics() IS
	'Prometheus text exposition (version 0.0.4) of the queue, the outcome totals, the request latency histogram, the token expiry and the worker; see monitoring/postgres_exporter/queries.yaml for the same through postgres_exporter.';
