# Zalo consumes a refresh token when it answers the refresh, so the new
# pair must be stored whatever happens meanwhile: a SIGTERM to the worker
# during the refresh, or a lock and an inherited lock_timeout on the
# credentials row, still end with usable credentials and no request to
# re-authorise.
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
	map { { user_id => "92000000000000000$_", follower => JSON::PP::true } } 10 .. 29 ]);
my $node = new_tthc_node('token_safety', $mock, conf => "log_statement = none\n");

sub seed
{
	my ($n) = @_;
	seed_dossier($node, code => "000.00.04.H60-261124-11$n", phone => "09123411$n",
		follower => "92000000000000000$n");
}

my $next = 20;

# every notification sent, nothing to re-authorise, and the stored refresh
# token refreshes again (Zalo refuses a consumed one)
sub usable_credentials
{
	my ($what) = @_;
	wait_until($node, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
		"$what: every notification is sent");
	is($node->safe_psql('tthc', q{SELECT reauthorization_required FROM zalo_tthc.oa_credentials}), 'f',
		"$what: no re-authorisation needed");
	mock_call($mock, 'POST', '/_mock/expire_token', {});
	seed($next++);
	wait_until($node, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
		"$what: the stored refresh token refreshes again");
	is($node->safe_psql('tthc', q{SELECT reauthorization_required FROM zalo_tthc.oa_credentials}), 'f',
		"$what: still no re-authorisation needed");
}

seed(10);
wait_until($node, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox});

# 1. SIGTERM while the token endpoint is answering
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 1500 });
mock_call($mock, 'POST', '/_mock/expire_token', {});
seed(11);
$node->poll_query_until('tthc', q{SELECT count(*) FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker' AND query = 'zalo_tthc: refreshing the access token'}, '1')
  or die 'the worker did not start a token refresh';
$node->safe_psql('tthc', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker'});
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 0 });
usable_credentials('after a SIGTERM during the refresh');

# 2. the application's database sets a short lock_timeout, and an operator's
# transaction holds the credentials row while the new pair is stored
$node->safe_psql('tthc', q{ALTER DATABASE tthc SET lock_timeout = '50ms';
	ALTER DATABASE tthc SET statement_timeout = '100ms'});
$node->safe_psql('tthc', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker'});
$node->poll_query_until('tthc', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'}, '1')
  or die 'the worker did not come back';
my $locker = $node->background_psql('tthc');
$locker->query_safe(q{SET lock_timeout = 0; SET statement_timeout = 0; BEGIN;
	SELECT 1 FROM zalo_tthc.oa_credentials FOR UPDATE});
mock_call($mock, 'POST', '/_mock/expire_token', {});
seed(12);
$node->poll_query_until('tthc', q{SELECT count(*) > 0 FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker' AND wait_event_type = 'Lock'}, 't')
  or die 'the worker did not wait for the credentials row';
sleep(1);
$locker->query_safe('COMMIT');
$locker->quit;
usable_credentials('after waiting for the credentials row');
$node->safe_psql('tthc', q{ALTER DATABASE tthc RESET lock_timeout; ALTER DATABASE tthc RESET statement_timeout});

$node->stop;
stop_mock($mock);
done_testing();
