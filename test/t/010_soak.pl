# Soak: dossiers moved through every stage by concurrent sessions while the
# mock injects 5xx, timeouts, resets, -32 and token expiry, the worker is
# killed with SIGKILL at random moments (each kill restarts the server's
# processes) and the server stops once in immediate mode mid-flow.  At the
# end the invariant checker must find nothing lost, out of order, sent to
# the wrong citizen, or duplicated beyond what the worker logged.
# Sizes: see Soak.pm (make soak runs the full size).
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use ZaloTthcTest;
use Soak;
use Invariants;

my $p = soak_params();
my $started = time;
my $mock = start_mock(seed => $p->{seed});
soak_mock_setup($mock, $p);
my $node = new_tthc_node('soak', $mock, conf => soak_node_conf());
soak_seed($node, $p);
soak_faults($mock, $p, 1);

# the load in phases; between phases the worker is killed at a random
# moment, and once the server stops in immediate mode
my ($kills, $restarts) = (0, 0);
my $phases = $p->{kills} + 1;
my $moves = $p->{dossiers} * 7;
for my $phase (1 .. $phases)
{
	my $load = soak_start_load($node, $p, $moves / $phases);
	usleep(int((0.3 + rand(1.5)) * 1e6));
	if ($phase == int($phases / 2) + 1)
	{
		$node->stop('immediate');
		$node->start;
		$restarts++;
	}
	elsif ($phase < $phases)
	{
		$kills += soak_kill_worker($node);
	}
	$load->finish;    # clients cut off by the restart end here
}
soak_finish_stages($node);

# two more kills while the queue drains
for (1 .. 2)
{
	usleep(int((0.2 + rand(1.0)) * 1e6));
	$kills += soak_kill_worker($node);
}
# the faults go on until the queue has drained
my ($drained, $reauths) = soak_drain($node, $mock);
ok($drained, 'the queue drains');
soak_faults($mock, $p, 0);
my $faults = soak_faults_injected($mock);
stop_mock($mock);    # flushes the record file

load_records($node, $mock->{record});
my $r = check_invariants($node);
report_invariants($r, 'soak');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier WHERE soak_next(id, stage) IS NOT NULL}),
	'0', 'every dossier reached its last stage');
ok($kills >= 1, "the worker was killed ($kills times)");
diag(sprintf('soak: seed %d, %d dossiers, %d clients, %d kills, %d immediate restarts, %d re-authorisations, %.0f s; faults: %s',
	$p->{seed}, $p->{dossiers}, $p->{clients}, $kills, $restarts, $reauths, time - $started, $faults));

$node->stop;
done_testing();
