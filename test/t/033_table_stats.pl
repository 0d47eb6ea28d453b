# The worker reports its table statistics while it runs, so autovacuum and
# ANALYZE see the delivery log and the outbox it writes (a background
# worker's counts otherwise reach the statistics only when it exits).
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
	map { { user_id => "94000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('table_stats', $mock);

for my $n (10 .. 14)
{
	seed_dossier($node, code => "000.00.04.H60-261124-13$n", phone => "09123413$n",
		follower => "94000000000000000$n");
}
wait_until($node, q{SELECT count(*) = 5 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'the notifications are sent');
wait_until($node, q{SELECT n_tup_ins >= 5 FROM pg_stat_user_tables
	WHERE relid = 'zalo_tthc.delivery_attempt'::regclass}, 't',
	'the delivery log counts the worker\'s inserts');
wait_until($node, q{SELECT n_tup_upd >= 10 FROM pg_stat_user_tables
	WHERE relid = 'zalo_tthc.outbox'::regclass}, 't',
	'the outbox counts the worker\'s claims and outcomes');
is($node->safe_psql('tthc', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'}),
	'1', 'with the worker still running');

$node->stop;
stop_mock($mock);
done_testing();
