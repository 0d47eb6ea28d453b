# Open files: the worker raises its soft open-files limit to the hard one
# and keeps to what fits; a request that cannot open a connection while
# others do is retried alone, not taken for a Zalo outage that pauses all
# sending.
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
	map { { user_id => "97000000000000000$_", follower => JSON::PP::true } } 10 .. 99 ]);
my $node = new_tthc_node('open_files', $mock, conf => "zalo_tthc.max_in_flight = 64\n");

sub restart_worker
{
	my $old = worker_pid($node);
	$node->safe_psql('tthc', qq{SELECT pg_terminate_backend($old)});
	$node->poll_query_until('tthc', qq{SELECT count(*) = 1 FROM pg_stat_activity
		WHERE backend_type = 'zalo_tthc worker' AND pid <> $old}) or die 'the worker did not come back';
}

sub soft_limit
{
	my ($pid) = @_;
	my ($line) = grep { /^Max open files/ } split /\n/, slurp_file("/proc/$pid/limits");
	return (split /\s+/, $line)[3];
}

# 1. a postmaster started with a low soft limit (as from a login shell)
my ($postmaster) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
system('prlimit', "--pid=$postmaster", '--nofile=200:4096') == 0 or die 'prlimit failed';
my $offset = -s $node->logfile;
restart_worker();
$node->wait_for_log(qr/open files limit 4096 \(soft limit was 200\); up to 64 requests in flight/, $offset);
pass('the worker says what it raised the limit to and how many requests fit');
is(soft_limit(worker_pid($node)), '4096', 'its soft limit is the hard one');

# 2. the worker runs out of files mid-batch: some connections fail while
# others are answered, and nothing pauses
my $pid = worker_pid($node);
opendir(my $dh, "/proc/$pid/fd") or die "cannot read /proc/$pid/fd: $!";
my $open = scalar grep { !/^\./ } readdir($dh);
closedir($dh);
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 300 });
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
for my $n (10 .. 69)
{
	seed_dossier($node, code => "000.00.04.H60-261124-17$n", phone => "09123417$n",
		follower => "97000000000000000$n");
}
system('prlimit', "--pid=$pid", '--nofile=' . ($open + 24) . ':' . ($open + 24)) == 0 or die 'prlimit failed';
$offset = -s $node->logfile;
$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
wait_until($node, q{SELECT count(*) = 60 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'every notification is sent');
my $log = slurp_file($node->logfile, $offset);
ok($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'retry'}) > 0,
	'some requests could not connect');
unlike($log, qr/Zalo cannot be reached/, 'and sending was never paused as if Zalo were down');
is($node->safe_psql('tthc', q{SELECT max(attempts) FROM zalo_tthc.outbox}), '1',
	'no attempt was burnt');

# 3. a hard limit too low for max_in_flight caps the requests in flight
# (last: a hard limit once lowered cannot be raised again)
# (150 leaves fewer than 64 files beyond the 128 kept for PostgreSQL,
# however few the worker has open)
system('prlimit', "--pid=$postmaster", '--nofile=150:150') == 0 or die 'prlimit failed';
$offset = -s $node->logfile;
restart_worker();
$node->wait_for_log(qr/open files limit 150 \(soft limit was 150\); up to (\d+) requests in flight/, $offset);
my ($fit) = slurp_file($node->logfile, $offset) =~ /up to (\d+) requests in flight/;
ok($fit < 64, "max_in_flight is capped to what fits ($fit)");

$node->stop;
stop_mock($mock);
done_testing();
