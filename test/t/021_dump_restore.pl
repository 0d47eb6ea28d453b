# pg_dump and pg_restore: a database with the extension, dossiers in every
# state, edited templates and stage rules, credentials, Zalo links, queued
# and sent notifications and an operator pause, dumped and restored into a
# fresh database as README.md says (triggers off with
# session_replication_role = replica): every row is back, edits included,
# and the restored database goes on handing out new ids.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "21000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('dump', $mock);

for my $i (10 .. 13)
{
	seed_dossier($node, code => "000.00.04.H60-261124-21$i", phone => "09123421$i",
		follower => "21000000000000000$i");
}
move_stage($node, '000.00.04.H60-261124-2110', 'received');
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox}, '5', 'five sent');
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('before the dump')});
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'paused', 'paused');
move_stage($node, '000.00.04.H60-261124-2111', 'received');
seed_dossier($node, code => '000.00.04.H60-261124-2114', phone => '0987654321');
$node->safe_psql('tthc', q{
	UPDATE zalo_tthc.template SET header = 'Hồ sơ đang được xử lý (sửa)' WHERE stage = 'assigned';
	UPDATE zalo_tthc.stage_info SET label_vi = 'Tiếp nhận (sửa)' WHERE stage = 'received';
	INSERT INTO zalo_tthc.stage_transition VALUES ('submitted', 'returned');
	INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu.pdf', '\x255044462d312e34'::bytea FROM zalo_tthc.dossier ORDER BY id LIMIT 1;});

my @tables = qw(stage_info stage_transition dossier dossier_event recipient template outbox
  delivery_attempt dossier_document oa_credentials delivery_total operator_log worker_control);
my $data_sql = join(' UNION ALL ', map {
	"SELECT '$_', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM zalo_tthc.$_ t"
} @tables);
my $before = $node->safe_psql('tthc', $data_sql);
like($node->safe_psql('tthc', q{SELECT string_agg(status::text, ',' ORDER BY id) FROM zalo_tthc.outbox}),
	qr/sent.*pending/, 'the queue holds sent and pending notifications');

my $dump = PostgreSQL::Test::Utils::tempdir() . '/tthc.dump';
my ($out, $err);
IPC::Run::run([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('tthc') ], '>', \$out, '2>', \$err)
  or die "pg_dump: $err";
$node->safe_psql('postgres', 'CREATE DATABASE restored');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	ok(IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
		'>', \$out, '2>', \$err), 'pg_restore succeeds') or diag($err);
}

my $after = $node->safe_psql('restored', $data_sql);
is($after, $before, 'every table is restored row for row: ' . join(', ', @tables));
is($node->safe_psql('restored', q{SELECT header = 'Hồ sơ đang được xử lý (sửa)' FROM zalo_tthc.template
	WHERE stage = 'assigned'}), 't', 'an edited template is restored, not the shipped one');
is($node->safe_psql('restored', q{SELECT count(*) FROM zalo_tthc.template}), '14',
	'one template per stage, no duplicate');
is($node->safe_psql('restored', q{SELECT access_token || '|' || app_id FROM zalo_tthc.oa_credentials}),
	'AT_0|1234567890123456789', 'the credentials are restored');
is($node->safe_psql('restored', q{SELECT count(*) FROM zalo_tthc.recipient WHERE followed}), '4',
	'the Zalo links are restored');
is($node->safe_psql('restored', q{SELECT paused FROM zalo_tthc.worker_control}), 't',
	'the operator pause is restored');

# the restored database works: new rows get new ids, rules and triggers apply
$node->safe_psql('restored', q{
	INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
	VALUES ('000.00.04.H60-261124-2115', 'Đăng ký khai sinh', 'Lê Thị Hoa', '0912342115');
	UPDATE zalo_tthc.dossier SET stage = 'returned', stage_note = 'Rút hồ sơ'
	WHERE code = '000.00.04.H60-261124-2115';});
is($node->safe_psql('restored', q{SELECT count(*) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-2115'}), '2',
	'a new dossier queues its notifications, with ids after the restored ones (the edited rule allowed the move)');
$node->safe_psql('restored', q{SELECT zalo_tthc.resume()});
is($node->safe_psql('restored', q{SELECT string_agg(action, ',' ORDER BY id) FROM zalo_tthc.operator_log}),
	'pause,resume', 'the operator log goes on after the restored rows');

$node->stop;
stop_mock($mock);
done_testing();
