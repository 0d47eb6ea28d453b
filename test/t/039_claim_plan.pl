# The worker's claim and outcome statements reach the outbox by index
# probes of the rows they take, whatever the statistics said when they were
# planned: a worker that started on an empty outbox must not walk the whole
# outbox at every claim once a backlog is there.  The plans are read from
# auto_explain's log of the worker's own statements.
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
	map { ({ user_id => sprintf('97100000000000%05d', $_), follower => JSON::PP::true },
		   { user_id => sprintf('97200000000000%05d', $_), follower => JSON::PP::true }) } 1 .. 50 ]);
my $node = new_tthc_node('claim_plan', $mock, conf => q{
shared_preload_libraries = 'zalo_tthc,auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_analyze = on
auto_explain.log_timing = off
auto_explain.log_nested_statements = on
zalo_tthc.batch_size = 50
});

# the statistics say the outbox is empty (a fresh install, a purge), and
# a new worker plans its statements on a backlog of 3,000 that came since
# (a Zalo outage, a bulk import) and was not analysed yet
seed_dossier($node, code => '000.00.04.H60-261124-190001', phone => '0912341900',
	follower => '9710000000000000001');
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox}, '1',
	'the first notification is sent');
$node->safe_psql('tthc', q{
	SET zalo_tthc.bulk_import = on;
	DELETE FROM zalo_tthc.delivery_attempt; DELETE FROM zalo_tthc.outbox;
	VACUUM ANALYZE zalo_tthc.outbox, zalo_tthc.delivery_attempt});
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
$node->safe_psql('tthc', q{
	INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
	SELECT '97200000000000' || lpad(i::text, 5, '0'), '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i
	FROM generate_series(1, 50) i;
	INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
	SELECT format('000.00.04.H60-261124-2%s', lpad(i::text, 5, '0')), 'Đăng ký hộ kinh doanh',
		   'Công dân ' || i, '+8491' || lpad((i % 50 + 1)::text, 7, '0'), now() + interval '10 days'
	FROM generate_series(1, 3000) i});
my $old = worker_pid($node);
$node->safe_psql('tthc', qq{SELECT pg_terminate_backend($old)});
$node->poll_query_until('tthc', qq{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker' AND pid <> $old}) or die 'the worker did not come back';
my $offset = -s $node->logfile;
$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')}, '0',
	'the backlog is sent');

# the worker's plans since the backlog, one per logged statement
my $pid = worker_pid($node);
my @plans = grep { /^\S+ \S+ \S+ \[$pid\]/ } split /(?=^\S.*LOG:  duration: )/m, slurp_file($node->logfile, $offset);
my @claims = grep { /Query Text: WITH due AS/ } @plans;
my @outcomes = grep { /Query Text: WITH r AS/ } @plans;
note(scalar(@claims) . ' claims and ' . scalar(@outcomes) . ' outcome batches logged');
ok(@claims >= 3000 / 50 && @outcomes >= 1, 'the claims and outcome batches are in the log');

# the most outbox rows one node of a plan read (rows kept and removed by
# its filter, over all its loops); a node's details are the lines under it
# up to the next node
sub widest_outbox_read
{
	my ($plan) = @_;
	my $widest = 0;
	my @lines = split /\n/, $plan;
	for my $i (0 .. $#lines)
	{
		next unless $lines[$i] =~ /(?:Seq Scan|Scan using \w+) on outbox \w+ .*\(actual rows=(\d+) loops=(\d+)\)/;
		my ($rows, $loops, $removed) = ($1, $2, 0);
		for my $j ($i + 1 .. $#lines)
		{
			last if $lines[$j] =~ /^\s*->/ || $lines[$j] !~ /^\s/ || $lines[$j] =~ /^\s*(?:CTE|SubPlan|InitPlan) /;
			$removed = $1 if $lines[$j] =~ /Rows Removed by Filter: (\d+)/;
		}
		my $read = ($rows + $removed) * $loops;
		$widest = $read if $read > $widest;
	}
	return $widest;
}
my ($claim_rows) = sort { $b <=> $a } map { widest_outbox_read($_) } @claims;
my ($outcome_rows) = sort { $b <=> $a } map { widest_outbox_read($_) } @outcomes;
cmp_ok($claim_rows, '<=', 200, "a claim reads about the outbox rows it takes ($claim_rows at most)");
cmp_ok($outcome_rows, '<=', 500, "an outcome batch reads the outbox rows it records ($outcome_rows at most)");
unlike(join('', @claims), qr/Rows Removed by Join Filter: \d{4,}/,
	'no join of a claim walks the outbox against the batch');
unlike(join('', @claims), qr/Rows Removed by Filter: \d{4,}/,
	'no scan of a claim walks a table (the per-dossier order check reads the dossier\'s events)');

$node->stop;
stop_mock($mock);
done_testing();
