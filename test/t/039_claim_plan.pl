# The worker's claims and outcomes reach the outbox by index probes of the
# rows they take, whatever the statistics said when the worker started: a
# worker that started on an empty outbox must not walk the whole outbox at
# every batch once a backlog is there.  Claims and outcomes have no plan
# (src/claim.c walks outbox_claim_idx and stops after the batch,
# src/outcome.c probes outbox_pkey for each outcome): the index entries
# they read are counted from pg_stat_user_indexes.  The one statement of an
# outcome batch (fallbacks, receipt files, totals) is read from
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

# the index entries read so far (while the backlog is sent, nothing else
# reads the outbox: the test waits on the worker's counters)
my $index_reads = q{SELECT string_agg(idx_tup_read::text, ' ' ORDER BY indexrelname) FROM pg_stat_user_indexes
	WHERE schemaname = 'zalo_tthc' AND indexrelname IN ('outbox_claim_idx', 'outbox_pkey')};
my ($claims_before, $outcomes_before) = split / /, $node->safe_psql('tthc', $index_reads);
my $offset = -s $node->logfile;
$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
wait_until($node, q{SELECT sent >= 3001 FROM zalo_tthc.worker_status()}, 't', 'the backlog is sent');
# the worker reports its statistics once it is idle: a claim and an outcome
# update each notification
wait_until($node, q{SELECT n_tup_upd >= 2 * 3000 FROM pg_stat_user_tables
	WHERE schemaname = 'zalo_tthc' AND relname = 'outbox'}, 't', "the worker's statistics are reported");
my ($claims_after, $outcomes_after) = split / /, $node->safe_psql('tthc', $index_reads);
my $claim_reads = $claims_after - $claims_before;
my $outcome_reads = $outcomes_after - $outcomes_before;
note("$claim_reads entries of outbox_claim_idx and $outcome_reads of outbox_pkey read"
	. ' while 3000 notifications were claimed in batches of 50 and their outcomes recorded');
cmp_ok($claim_reads, '<=', 10 * 3000,
	'the claims read about the entries they take, not the backlog at every claim');
cmp_ok($claim_reads, '>=', 3000, 'the claims were counted');
cmp_ok($outcome_reads, '<=', 3 * 3000, 'the outcomes read the outbox rows they record');
cmp_ok($outcome_reads, '>=', 3000, 'the outcomes were counted');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')}),
	'0', 'the backlog is sent');

# the plans of the outcome batches' statement since the backlog
my $pid = worker_pid($node);
my @plans = grep { /^\S+ \S+ \S+ \[$pid\]/ } split /(?=^\S.*LOG:  duration: )/m, slurp_file($node->logfile, $offset);
my @follow_ups = grep { /Query Text: WITH zns AS/ } @plans;
note(scalar(@follow_ups) . ' outcome batches logged');
ok(@follow_ups >= 1, 'the outcome batches are in the log');
unlike(join('', @follow_ups), qr/Seq Scan/, 'no statement of an outcome batch scans a table');

$node->stop;
stop_mock($mock);
done_testing();
