# Upgrade 0.1.0 -> 0.2.0: a database installed at 0.1.0, with dossiers,
# edited configuration and delivered notifications, is updated with ALTER
# EXTENSION ... UPDATE.  Its data is intact, the new objects are there and
# work, and its schema is the schema of a fresh 0.2.0 install.
use strict;
use warnings;
use utf8;
use FindBin;
use IPC::Run;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "20000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('upgrade', $mock, extension_version => '0.1.0');
is($node->safe_psql('tthc', q{SELECT extversion FROM pg_extension WHERE extname = 'zalo_tthc'}), '0.1.0',
	'installed at 0.1.0');

# data of every kind, some of it sent by the worker on the 0.1.0 schema
for my $i (10 .. 14)
{
	seed_dossier($node, code => "000.00.04.H60-261124-20$i", phone => "09123420$i",
		follower => "20000000000000000$i");
}
move_stage($node, '000.00.04.H60-261124-2010', 'received');
# this library works with the 0.2.0 schema: on 0.1.0 its worker waits for
# ALTER EXTENSION ... UPDATE and sends nothing
ok($node->wait_for_log(qr/extension zalo_tthc 0\.2\.0 is not installed in database "tthc"; waiting/),
	'the worker waits for the update while the schema is still 0.1.0');
is(scalar @{ mock_requests($mock, '/v3.0/') }, 0, 'and sends nothing meanwhile');
# the notifications an older library had sent
$node->safe_psql('tthc', q{
	UPDATE zalo_tthc.outbox SET status = 'sent', attempts = 1, sent_at = now(),
		provider_msg_id = md5(id::text)::varchar(20)});
$node->safe_psql('tthc', q{
	UPDATE zalo_tthc.template SET header = 'Tiêu đề đã sửa' WHERE stage = 'assigned';
	INSERT INTO zalo_tthc.stage_transition VALUES ('submitted', 'returned');
	UPDATE zalo_tthc.outbox SET status = 'dead', last_error = 'marked dead by the test'
	WHERE id = (SELECT max(id) FROM zalo_tthc.outbox);
	INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu.pdf', '\x255044462d312e34'::bytea FROM zalo_tthc.dossier ORDER BY id LIMIT 1;});

# a fingerprint of every table's rows
my $data_sql = join(' UNION ALL ', map {
	# columns that 0.2.0 adds (outbox.payload, oa_credentials.bound_to) are
	# left out of the comparison
	"SELECT '$_', count(*), md5(coalesce(string_agg((to_jsonb(t) - 'payload' - 'bound_to')::text, '|'
		ORDER BY (to_jsonb(t) - 'payload' - 'bound_to')::text), '')) FROM zalo_tthc.$_ t"
} qw(stage_info stage_transition dossier dossier_event recipient template outbox delivery_attempt
	dossier_document oa_credentials));
my $before = $node->safe_psql('tthc', $data_sql);

$node->safe_psql('tthc', q{ALTER EXTENSION zalo_tthc UPDATE});
is($node->safe_psql('tthc', q{SELECT extversion FROM pg_extension WHERE extname = 'zalo_tthc'}), '0.2.0',
	'ALTER EXTENSION UPDATE reaches 0.2.0');
is($node->safe_psql('tthc', $data_sql), $before, 'every row of every 0.1.0 table is intact');
ok($node->poll_query_until('tthc', q{SELECT bound_to = zalo_tthc.database_identity() FROM zalo_tthc.oa_credentials}),
	'the worker binds the credentials stored by 0.1.0 to this database');
is($node->safe_psql('tthc', q{SELECT string_agg(status || ':' || notifications, ',' ORDER BY status)
	FROM zalo_tthc.delivery_total}), 'sent:5,dead:1', 'the totals start from the notifications already final');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.queue_summary}), '6', 'queue_summary works');

# the worker starts sending, now counting its outcomes
seed_dossier($node, code => '000.00.04.H60-261124-2015', phone => '0912342015', follower => '2000000000000000015');
wait_until($node, q{SELECT notifications FROM zalo_tthc.delivery_total
	WHERE stage = 'submitted' AND status = 'sent'}, '6', 'the worker counts its outcomes after the update');
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('after the update')});
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'paused', 'and obeys pause()');

# the schema equals a fresh 0.2.0 install: pg_dump --binary-upgrade dumps
# extension members one by one; lines with OIDs, transaction ids or
# sequence values differ
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', q{SET client_min_messages = warning; CREATE EXTENSION zalo_tthc CASCADE});
sub schema_dump
{
	my ($db) = @_;
	my ($out, $err);
	IPC::Run::run([ 'pg_dump', '--schema-only', '--binary-upgrade', '-d', $node->connstr($db) ],
		'>', \$out, '2>', \$err) or die "pg_dump $db: $err";
	return join("\n", grep {
		!/binary_upgrade_set_|binary_upgrade_create_empty_extension|relfrozenxid|pg_catalog.setval\(|^WHERE oid = |^\\(un)?restrict /
	} split(/\n/, $out));
}
my ($upgraded, $fresh) = (schema_dump('tthc'), schema_dump('fresh'));
ok(length($upgraded) > 10000, 'the dump holds the extension objects');
if ($upgraded eq $fresh)
{
	pass('the upgraded schema equals a fresh 0.2.0 install');
}
else
{
	my @a = split(/\n/, $upgraded);
	my @b = split(/\n/, $fresh);
	my @diff = grep { ($a[$_] // '') ne ($b[$_] // '') } 0 .. ($#a > $#b ? $#a : $#b);
	fail('the upgraded schema equals a fresh 0.2.0 install');
	diag("first difference at line $diff[0]:\n< " . ($a[ $diff[0] ] // '') . "\n> " . ($b[ $diff[0] ] // ''));
}
my $config_sql = q{SELECT string_agg(c::regclass::text || ' ' || quote_literal(w), ', ' ORDER BY c::regclass::text)
	FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, w) WHERE e.extname = 'zalo_tthc'};
is($node->safe_psql('tthc', $config_sql), $node->safe_psql('fresh', $config_sql),
	'the same tables and sequences are registered for pg_dump');

$node->stop;
stop_mock($mock);
done_testing();
