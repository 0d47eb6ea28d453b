-- pg_dump keeps the rows of an extension's table and the position of its
-- sequence only when they are registered with pg_extension_config_dump:
-- every table and sequence of the schema holds configuration or data, so
-- every one is registered (a new one that is not fails here).
BEGIN;
SELECT plan(2);

SELECT is(ARRAY(SELECT c.oid::regclass::text FROM pg_class c
				WHERE c.relnamespace = 'zalo_tthc'::regnamespace AND c.relkind IN ('r', 'S')
				  AND c.oid <> ALL (coalesce((SELECT extconfig FROM pg_extension WHERE extname = 'zalo_tthc'), '{}'))
				ORDER BY 1),
	'{}'::text[], 'every table and sequence of zalo_tthc is registered for pg_dump');

-- the shipped configuration is dumped whole; a restored row replaces the
-- shipped row of the same key
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
				WHERE c.relnamespace = 'zalo_tthc'::regnamespace AND c.relkind = 'r'
				  AND EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgenabled = 'A'
							  AND t.tgfoid = 'zalo_tthc.merge_config_row'::regproc)
				ORDER BY 1),
	ARRAY['chat_template', 'stage_info', 'stage_transition', 'template'],
	'the tables the extension fills merge restored rows, also while restoring as a replica');

SELECT * FROM finish();
ROLLBACK;
