# worker_status() and metrics() with a live worker and the mock: the state
# and counters follow what the worker did, the metrics text parses with the
# Prometheus client library's own parser, and an operator's pause(),
# resume(), retry() and retry_dead() act on the running worker.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

# The Prometheus client library's parser (Debian python3-prometheus-client):
# every sample as {name, labels, value}, or a failure for invalid text.
my $parse_py = <<'PY';
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name,
                    "labels": s.labels, "value": s.value})
print(json.dumps(out))
PY

# Parse a metrics text; returns a hash "name{k=v,...}" => value, and the types.
sub parse_metrics
{
	my ($text) = @_;
	my ($out, $err);
	IPC::Run::run([ '/usr/bin/python3', '-c', $parse_py ], '<', \$text, '>', \$out, '2>', \$err)
	  or die "the Prometheus parser refused the metrics text: $err\n$text";
	my (%samples, %types);
	for my $s (@{ JSON::PP->new->decode($out) })
	{
		my $labels = join(',', map { "$_=$s->{labels}{$_}" } sort keys %{ $s->{labels} });
		$samples{"$s->{name}\{$labels\}"} = $s->{value};
		$types{ $s->{family} } = $s->{type};
	}
	return (\%samples, \%types);
}

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "22000000000000000$_", follower => JSON::PP::true } } 10 .. 29 ]);
my $node = new_tthc_node('status', $mock, conf => "zalo_tthc.max_attempts = 2\n");
$node->safe_psql('tthc', 'CREATE ROLE dba LOGIN IN ROLE zalo_tthc_operator');
my $worker_pid = $node->safe_psql('tthc',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'});

sub status { $node->safe_psql('tthc', "SET SESSION AUTHORIZATION dba; SELECT $_[0] FROM zalo_tthc.worker_status()") }
sub metrics { parse_metrics($node->safe_psql('tthc', 'SET SESSION AUTHORIZATION dba; SELECT zalo_tthc.metrics()')) }
sub dossier { my $i = shift; seed_dossier($node, code => "000.00.04.H60-261124-22$i",
	phone => "09123422$i", follower => "22000000000000000$i") }

for my $i (10 .. 14) { dossier($i) }
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox}, '5',
	'five notifications sent');
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'idle', 'the worker is idle');

is(status(q{pid || '|' || database || '|' || sent || '|' || in_flight || '|' || (last_success_at IS NOT NULL)}),
	"$worker_pid|tthc|5|0|true", 'worker_status: pid, database, sent since start, nothing in flight');
is(status(q{abs(extract(epoch FROM token_expires_at - (now() + interval '25 hours'))) < 600}), 't',
	'worker_status: token expiry');

my ($m, $types) = metrics();
is($types->{zalo_tthc_http_request_duration_seconds}, 'histogram', 'the latency is a histogram');
is($types->{zalo_tthc_notifications}, 'counter', 'outcome totals are counters');
is($m->{'zalo_tthc_worker_up{}'}, 1, 'worker up');
is($m->{'zalo_tthc_notifications_total{channel=zalo_oa,stage=submitted,status=sent}'}, 5,
	'sent total by stage and channel');
is($m->{'zalo_tthc_http_request_duration_seconds_count{}'}, 5, 'five requests in the histogram');
is($m->{'zalo_tthc_http_request_duration_seconds_bucket{le=+Inf}'}, 5, 'the +Inf bucket holds them all');
is($m->{'zalo_tthc_queue_depth{channel=zalo_oa,status=pending}'}, 0, 'queue depth: nothing pending');
ok($m->{'zalo_tthc_token_expiry_seconds{}'} > 24 * 3600, 'token seconds to expiry');

# a notification that fails twice is dead, counted once failed and once dead
mock_call($mock, 'POST', '/_mock/faults', { next => [ { fault => 'http_500', count => 2 } ] });
dossier(15);
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'dead'}, '1',
	'a notification dies after two HTTP 500');
($m) = metrics();
is($m->{'zalo_tthc_notifications_total{channel=zalo_oa,stage=submitted,status=failed}'}, 1, 'failed total');
is($m->{'zalo_tthc_notifications_total{channel=zalo_oa,stage=submitted,status=dead}'}, 1, 'dead total');
is(status(q{dead || '|' || failed || '|' || (last_error_at IS NOT NULL) || '|' || (last_error LIKE '%500%')}),
	'1|1|true|true', 'worker_status: dead and failed counts, last error with its time');

# the operator pauses: new notifications wait, the state says why
$node->safe_psql('tthc', q{SET SESSION AUTHORIZATION dba; SELECT zalo_tthc.pause('Zalo maintenance')});
wait_until($node, q{SELECT state || '|' || pause_reason FROM zalo_tthc.worker_status()},
	'paused|paused by an operator: zalo_tthc.resume() resumes', 'paused by the operator');
dossier(16);
sleep(1);
is($node->safe_psql('tthc', q{SELECT status FROM zalo_tthc.outbox ORDER BY id DESC LIMIT 1}), 'pending',
	'nothing is sent while paused');
($m) = metrics();
is($m->{'zalo_tthc_worker_paused{}'}, 1, 'metrics: paused');
is($m->{'zalo_tthc_queue_depth{channel=zalo_oa,status=pending}'}, 1, 'metrics: one pending');

# the pause survives a restart of the worker
$node->safe_psql('tthc', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker'});
wait_until($node, qq{SELECT pid <> $worker_pid AND state = 'paused' FROM zalo_tthc.worker_status()}, 't',
	'a restarted worker stays paused');
is($node->safe_psql('tthc', q{SELECT status FROM zalo_tthc.outbox ORDER BY id DESC LIMIT 1}), 'pending',
	'still nothing sent');

# retry(dead) and resume(): both go out
my $dead_id = $node->safe_psql('tthc', q{SELECT id FROM zalo_tthc.outbox WHERE status = 'dead'});
is($node->safe_psql('tthc', "SET SESSION AUTHORIZATION dba; SELECT zalo_tthc.retry($dead_id)"), 'pending', 'retry re-queues the dead one');
$node->safe_psql('tthc', q{SET SESSION AUTHORIZATION dba; SELECT zalo_tthc.resume()});
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox}, '7',
	'after resume, the waiting and the retried notifications are sent');
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'idle', 'idle again');

# retry_dead with a filter: only the matching dead notifications
mock_call($mock, 'POST', '/_mock/faults', { next => [ { fault => 'http_500', count => 4 } ] });
dossier(17);
dossier(18);
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'dead'}, '2', 'two more die');
is($node->safe_psql('tthc', q{SET SESSION AUTHORIZATION dba; SELECT zalo_tthc.retry_dead(stage => 'received')}), '0',
	'retry_dead for another stage re-queues nothing');
is($node->safe_psql('tthc', q{SET SESSION AUTHORIZATION dba; SELECT zalo_tthc.retry_dead(stage => 'submitted', channel => 'zalo_oa')}),
	'2', 'retry_dead for the stage re-queues both');
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox}, '9', 'and they are sent');

is($node->safe_psql('tthc', q{SELECT string_agg(action || ':' || rows_affected || ':' || actor, ',' ORDER BY id)
	FROM zalo_tthc.operator_log}),
	'pause:1:dba,retry:1:dba,resume:1:dba,retry_dead:0:dba,retry_dead:2:dba',
	'every operator call is in operator_log with the session user');
($m) = metrics();
is($m->{'zalo_tthc_notifications_total{channel=zalo_oa,stage=submitted,status=sent}'}, 9,
	'the sent total counts the retried ones');
is($node->safe_psql('tthc', q{SELECT notifications FROM zalo_tthc.delivery_totals
	WHERE stage = 'submitted' AND channel = 'zalo_oa' AND status = 'sent'}), '9', 'delivery_totals agrees');

# monitoring/postgres_exporter/queries.yaml: each query runs as the operator
# and returns every column it declares
my $yaml = "$FindBin::RealBin/../../monitoring/postgres_exporter/queries.yaml";
my ($json, $err);
IPC::Run::run([ '/usr/bin/python3', '-c', q{
import json, sys, yaml
queries = yaml.safe_load(open(sys.argv[1]))
print(json.dumps({name: {"query": q["query"], "columns": sorted(list(m)[0] for m in q["metrics"])}
                  for name, q in queries.items()}))
}, $yaml ], '>', \$json, '2>', \$err) or die "reading $yaml: $err";
my $queries = JSON::PP->new->decode($json);
for my $name (sort keys %$queries)
{
	my $columns = $node->safe_psql('tthc', qq{SET SESSION AUTHORIZATION dba;
		SELECT string_agg(k, ',' ORDER BY k) FROM (SELECT jsonb_object_keys(to_jsonb(q)) k
		FROM ($queries->{$name}{query}) q LIMIT 100) c});
	my %have = map { $_ => 1 } split(/,/, $columns);
	my @missing = grep { !$have{$_} } @{ $queries->{$name}{columns} };
	is("@missing", '', "postgres_exporter query $name runs as the operator with its columns");
}

$node->stop;
stop_mock($mock);
done_testing();
