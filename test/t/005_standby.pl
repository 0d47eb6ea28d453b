# Only a primary sends: a streaming standby runs no worker and sends
# nothing; once promoted, its worker finishes the queue.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock_a = start_mock();
my $mock_b = start_mock();
for my $m ($mock_a, $mock_b)
{
	mock_call($m, 'POST', '/_mock/users', [
		map { { user_id => "50000000000000000$_", follower => JSON::PP::true } } 10 .. 29 ]);
}
my $primary = new_tthc_node('primary', $mock_a, init => { allows_streaming => 1 });
my $standby = new_tthc_standby('standby', $primary, $mock_b);

for my $i (10 .. 19)
{
	seed_dossier($primary, code => "000.00.04.H60-261124-05$i", phone => "09123470$i",
		follower => "50000000000000000$i");
}
wait_until($primary, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't', 'the primary sends');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('tthc', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'}),
	'0', 'no worker runs on the standby');
is(scalar @{ mock_requests($mock_b, '/v3.0/') }, 0, 'the standby sent nothing');
is($standby->safe_psql('tthc', q{SELECT state || '|' || (pid IS NULL) FROM zalo_tthc.worker_status()}),
	'standby|true', 'worker_status() says standby');

# the primary's Zalo is down: the next notifications stay queued
mock_call($mock_a, 'POST', '/_mock/faults', { http_500 => 1.0 });
for my $i (20 .. 29)
{
	seed_dossier($primary, code => "000.00.04.H60-261124-05$i", phone => "09123470$i",
		follower => "50000000000000000$i");
}
$primary->wait_for_catchup($standby);
$primary->stop('immediate');
my $sent_by_a = scalar grep { ($_->{http_status} // 0) == 200 } @{ mock_requests($mock_a, '/v3.0/') };

$standby->promote;
wait_until($standby, q{SELECT count(*) = 20 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'the promoted standby finishes the queue');
is(scalar @{ mock_requests($mock_b, '/v3.0/oa/message/template') }, 10,
	'the promoted standby sent the ten queued notifications');
is(scalar grep({ ($_->{http_status} // 0) == 200 } @{ mock_requests($mock_a, '/v3.0/') }), $sent_by_a,
	'the old primary sent nothing after it was stopped');

$standby->stop;
stop_mock($_) for $mock_a, $mock_b;
done_testing();
