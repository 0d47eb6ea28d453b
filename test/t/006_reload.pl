# SIGHUP: a new send rate takes effect without a restart.
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
	map { { user_id => "60000000000000000$_", follower => JSON::PP::true } } 10 .. 39 ]);
my $node = new_tthc_node('reload', $mock);

$node->safe_psql('tthc', q{ALTER SYSTEM SET zalo_tthc.rate_limit = 2});
$node->reload;
$node->wait_for_log(qr/settings reloaded \(rate_limit 2\/s/);
pass('the worker reloaded its settings on SIGHUP');

for my $i (10 .. 17)
{
	seed_dossier($node, code => "000.00.04.H60-261124-06$i", phone => "09123480$i",
		follower => "60000000000000000$i");
}
wait_until($node, q{SELECT count(*) = 8 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'sent at 2 per second');
my @t = map { $_->{time_us} } @{ mock_requests($mock, '/v3.0/oa/message/template') };
my $span = ($t[-1] - $t[0]) / 1e6;
ok($span >= 2.5, "8 messages at 2/s took at least 2.5 s (took $span s)");

$node->safe_psql('tthc', q{ALTER SYSTEM SET zalo_tthc.rate_limit = 0});
$node->reload;
$node->wait_for_log(qr/settings reloaded \(rate_limit 0\/s/);
for my $i (18 .. 39)
{
	seed_dossier($node, code => "000.00.04.H60-261124-06$i", phone => "09123480$i",
		follower => "60000000000000000$i");
}
wait_until($node, q{SELECT count(*) = 30 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'the rest sent once the limit is lifted');

$node->stop;
stop_mock($mock);
done_testing();
