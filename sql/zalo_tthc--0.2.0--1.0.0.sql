/* zalo_tthc 0.2.0 -> 1.0.0 */

\echo Use "ALTER EXTENSION zalo_tthc UPDATE" to load this file. \quit

-- 1.0.0 is the first release.  Its objects are those of 0.2.0, the
-- development schema that earlier builds (make demo, test servers)
-- installed, written once per feature file instead of as an install script
-- and the changes made to it since: the catalog is the same, so a database
-- at 0.2.0 has nothing to change.  test/t/020_upgrade.pl checks that an
-- updated database and a fresh install are the same.
