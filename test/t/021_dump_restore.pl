# pg_dump and pg_restore: a database with the extension, dossiers in every
# state, edited templates, stage rules and chat texts, credentials, Zalo
# links, queued and sent notifications, handled webhook events, the lookup
# audit and an operator pause, dumped and restored into a fresh database as
# README.md says (triggers off with session_replication_role = replica):
# every row is back, edits included, and the restored database goes on
# handing out new ids.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
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
	SELECT id, 'phieu.pdf', '\x255044462d312e34'::bytea FROM zalo_tthc.dossier ORDER BY id LIMIT 1;
	UPDATE zalo_tthc.chat_template SET body = 'Chào mừng ông/bà đến với Chính quyền số tỉnh Hà Giang (sửa)',
		updated_at = now() WHERE kind = 'welcome';
	INSERT INTO zalo_tthc.webhook_event (dedupe_key, event_name, zalo_user_id, occurred_at, action)
	VALUES (sha256('follow 2100000000000000010'), 'follow', '2100000000000000010', now(), 'recipient_followed'),
		(sha256('seen 1'), 'user_seen_message', '2100000000000000011', now(), 'marked_seen');});
# lookups leave audit rows, numbered by lookup_audit_id_seq
$node->safe_psql('tthc', q{SELECT * FROM zalo_tthc.lookup('000.00.04.H60-261124-2110')});
$node->safe_psql('tthc', q{SELECT * FROM zalo_tthc.lookup('000.00.04.H60-261124-2111')});

my @tables = qw(stage_info stage_transition dossier dossier_event recipient template outbox
  delivery_attempt dossier_document oa_credentials delivery_total operator_log worker_control
  chat_template webhook_event lookup_audit lookup_secret receipt_snapshot);
my $data_sql = join(' UNION ALL ', map {
	"SELECT '$_', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM zalo_tthc.$_ t"
} @tables);
my $before = $node->safe_psql('tthc', $data_sql);
my $audit_max = $node->safe_psql('tthc', q{SELECT max(id) FROM zalo_tthc.lookup_audit});
like($node->safe_psql('tthc', q{SELECT string_agg(status::text, ',' ORDER BY id) FROM zalo_tthc.outbox}),
	qr/sent.*pending/, 'the queue holds sent and pending notifications');

my ($restored, $restore_err) = dump_and_restore($node, 'tthc', 'restored');
ok($restored, 'pg_restore succeeds') or diag($restore_err);

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
is($node->safe_psql('restored', q{SELECT count(*) || ' ' || (SELECT body = 'Chào mừng ông/bà đến với Chính quyền số tỉnh Hà Giang (sửa)'
	FROM zalo_tthc.chat_template WHERE kind = 'welcome') FROM zalo_tthc.chat_template}),
	'7 true',
	'an edited chat text is restored, not the shipped one, with one row per kind');
is($node->safe_psql('restored', q{SELECT string_agg(event_name || ':' || action, ',' ORDER BY event_name)
	FROM zalo_tthc.webhook_event}), 'follow:recipient_followed,user_seen_message:marked_seen',
	'the handled webhook events are restored, so a replayed delivery is still ignored');

# the restored database works: new rows get new ids, rules and triggers apply
$node->safe_psql('restored', q{
	INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
	VALUES ('000.00.04.H60-261124-2115', 'Đăng ký khai sinh', 'Lê Thị Hoa', '0912342115');
	UPDATE zalo_tthc.dossier SET stage = 'returned', stage_note = 'Rút hồ sơ'
	WHERE code = '000.00.04.H60-261124-2115';});
is($node->safe_psql('restored', q{SELECT count(*) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-2115'}), '2',
	'a new dossier queues its notifications, with ids after the restored ones (the edited rule allowed the move)');
my ($ret, $lookup_out, $lookup_err) = $node->psql('restored',
	q{SELECT count(*) FROM zalo_tthc.lookup('000.00.04.H60-261124-2112')});
is($ret, 0, 'a lookup in the restored database is audited') or diag($lookup_err);
is($node->safe_psql('restored', q{SELECT count(*) || ' ' || max(id) FROM zalo_tthc.lookup_audit}),
	'3 ' . ($audit_max + 1), 'with the audit id after the restored ones');
$node->safe_psql('restored', q{SELECT zalo_tthc.resume()});
is($node->safe_psql('restored', q{SELECT string_agg(action, ',' ORDER BY id) FROM zalo_tthc.operator_log}),
	'pause,resume', 'the operator log goes on after the restored rows');

$node->stop;
stop_mock($mock);
done_testing();
