-- The extension's trigger functions fire on its own tables whoever writes
-- them (a trigger's function is not checked at firing time), so nobody
-- needs EXECUTE on them: with it, a role could attach them to a table of
-- its own and forge stage events, notifications or wake-ups.  PUBLIC may
-- execute only the helpers meant for everyone: the validation functions
-- and the functions the name index evaluates as whoever writes a dossier.
BEGIN;
SELECT plan(8);

CREATE ROLE zt_tap_trigger_portal NOLOGIN IN ROLE zalo_tthc_portal;
CREATE ROLE zt_tap_trigger_operator NOLOGIN IN ROLE zalo_tthc_operator;
-- the application's writer: writes dossiers, reads the stage rules
CREATE ROLE zt_tap_trigger_writer NOLOGIN;
GRANT USAGE ON SCHEMA zalo_tthc TO zt_tap_trigger_writer;
GRANT SELECT, INSERT, UPDATE ON zalo_tthc.dossier TO zt_tap_trigger_writer;
GRANT SELECT ON zalo_tthc.stage_info, zalo_tthc.stage_transition TO zt_tap_trigger_writer;

CREATE TEMP VIEW trigger_function AS
SELECT p.oid, p.proname FROM pg_proc p
WHERE p.pronamespace = 'zalo_tthc'::regnamespace AND p.prorettype = 'trigger'::regtype;

SELECT is((SELECT count(*)::integer FROM trigger_function), 12,
	'the schema has twelve trigger functions');

-- PUBLIC: an empty ACL is the default, which grants EXECUTE to PUBLIC
SELECT is((SELECT coalesce(array_agg(t.proname::text ORDER BY t.proname), '{}') FROM trigger_function t
		   JOIN pg_proc p USING (oid)
		   WHERE p.proacl IS NULL
			  OR EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')),
	'{}'::text[], 'PUBLIC may execute no trigger function');

SELECT is((SELECT coalesce(array_agg(proname::text ORDER BY proname), '{}') FROM trigger_function
		   WHERE has_function_privilege(r, oid, 'EXECUTE')),
	'{}'::text[], r || ' may execute no trigger function')
FROM unnest(ARRAY['zalo_tthc_portal', 'zalo_tthc_operator', 'zt_tap_trigger_portal',
				  'zt_tap_trigger_operator', 'zt_tap_trigger_writer']) r;

-- every function PUBLIC may execute is one meant for everyone
SELECT is((SELECT coalesce(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), '{}')
		   FROM pg_proc p
		   WHERE p.pronamespace = 'zalo_tthc'::regnamespace
			 AND (p.proacl IS NULL
				  OR EXISTS (SELECT FROM aclexplode(p.proacl) a
							 WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))),
	ARRAY['zalo_tthc.f_unaccent(text)', 'zalo_tthc.is_standard_dossier_code(text)',
		  'zalo_tthc.name_terms(text)', 'zalo_tthc.normalize_dossier_code(text)',
		  'zalo_tthc.normalize_id_number(text)', 'zalo_tthc.normalize_phone(text)',
		  'zalo_tthc.unaccent_dict(regdictionary,text)', 'zalo_tthc.vn_lower(text)'],
	'PUBLIC may execute the validation helpers and the name index functions, nothing else');

SELECT * FROM finish();
ROLLBACK;
