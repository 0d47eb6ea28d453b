# One wait: with requests on the wire and nothing else to do, the worker
# sleeps until an answer, a commit or a deadline wakes it (no polling of
# its sockets on a timer, no spinning), and it notices the postmaster's
# death while it waits, as an idle worker does.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "98000000000000000$_", follower => JSON::PP::true } } 10 .. 39 ]);
my $node = new_tthc_node('one_wait', $mock, conf => "zalo_tthc.request_timeout = 120s\n");

# context switches and CPU ticks of a process, from /proc
sub activity
{
	my ($pid) = @_;
	my %status = map { /^(\w+):\s+(\d+)/ ? ($1 => $2) : () } split /\n/, slurp_file("/proc/$pid/status");
	my @stat = split / /, (slurp_file("/proc/$pid/stat") =~ /\) (.*)/)[0];
	return {
		switches => $status{voluntary_ctxt_switches} + $status{nonvoluntary_ctxt_switches},
		ticks => $stat[11] + $stat[12],
	};
}

sub loop_turns
{
	return $node->safe_psql('tthc', q{SELECT loop_turns FROM zalo_tthc.worker_status()});
}

# 1. twenty requests wait for slow answers (20 s): the worker sleeps meanwhile
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 20000 });
for my $n (10 .. 29)
{
	seed_dossier($node, code => "000.00.04.H60-261124-18$n", phone => "09123418$n",
		follower => "98000000000000000$n");
}
wait_until($node, q{SELECT in_flight FROM zalo_tthc.worker_status()}, '20',
	'the twenty requests are on the wire');
# (libcurl's own timers fire in each request's first second)
sleep 2;
my $pid = worker_pid($node);
my $turns = loop_turns();
my $before = activity($pid);
sleep 3;
my $after = activity($pid);
my $turned = loop_turns() - $turns;
my $switches = $after->{switches} - $before->{switches};
note("in 3 s of waiting: $turned turns of the loop, $switches context switches, "
	  . ($after->{ticks} - $before->{ticks}) . ' CPU ticks');
cmp_ok($turned, '<=', 10, 'the loop does not turn while it waits for answers');
cmp_ok($switches, '<=', 20, 'the worker sleeps while it waits for answers');

# 2. a commit still wakes it at once, and the new request goes out
# alongside the ones waiting
seed_dossier($node, code => '000.00.04.H60-261124-1830', phone => '0912341830',
	follower => '9800000000000000030');
wait_until($node, q{SELECT in_flight FROM zalo_tthc.worker_status()}, '21',
	'a commit wakes the waiting worker and its request goes out');

# 3. the postmaster dies while the worker waits: the worker exits, and
# does not go on holding shared memory that blocks a restart
my ($postmaster) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
kill 'KILL', $postmaster;
my $gone = 0;
for (1 .. 200)
{
	if (!kill 0, $pid)
	{
		$gone = 1;
		last;
	}
	usleep(50_000);
}
ok($gone, 'the worker exits when the postmaster dies while requests are on the wire');
kill 'KILL', $pid unless $gone;
# the other backends go too; then the node is down for the framework
for (1 .. 100)
{
	last unless grep { /postgres/ } `pgrep -f -a 't_038_one_wait' 2>/dev/null`;
	usleep(100_000);
}
unlink($node->data_dir . '/postmaster.pid');
$node->_update_pid(0);

stop_mock($mock);
done_testing();
