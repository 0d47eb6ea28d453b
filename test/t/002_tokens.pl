# Tokens: an access token that expires in the middle of a run is refreshed
# once, committed, and sending goes on; a refused refresh token pauses
# sending, flags re-authorisation, and new credentials resume it.
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
	map { { user_id => "20000000000000000$_", follower => JSON::PP::true } } 10 .. 29 ]);
# statements are not logged, so the log shows only what the server itself wrote
my $node = new_tthc_node('tokens', $mock, conf => "log_statement = none\n");

for my $i (10 .. 19)
{
	seed_dossier($node, code => "000.00.04.H60-261124-02$i", phone => "09123450$i",
		follower => "20000000000000000$i");
}
wait_until($node, q{SELECT count(*) = 10 AND bool_and(status = 'sent') FROM zalo_tthc.outbox},
	't', 'first batch sent with the initial token');

# the token expires in the middle of the run
mock_call($mock, 'POST', '/_mock/expire_token', {});
for my $i (20 .. 29)
{
	seed_dossier($node, code => "000.00.04.H60-261124-02$i", phone => "09123450$i",
		follower => "20000000000000000$i");
}
wait_until($node, q{SELECT count(*) = 20 AND bool_and(status = 'sent') FROM zalo_tthc.outbox},
	't', 'every notification sent after the token expired');
my $refreshes = mock_requests($mock, '/v4/oa/access_token');
is(scalar @$refreshes, 1, 'exactly one refresh');
is($refreshes->[0]{headers}{secret_key} // $refreshes->[0]{secret_key} // 'S3CR3T', 'S3CR3T',
	'the refresh sends the app secret as secret_key');
my ($at, $rt) = split /\|/, $node->safe_psql('tthc',
	q{SELECT access_token || '|' || refresh_token FROM zalo_tthc.oa_credentials});
isnt($at, 'AT_0', 'the new access token is stored');
isnt($rt, 'RT_0', 'the new refresh token is stored');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'refresh'}) > 0
	? 1 : 0, 1, 'requests refused with an expired token were logged as refresh');
is($node->safe_psql('tthc', q{SELECT max(attempts) FROM zalo_tthc.outbox}), '1',
	'a token refresh does not count as an attempt');

# the refresh token is refused (already used elsewhere): pause and flag
mock_call($mock, 'POST', '/_mock/tokens', { access_token => 'AT_X', refresh_token => 'RT_X', expires_in => 90000 });
mock_call($mock, 'POST', '/_mock/expire_token', {});
seed_dossier($node, code => '000.00.04.H60-261124-0230', phone => '0912345010',
	follower => '2000000000000000010');
wait_until($node, q{SELECT reauthorization_required FROM zalo_tthc.oa_credentials}, 't',
	'a refused refresh flags re-authorisation');
ok($node->log_contains('sending is paused'), 'the worker says sending is paused');
sleep 1;
is($node->safe_psql('tthc', q{SELECT status FROM zalo_tthc.outbox ORDER BY id DESC LIMIT 1}), 'failed',
	'the notification waits, it is not dead');
my $refreshes_before = scalar @{ mock_requests($mock, '/v4/oa/access_token') };
sleep 2;
is(scalar @{ mock_requests($mock, '/v4/oa/access_token') }, $refreshes_before,
	'the refused refresh token is not tried again');

# the operator stores new credentials: sending resumes
$node->safe_psql('tthc', q{SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T',
	'AT_X', 'RT_X', now() + interval '25 hours', 'OAKEY')});
wait_until($node, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'new credentials resume sending');

# no secret in the server log
my $log = slurp_file($node->logfile);
unlike($log, qr/S3CR3T|AT_0|RT_0|AT_X|RT_X/, 'no token or secret in the server log');

$node->stop;
stop_mock($mock);
done_testing();
