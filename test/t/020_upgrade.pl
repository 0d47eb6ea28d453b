# Upgrade 0.2.0 -> 1.0.0: a database created at 0.2.0, the development
# schema before the first release (test/upgrade/zalo_tthc--0.2.0.sql, what
# make demo and test servers installed), holding dossiers, edited
# configuration, delivered notifications, a chat message, lookups and
# operator actions, is updated with ALTER EXTENSION ... UPDATE.  Every row
# and sequence is intact, the worker sends, and the catalog is that of a
# fresh 1.0.0 install built from the feature files of sql/: same objects,
# column order, defaults, constraints, index predicates, function bodies,
# comments and privileges, and the same shipped configuration rows.
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
my $node = new_tthc_node('upgrade', $mock, extension_version => '0.2.0');
is($node->safe_psql('tthc', q{SELECT extversion FROM pg_extension WHERE extname = 'zalo_tthc'}), '0.2.0',
	'installed at 0.2.0');

# this library works with the 1.0.0 schema: on 0.2.0 its worker waits for
# ALTER EXTENSION ... UPDATE and sends nothing
ok($node->wait_for_log(qr/extension zalo_tthc 1\.0\.0 is not installed in database "tthc"; waiting/),
	'the worker waits for the update while the schema is still 0.2.0');

# data of every kind, as a 0.2.0 database holds it
$node->safe_psql('tthc', q{
	SELECT zalo_tthc.enqueue_chat_message(NULL, 'welcome', 'welcome-upgrade',
		zalo_tthc.cs_text_message('2000000000000000010', 'Xin chào'))});
for my $i (10 .. 14)
{
	seed_dossier($node, code => "000.00.04.H60-261124-20$i", phone => "09123420$i",
		follower => "20000000000000000$i");
}
move_stage($node, '000.00.04.H60-261124-2010', 'received');
is(scalar @{ mock_requests($mock, '/v3.0/') }, 0, 'nothing is sent meanwhile');
# the notifications a 0.2.0 worker had sent, and its totals
$node->safe_psql('tthc', q{
	UPDATE zalo_tthc.outbox SET status = 'sent', attempts = 1, sent_at = now(),
		provider_msg_id = md5(id::text)::varchar(20);
	UPDATE zalo_tthc.outbox SET status = 'dead', last_error = 'marked dead by the test'
	WHERE id = (SELECT max(id) FROM zalo_tthc.outbox);
	INSERT INTO zalo_tthc.delivery_total (stage, channel, status, notifications)
	SELECT stage, channel, status, count(*) FROM zalo_tthc.outbox WHERE stage IS NOT NULL
	GROUP BY 1, 2, 3;
	INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at, latency_ms,
		http_status, zalo_error, outcome)
	SELECT id, 1, 'transaction', now(), 12.5, 200, 0, 'ok' FROM zalo_tthc.outbox;
	UPDATE zalo_tthc.template SET header = 'Tiêu đề đã sửa' WHERE stage = 'assigned';
	UPDATE zalo_tthc.chat_template SET body = 'Lời chào đã sửa' WHERE kind = 'welcome';
	INSERT INTO zalo_tthc.stage_transition VALUES ('submitted', 'returned');
	INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu.pdf', '\x255044462d312e34'::bytea FROM zalo_tthc.dossier ORDER BY id LIMIT 1;
	INSERT INTO zalo_tthc.webhook_event (dedupe_key, event_name, zalo_user_id, occurred_at, action)
	VALUES (sha256('follow'), 'follow', '2000000000000000010', now(), 'recipient_followed');
	INSERT INTO zalo_tthc.webhook_pending_receipt (kind, match_key, occurred_at)
	VALUES ('seen', 'msg-not-yet-known', now());});
$node->safe_psql('tthc', q{
	SELECT count(*) FROM zalo_tthc.lookup('000.00.04.H60-261124-2010');
	SELECT zalo_tthc.pause('before the update');
	SELECT zalo_tthc.resume();});

# a fingerprint of every table's rows and every sequence's position (but
# template, whose shipped rows take the 1.0.0 ZBS templates: checked below)
my @tables = split(/\n/, $node->safe_psql('tthc', q{SELECT relname FROM pg_class
	WHERE relnamespace = 'zalo_tthc'::regnamespace AND relkind = 'r' AND relname <> 'template'
	ORDER BY relname}));
my @sequences = split(/\n/, $node->safe_psql('tthc', q{SELECT relname FROM pg_class
	WHERE relnamespace = 'zalo_tthc'::regnamespace AND relkind = 'S' ORDER BY relname}));
my $data_sql = join(' UNION ALL ',
	# (the columns of attached dossiers are new in 1.0.0: NULL in every row an update carries over)
	(map { "SELECT '$_', count(*) || ' ' || md5(coalesce(string_agg((to_jsonb(t) - '{source,applicant_id_key,applicant_id_last4}'::text[])::text, '|'
		ORDER BY (to_jsonb(t) - '{source,applicant_id_key,applicant_id_last4}'::text[])::text), '')) FROM zalo_tthc.$_ t" } @tables),
	(map { "SELECT '$_', last_value || ' ' || is_called FROM zalo_tthc.$_" } @sequences));
my $before = $node->safe_psql('tthc', $data_sql);
is(join(' ', map { (split /\|/)[0] } grep { /^\w+\|0 / } split(/\n/, $before)), '',
	'every table holds rows before the update');

$node->safe_psql('tthc', q{ALTER EXTENSION zalo_tthc UPDATE});
is($node->safe_psql('tthc', q{SELECT extversion FROM pg_extension WHERE extname = 'zalo_tthc'}), '1.0.0',
	'ALTER EXTENSION UPDATE reaches 1.0.0');
is($node->safe_psql('tthc', $data_sql), $before, 'every row of every table and every sequence are intact');

# the worker starts sending, counting its outcomes on the totals of 0.2.0
seed_dossier($node, code => '000.00.04.H60-261124-2015', phone => '0912342015', follower => '2000000000000000015');
wait_until($node, q{SELECT notifications FROM zalo_tthc.delivery_total
	WHERE stage = 'submitted' AND channel = 'zalo_oa' AND status = 'sent'}, '6',
	'the worker sends and counts its outcomes after the update');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.queue_summary}), '6', 'queue_summary works');
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('after the update')});
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'paused', 'and obeys pause()');

# the catalog equals a fresh 1.0.0 install: pg_dump --binary-upgrade dumps
# extension members one by one, with their comments, privileges (and which
# of them the extension set) and the values of columns added with a
# default; lines with OIDs, transaction ids, sequence values or the version
# differ
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', q{SET client_min_messages = warning; CREATE EXTENSION zalo_tthc CASCADE});
sub schema_dump
{
	my ($db) = @_;
	my ($out, $err);
	IPC::Run::run([ 'pg_dump', '--schema-only', '--binary-upgrade', '-d', $node->connstr($db) ],
		'>', \$out, '2>', \$err) or die "pg_dump $db: $err";
	return join("\n", grep {
		!/binary_upgrade_set_next_|binary_upgrade_create_empty_extension|relfrozenxid|pg_catalog.setval\(|^WHERE oid = |^\\(un)?restrict /
	} split(/\n/, $out)) . "\n";
}
my ($upgraded, $fresh) = (schema_dump('tthc'), schema_dump('fresh'));
ok(length($upgraded) > 10000, 'the dump holds the extension objects');
if ($upgraded eq $fresh)
{
	pass('the upgraded catalog equals a fresh 1.0.0 install');
}
else
{
	my $dir = $PostgreSQL::Test::Utils::tmp_check;
	PostgreSQL::Test::Utils::append_to_file("$dir/schema_fresh.sql", $fresh);
	PostgreSQL::Test::Utils::append_to_file("$dir/schema_upgraded.sql", $upgraded);
	my $diff;
	IPC::Run::run([ 'diff', '-u', "$dir/schema_fresh.sql", "$dir/schema_upgraded.sql" ], '>', \$diff);
	fail('the upgraded catalog equals a fresh 1.0.0 install');
	my @lines = split(/\n/, $diff);
	diag(join("\n", @lines[ 0 .. ($#lines < 200 ? $#lines : 200) ]));
}
my $config_sql = q{SELECT string_agg(c::regclass::text || ' ' || quote_literal(w), ', ' ORDER BY c::regclass::text)
	FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, w) WHERE e.extname = 'zalo_tthc'};
is($node->safe_psql('tthc', $config_sql), $node->safe_psql('fresh', $config_sql),
	'the same tables and sequences are registered for pg_dump');

# the rows a fresh install ships are those a 0.2.0 install shipped, as the
# update leaves them
$node->safe_psql('postgres', 'CREATE DATABASE fresh_020');
$node->safe_psql('fresh_020', q{SET client_min_messages = warning; CREATE EXTENSION zalo_tthc VERSION '0.2.0' CASCADE});
$node->safe_psql('fresh_020', q{ALTER EXTENSION zalo_tthc UPDATE});
my $shipped_sql = join(' UNION ALL ', map {
	"SELECT '$_', count(*) || ' ' || md5(string_agg((to_jsonb(t) - 'updated_at')::text, '|'
		ORDER BY (to_jsonb(t) - 'updated_at')::text)) FROM zalo_tthc.$_ t"
} qw(stage_info stage_transition template chat_template));
is($node->safe_psql('fresh', $shipped_sql), $node->safe_psql('fresh_020', $shipped_sql),
	'a fresh install ships the stage rules, templates and chat texts of an updated 0.2.0');
my $zbs_sql = q{SELECT string_agg(stage || ' ' || coalesce(zbs_template_id, '-') || ' ' || zbs_params::text
	|| ' ' || by_phone, '|' ORDER BY stage) FROM zalo_tthc.template};
is($node->safe_psql('tthc', $zbs_sql), $node->safe_psql('fresh', $zbs_sql),
	'the updated database names the ZBS templates of a fresh install');
is($node->safe_psql('tthc', q{SELECT header = 'Tiêu đề đã sửa' FROM zalo_tthc.template WHERE stage = 'assigned'}), 't',
	'and keeps what the operator edited');

$node->stop;
stop_mock($mock);
done_testing();
