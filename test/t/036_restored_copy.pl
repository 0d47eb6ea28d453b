# A restored copy never sends: the OA credentials remember the database
# they were stored in, and the worker of a database restored from its dump
# on another server sends nothing, not even a token refresh, until an
# operator makes it production on purpose with bind_oa_credentials().
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock_prod = start_mock();
my $mock_copy = start_mock();
for my $m ($mock_prod, $mock_copy)
{
	mock_call($m, 'POST', '/_mock/users', [
		map { { user_id => "96000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
}
my $prod = new_tthc_node('prod', $mock_prod);
like($prod->safe_psql('tthc', q{SELECT bound_to FROM zalo_tthc.oa_credentials}), qr{^\d+/\d+$},
	'set_oa_credentials() binds the credentials to this database');
seed_dossier($prod, code => '000.00.04.H60-261124-1510', phone => '0912341510', follower => '9600000000000000010');
wait_until($prod, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't', 'production sends');

my $dump = PostgreSQL::Test::Utils::tempdir() . '/tthc.dump';
my ($out, $err);
IPC::Run::run([ 'pg_dump', '-Fc', '-f', $dump, '-d', $prod->connstr('tthc') ], '>', \$out, '2>', \$err)
  or die "pg_dump: $err";

# a test server restored from the production dump, with its own Zalo
my $copy = new_tthc_node('copy', $mock_copy, empty => 1);
$copy->safe_psql('postgres', 'CREATE DATABASE tthc');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $copy->connstr('tthc'), $dump ], '>', \$out, '2>', \$err)
	  or die "pg_restore: $err";
}
$copy->poll_query_until('tthc', q{SELECT state FROM zalo_tthc.worker_status()}, 'paused')
  or die 'the worker of the copy did not pause';
like($copy->safe_psql('tthc', q{SELECT pause_reason FROM zalo_tthc.worker_status()}),
	qr/belong to another database/, 'worker_status() says why the copy does not send');
seed_dossier($copy, code => '000.00.04.H60-261124-1512', phone => '0912341512', follower => '9600000000000000012');
sleep 2;
is(scalar @{ mock_requests($mock_copy) }, 0, 'the copy sent nothing to Zalo, not even a token refresh');
is($copy->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'pending'}), '1',
	'its notification stays queued');
ok($copy->log_contains('this database is not the one the OA credentials were stored in'),
	'the server log says so');

# making the copy production on purpose
like($copy->safe_psql('tthc', q{SELECT zalo_tthc.bind_oa_credentials()}), qr{^\d+/\d+$},
	'bind_oa_credentials() binds them here');
wait_until($copy, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'then the copy sends its queue');

$prod->stop;
$copy->stop;
stop_mock($_) for $mock_prod, $mock_copy;
done_testing();
