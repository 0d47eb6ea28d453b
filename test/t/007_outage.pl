# Zalo unreachable for a while (the mock is down): nothing is lost and no
# attempt is burnt, since no request left; sending pauses with back-off
# and resumes when Zalo answers again.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my @users = map { { user_id => "70000000000000000$_", follower => JSON::PP::true } } 10 .. 29;
my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', \@users);
my $node = new_tthc_node('outage', $mock, conf => "zalo_tthc.max_attempts = 3\n");

for my $i (10 .. 14)
{
	seed_dossier($node, code => "000.00.04.H60-261125-07$i", phone => "09123470$i",
		follower => "70000000000000000$i");
}
wait_until($node, q{SELECT count(*) = 5 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'sent while Zalo answers');

# Zalo goes away; stage changes keep coming
my $port = $mock->{port};
stop_mock($mock);
for my $i (15 .. 29)
{
	seed_dossier($node, code => "000.00.04.H60-261125-07$i", phone => "09123470$i",
		follower => "70000000000000000$i");
}
$node->wait_for_log(qr/Zalo cannot be reached/);
pass('the worker says Zalo cannot be reached');
sleep 4;
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('dead', 'undeliverable')}),
	'0', 'nothing is given up while Zalo is down, although max_attempts is 3');

# Zalo is back on the same address, knowing its followers and tokens from
# its first request on
$mock = start_mock(port => $port, users => \@users);
wait_until($node, q{SELECT count(*) = 20 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'every notification is sent once Zalo answers again');
is($node->safe_psql('tthc', q{SELECT max(attempts) FROM zalo_tthc.outbox}), '1',
	'the outage burnt no attempt');
is(scalar @{ mock_requests($mock, '/v3.0/oa/message/template') }, 15,
	'each queued notification reached Zalo once');

$node->stop;
stop_mock($mock);
done_testing();
