# Per-dossier order under concurrent load, and nothing lost when the
# worker is killed with SIGKILL mid-batch or the server stops in
# immediate mode: every notification ends sent, each citizen gets the
# stages in order, and any duplicate is one the worker logged as an
# attempt of unknown outcome.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use ZaloTthcTest;

my $dossiers = 40;
# eight more that only the two crash phases move, so that each finds
# notifications on the wire however fast the load before it was sent
my $total = $dossiers + 8;
my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 30 });
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => sprintf('4%018d', $_), follower => JSON::PP::true } } 1 .. $total ]);
my $node = new_tthc_node('order', $mock, conf => "zalo_tthc.max_in_flight = 16\nzalo_tthc.batch_size = 8\nrestart_after_crash = on\n");

$node->safe_psql('tthc', qq{
	INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
	SELECT '4' || lpad(i::text, 18, '0'), '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i FROM generate_series(1, $total) i;
	SET zalo_tthc.bulk_import = on;
	INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, stage, due_at)
	SELECT format('000.00.04.H60-261124-%s', lpad(i::text, 4, '0')), 'Đăng ký hộ kinh doanh',
		   'Công dân ' || i, '+8491' || lpad(i::text, 7, '0'), 'received', now() + interval '10 days'
	FROM generate_series(1, $total) i;
	CREATE FUNCTION next_stage(s zalo_tthc.stage) RETURNS zalo_tthc.stage LANGUAGE sql AS \$\$
		SELECT CASE s WHEN 'received' THEN 'assigned' WHEN 'assigned' THEN 'appraising'
		  WHEN 'appraising' THEN 'signing' WHEN 'signing' THEN 'result_ready'
		  ELSE 'result_returned' END::zalo_tthc.stage \$\$;});

# four concurrent sessions move random dossiers one stage forward
my $script = PostgreSQL::Test::Utils::tempdir() . '/advance.sql';
open(my $fh, '>', $script) or die;
print $fh "\\set id random(1, $dossiers)\n"
  . "UPDATE zalo_tthc.dossier SET stage = next_stage(stage) WHERE id = :id AND stage <> 'result_returned';\n";
close $fh;
my $bench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '4', '-j', '2', '-t', '60', '-f', $script,
	  '-h', $node->host, '-p', $node->port, 'tthc' ],
	'>', \my $bench_out, '2>', \my $bench_err);

# kill the worker while it is sending (slow answers keep requests on the wire)
$node->poll_query_until('tthc', q{SELECT count(*) > 20 FROM zalo_tthc.outbox WHERE status = 'sent'});
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 3000 });
$node->safe_psql('tthc', 'UPDATE zalo_tthc.dossier SET stage = next_stage(stage) WHERE id BETWEEN '
	  . ($dossiers + 1) . ' AND ' . ($dossiers + 4));
$node->poll_query_until('tthc', q{SELECT count(*) > 0 FROM zalo_tthc.outbox WHERE status = 'sending'});
my $pid = $node->safe_psql('tthc', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'});
ok($pid =~ /^\d+$/, 'the worker is running');
kill 'KILL', $pid;
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 30 });
$bench->finish;
wait_for_crash_restart($node, $pid);

# and once more, with an immediate shutdown of the whole server
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 3000 });
$node->safe_psql('tthc', 'UPDATE zalo_tthc.dossier SET stage = next_stage(stage) WHERE id BETWEEN '
	  . ($dossiers + 5) . " AND $total");
$node->poll_query_until('tthc', q{SELECT count(*) > 0 FROM zalo_tthc.outbox WHERE status = 'sending'});
$node->stop('immediate');
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 30 });
$node->start;

wait_until($node, q{SELECT count(*) FILTER (WHERE status NOT IN ('sent')) = 0 FROM zalo_tthc.outbox},
	't', 'every notification ends sent after SIGKILL and an immediate shutdown');
my $rows = $node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox});
my $events = $node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier_event WHERE notify = 'enqueued'});
is($rows, $events, 'one notification per notified stage change');

# what the citizens received, in order
my %order = (
	'Phân công' => 1, 'thẩm định' => 2, 'trình ký' => 3, 'Mời nhận' => 4, 'Đã trả' => 5);
my (%seen, $out_of_order, $duplicates);
$out_of_order = $duplicates = 0;
for my $r (@{ mock_requests($mock, '/v3.0/oa/message/template') })
{
	next unless ($r->{error} // 0) == 0 && ($r->{http_status} // 200) == 200 && !$r->{fault};
	my $user = $r->{body}{recipient}{user_id};
	my $header = $r->{body}{message}{attachment}{payload}{elements}[0]{content};
	my ($key) = grep { index($header, $_) >= 0 } keys %order;
	next unless $key;
	my $rank = $order{$key};
	my $last = $seen{$user}[-1] // 0;
	$duplicates++ if grep { $_ == $rank } @{ $seen{$user} // [] };
	$out_of_order++ if $rank < $last;
	push @{ $seen{$user} }, $rank;
}
is($out_of_order, 0, 'no citizen received a stage before an earlier one');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox
	WHERE status = 'sent' AND provider_msg_id !~ '^[0-9a-f]{20}$'}), '0',
	'every sent row keeps the message id Zalo returned');
my $unknown = $node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'unknown'});
ok($duplicates <= $unknown, "duplicates ($duplicates) are within the unknown-outcome sends the worker logged ($unknown)");
ok($node->log_contains('queued again'), 'the restarted worker reported the reclaimed claims');

$node->stop;
stop_mock($mock);
done_testing();
