# Bad input at the SQL surface: every function of the extension, whatever
# it is (it is found in the catalog, so new ones are swept too), called
# with NULLs, empty, blank and 1 MB strings, control characters, SQL
# metacharacters, values of other types cast to the parameter's type and
# seeded random text, once as a superuser and once as a role without any
# privilege.  No call may crash the server or end in an internal error
# (SQLSTATE class XX), a refused call may change no table of the extension
# (the operator's pause is one), and the role without privileges is refused every
# function not granted to PUBLIC.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $seed = $ENV{SOAK_SEED} // 1;
srand($seed);
my $mock = start_mock();
my $node = new_tthc_node('surface', $mock);
seed_dossier($node, code => '000.00.04.H60-261120-0001', phone => '0912345001',
	follower => '6000000000000000001');
$node->poll_query_until('tthc', q{SELECT count(*) = 0 FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')});
# the worker serves another database during the sweep, so that only the
# calls themselves change what the fingerprint covers
$node->append_conf('postgresql.conf', "zalo_tthc.database_name = 'postgres'\n");
$node->restart;

# seeded random text: code points from the whole BMP, controls included
my @random;
for (1 .. 6)
{
	my $s = join '', map {
		my $c = int(rand(0xFFFE)) + 1;
		$c = 0x41 if $c >= 0xD800 && $c <= 0xDFFF;
		chr($c)
	} 1 .. 1 + int(rand(200));
	$s =~ s/'/''/g;
	push @random, "'$s'";
}
my $random_values = join(', ', map { "($_)" } @random);

$node->safe_psql('tthc', qq{
CREATE ROLE sweep_nobody LOGIN;
CREATE SCHEMA sweep;
GRANT USAGE ON SCHEMA sweep TO sweep_nobody;
CREATE TABLE sweep.result (fn text, args text, role text, sqlstate text, message text, changed bool);
GRANT INSERT ON sweep.result TO sweep_nobody;
CREATE TABLE sweep.random_text (v text);
INSERT INTO sweep.random_text VALUES $random_values;
GRANT SELECT ON sweep.random_text TO sweep_nobody;

-- the extension's tables and the worker's shared state, as one digest
CREATE FUNCTION sweep.fingerprint() RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS \$\$
DECLARE
	rel regclass;
	digest text;
	acc text := '';
BEGIN
	FOR rel IN
		SELECT c.oid::regclass FROM pg_class c
		JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
		JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'zalo_tthc'
		WHERE c.relkind = 'r' ORDER BY 1
	LOOP
		EXECUTE format('SELECT md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) FROM %s x', rel)
			INTO digest;
		acc := acc || rel::text || ':' || digest || ' ';
	END LOOP;
	RETURN md5(acc);
END
\$\$;
GRANT EXECUTE ON FUNCTION sweep.fingerprint() TO sweep_nobody;

-- SQL expressions to try for a parameter of a type; the first is the
-- ordinary value used while another parameter is varied
CREATE FUNCTION sweep.values_for(t oid) RETURNS text[] LANGUAGE plpgsql AS \$\$
DECLARE
	labels text[];
BEGIN
	CASE
	WHEN t IN ('text'::regtype, 'varchar'::regtype, 'name'::regtype) THEN
		RETURN ARRAY['''x''', 'NULL', '''''', ''' ''', 'repeat(''x'', 1000000)',
			'E''\\x01\\x02\\x1b[31m\\t\\n''', '\$q\$''; DROP TABLE zalo_tthc.dossier; --\$q\$',
			'''TTHC 000.00.04.H60-230230-0028''', '''000.00.04.H60-261120-0001''', '''Nguyễn Văn An''',
			'''008090001234''', '''0912345001''', '12345::int::text', '''{"a":[1,2]}''::jsonb::text',
			'now()::text', '''\\xdeadbeef''::bytea::text', '(SELECT v FROM sweep.random_text LIMIT 1)',
			'(SELECT v FROM sweep.random_text OFFSET 3 LIMIT 1)',
			'(SELECT string_agg(v, '' '') FROM sweep.random_text)'];
	WHEN t IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
		RETURN ARRAY['1', 'NULL', '0', '-1', '32767', '''12''::text::int', '(2^31 - 1)::int'];
	WHEN t = 'numeric'::regtype THEN
		RETURN ARRAY['1', 'NULL', '0', '-1', '1e20', '''NaN''::numeric'];
	WHEN t IN ('float4'::regtype, 'float8'::regtype) THEN
		RETURN ARRAY['1', 'NULL', '0', '-1', '''Infinity''', '''NaN'''];
	WHEN t = 'bool'::regtype THEN
		RETURN ARRAY['false', 'NULL', 'true', '''yes''::text::bool'];
	WHEN t IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
		RETURN ARRAY['now()', 'NULL', '''infinity''', '''-infinity''', '''1900-01-01''', '''2999-12-31'''];
	WHEN t = 'interval'::regtype THEN
		RETURN ARRAY['''1 hour''', 'NULL', '''-1 year''', '''0'''];
	WHEN t IN ('jsonb'::regtype, 'json'::regtype) THEN
		RETURN ARRAY['''{}''', 'NULL', '''[]''', '''"x"''', '''1''', '''null''',
			'(repeat(''['', 2000) || repeat('']'', 2000))',
			'(SELECT jsonb_object_agg(i::text, i) FROM generate_series(1, 20000) i)::text',
			'''{"event_name":"follow","app_id":1}'''];
	WHEN t = 'bytea'::regtype THEN
		RETURN ARRAY['''\\x00''', 'NULL', '''''', 'convert_to((SELECT v FROM sweep.random_text LIMIT 1), ''UTF8'')'];
	WHEN t = 'anyelement'::regtype THEN
		RETURN ARRAY['NULL::text'];
	ELSE
		SELECT array_agg(quote_literal(enumlabel) ORDER BY enumsortorder) INTO labels
		FROM pg_enum WHERE enumtypid = t;
		RETURN coalesce(labels[1:2], ARRAY[]::text[]) || ARRAY['NULL'];
	END CASE;
END
\$\$;

-- call every function of the extension with every value in every
-- position, recording how each call ended
CREATE PROCEDURE sweep.run(who text) LANGUAGE plpgsql AS \$\$
DECLARE
	f record;
	vals text[];
	args text[];
	argstr text;
	before text;
	state text;
	msg text;
BEGIN
	FOR f IN
		SELECT p.oid, p.oid::regprocedure::text AS sig, string_to_array(p.proargtypes::text, ' ')::oid[] AS types,
			   p.prokind, format('%I.%I', n.nspname, p.proname) AS fname
		FROM pg_proc p
		JOIN pg_namespace n ON n.oid = p.pronamespace
		JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
		JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'zalo_tthc'
		ORDER BY 2
	LOOP
		FOR pos IN 0 .. greatest(cardinality(f.types), 1) - 1 LOOP
			vals := CASE WHEN cardinality(f.types) = 0 THEN ARRAY[NULL::text]
						 ELSE sweep.values_for(f.types[pos + 1]) END;
			FOR v IN 1 .. cardinality(vals) LOOP
				args := ARRAY[]::text[];
				FOR i IN 1 .. cardinality(f.types) LOOP
					args := args || ((CASE WHEN i = pos + 1 THEN vals[v]
										ELSE (sweep.values_for(f.types[i]))[1] END)
									 || '::' || format_type(f.types[i], NULL));
				END LOOP;
				argstr := array_to_string(args, ', ');
				before := sweep.fingerprint();
				state := '00000';
				msg := NULL;
				BEGIN
					IF f.prokind = 'p' THEN
						EXECUTE format('CALL %s(%s)', f.fname, argstr);
					ELSE
						EXECUTE format('SELECT count(*) FROM (SELECT %s(%s)) x', f.fname, argstr);
					END IF;
				EXCEPTION WHEN OTHERS THEN
					GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
				END;
				INSERT INTO sweep.result
				VALUES (f.sig, left(argstr, 200), who, state, left(msg, 200), sweep.fingerprint() <> before);
				COMMIT;
			END LOOP;
		END LOOP;
	END LOOP;
END
\$\$;
GRANT EXECUTE ON PROCEDURE sweep.run(text) TO sweep_nobody;
GRANT EXECUTE ON FUNCTION sweep.values_for(oid) TO sweep_nobody;
});

my ($ok, $out, $err);
$ok = $node->psql('tthc', q{CALL sweep.run('superuser')}, stdout => \$out, stderr => \$err, on_error_stop => 1);
is($ok, 0, 'the sweep as a superuser ran to the end') or diag($err);
$ok = $node->psql('tthc', q{CALL sweep.run('no privilege')}, stdout => \$out, stderr => \$err,
	on_error_stop => 1, extra_params => [ '-U', 'sweep_nobody' ]);
is($ok, 0, 'the sweep as a role without privileges ran to the end') or diag($err);
is($node->safe_psql('tthc', 'SELECT 1'), '1', 'the server is up');
ok(!$node->log_contains('terminated by signal'), 'no backend crashed');

my $calls = $node->safe_psql('tthc', q{SELECT count(*) FROM sweep.result});
my $functions = $node->safe_psql('tthc', q{SELECT count(DISTINCT fn) FROM sweep.result});
ok($functions >= 10 && $calls > 100, "$calls calls of $functions functions");
is($node->safe_psql('tthc', q{SELECT string_agg(DISTINCT fn || ' (' || sqlstate || ': ' || message || ')', E'\n')
	FROM sweep.result WHERE sqlstate LIKE 'XX%' OR sqlstate LIKE '58%'}), '',
	'no call ends in an internal or system error');
is($node->safe_psql('tthc', q{SELECT string_agg(DISTINCT fn || ' ' || args, E'\n')
	FROM sweep.result WHERE sqlstate <> '00000' AND changed}), '',
	'no refused call changed anything');
is($node->safe_psql('tthc', q{SELECT string_agg(DISTINCT r.fn, E'\n') FROM sweep.result r
	WHERE r.role = 'no privilege' AND r.sqlstate <> '42501'
	  AND NOT has_function_privilege('sweep_nobody', r.fn::regprocedure, 'EXECUTE')}), '',
	'the role without privileges is refused every function not granted to PUBLIC');
diag($node->safe_psql('tthc', q{SELECT sqlstate, fn, args, message FROM sweep.result WHERE role = 'superuser' AND sqlstate LIKE '42%' LIMIT 8})) if $ENV{SWEEP_DEBUG};
diag("sweep: $calls calls of $functions functions; outcomes by SQLSTATE class: "
	  . $node->safe_psql('tthc', q{SELECT string_agg(c || ' ' || n, ', ' ORDER BY n DESC)
		FROM (SELECT left(sqlstate, 2) AS c, count(*) AS n FROM sweep.result GROUP BY 1) x}));

$node->stop;
stop_mock($mock);
done_testing();
