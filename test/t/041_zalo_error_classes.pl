# What the worker does with Zalo's error codes (src/zalo_client.c's table):
# an account problem of the phone channel (-137, no balance) holds
# those notices, keeps follower notices flowing, and lets them all go out
# once the balance is back; a citizen who restricted the OA (-244) gets no
# message by phone either; an undocumented code is retried, never made
# dead at once.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	{ user_id => '4100000000000000001', follower => JSON::PP::true },
	{ user_id => '4100000000000000002', follower => JSON::PP::true },
	{ user_id => '4100000000000000003', follower => JSON::PP::true } ]);
my $node = new_tthc_node('zalo_errors', $mock);

sub channels
{
	my ($code) = @_;
	return $node->safe_psql('tthc', qq{SELECT string_agg(o.channel || ':' || o.status, ',' ORDER BY o.id)
		FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code'});
}

# --- -137 on the phone channel: held, the follower channel keeps going ---
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/message/template', next => [ { fault => 'zalo_error', code => -137, count => 3 } ] });
my $phone_code = '000.00.04.H60-261205-4101';
seed_dossier($node, code => $phone_code, phone => '0987004101', name => 'Phạm Thị Dung');
move_stage($node, $phone_code, 'rejected');
wait_until($node, qq{SELECT o.status || ' ' || (o.last_error LIKE 'Zalo error -137%')
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$phone_code' AND o.channel = 'zns' AND o.stage = 'rejected'}, 'failed true',
	'-137 (no balance) holds the notice by phone, with the reason');
is($node->safe_psql('tthc', qq{SELECT o.attempts FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$phone_code' AND o.channel = 'zns' AND o.stage = 'rejected'}), '0',
	'without spending its attempts');
my $follower_code = '000.00.04.H60-261205-4102';
seed_dossier($node, code => $follower_code, phone => '0912004102', follower => '4100000000000000001');
move_stage($node, $follower_code, 'received');
wait_until($node, qq{SELECT string_agg(o.status::text, ',' ORDER BY o.id) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$follower_code' AND o.channel = 'zalo_oa'
	AND o.kind = 'stage'}, 'sent,sent', 'meanwhile the follower notices go out');
is($node->safe_psql('tthc', q{SELECT state <> 'paused' FROM zalo_tthc.worker_status()}), 't',
	'and sending is not paused');
wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$phone_code' AND o.channel = 'zns' AND o.stage = 'rejected'}, 'sent',
	'once the balance is back, the held notice is sent');

# --- -244: the citizen restricted this OA: no fallback by phone ---
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/v3.0/oa/message/template', next => [ { fault => 'zalo_error', code => -244, count => 1 } ] });
my $refused_code = '000.00.04.H60-261205-4103';
seed_dossier($node, code => $refused_code, phone => '0912004103', follower => '4100000000000000002',
	stage => 'received');
wait_until($node, qq{SELECT o.status || ' ' || (o.last_error LIKE 'Zalo error -244%')
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$refused_code' AND o.channel = 'zalo_oa'}, 'undeliverable true',
	'-244 ends the follower message');
sleep 1;
is(channels($refused_code), 'zalo_oa:undeliverable', 'and nothing is sent by phone');

# --- an undocumented code: retried, not dead ---
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/v3.0/oa/message/template', next => [ { fault => 'zalo_error', code => -99999, count => 2 } ] });
my $unknown_code = '000.00.04.H60-261205-4104';
seed_dossier($node, code => $unknown_code, phone => '0912004104', follower => '4100000000000000003');
wait_until($node, qq{SELECT o.status || ' ' || o.attempts FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$unknown_code'}, 'sent 3',
	'a notice that met an undocumented code twice is sent at the third attempt');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'dead'}), '0',
	'nothing is dead');

$node->stop;
stop_mock($mock);
done_testing();
