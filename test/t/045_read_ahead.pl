# Claims read ahead of the wire: with every request slot taken, the worker
# holds up to one batch of claimed notifications whose requests wait for a
# slot, and starts them as answers come, in claim order.  A pause gives the
# waiting ones back to the queue as they were: not sent, their attempt not
# counted, nothing in the delivery log; so does a worker asked to stop.
# Each notification is still sent once.
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
	map { { user_id => "94500000000000000$_", follower => JSON::PP::true } } 10 .. 27 ]);
my $node = new_tthc_node('read_ahead', $mock,
	conf => "zalo_tthc.max_in_flight = 2\nzalo_tthc.batch_size = 6\nzalo_tthc.request_timeout = 120s\n");

sub count_of
{
	my ($where) = @_;
	return $node->safe_psql('tthc', "SELECT count(*) FROM zalo_tthc.outbox WHERE $where");
}

# dossiers n (one notification each) queued at once, their answers taking 3 s
sub queue_slow_answers
{
	my @n = @_;
	mock_call($mock, 'POST', '/_mock/config', { latency_ms => 3000 });
	$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
	seed_dossier($node, code => "000.00.04.H60-261124-45$_", phone => "09123445$_",
		follower => "94500000000000000$_") for @n;
	$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
}

# 1. twelve notifications, answers slow: two on the wire, a batch of six
# claimed (two started, four waiting), and no more claimed while more than
# half a batch waits (the answers come in 3 s)
queue_slow_answers(10 .. 21);
wait_until($node, q{SELECT in_flight FROM zalo_tthc.worker_status()}, '2', 'two requests on the wire');
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sending'}, '6',
	'a batch of six claimed: two on the wire, four waiting for a slot');
sleep 1;
is(count_of(q{status = 'sending'}), '6', 'no claim while more than half a batch waits');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt}), '0', 'nothing logged yet');

# 2. a pause gives back what waits; what is on the wire finishes
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sending'}, '0',
	'the waiting ones are back in the queue, the two on the wire are answered');
is(count_of(q{status = 'sent'}), '2', 'the two started are sent');
is(count_of(q{status = 'pending' AND attempts = 0 AND last_error IS NULL AND lease_until IS NULL}), '10',
	'the ten others are pending as they were: no attempt counted, no error');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt}), '2',
	'only the requests made are in the delivery log');
is($node->safe_psql('tthc', q{SELECT coalesce(sum(notifications), 0) FROM zalo_tthc.delivery_total}), '2',
	'only the outcomes of requests made are in the totals');

# 3. after the pause every notification is sent, each once
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 0 });
$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sent'}, '12', 'all twelve are sent');
is($node->safe_psql('tthc', q{SELECT count(*) FILTER (WHERE attempt = 1 AND outcome = 'ok'), count(*)
	FROM zalo_tthc.delivery_attempt}), '12|12', 'each with one attempt');
my $order = $node->safe_psql('tthc', q{
	SELECT string_agg(id::text, ',' ORDER BY id) = string_agg(id::text, ',' ORDER BY started_at, id)
	FROM (SELECT a.outbox_id AS id, a.started_at FROM zalo_tthc.delivery_attempt a) s});
is($order, 't', 'the requests started in claim order');
my %sent;
$sent{ $_->{body}{user_id} }++ for @{ mock_requests($mock, '/v3.0/oa/message/template') };
is(scalar(keys %sent), 12, 'Zalo received a message for each of the twelve');
is(scalar(grep { $_ > 1 } values %sent), 0, 'and none twice');
is($node->safe_psql('tthc', q{SELECT unknown_outcomes FROM zalo_tthc.worker_status()}), '0',
	'no attempt of unknown outcome');

# 4. a worker asked to stop gives back what waits before it exits; only the
# two requests on the wire come back as attempts of unknown outcome
queue_slow_answers(22 .. 27);
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sending'}, '6',
	'again two on the wire and four waiting');
my $pid = worker_pid($node);
$node->safe_psql('tthc', qq{SELECT pg_terminate_backend($pid)});
wait_until($node, qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $pid}, '0', 'the worker exits');
is(count_of(q{status = 'pending' AND attempts = 0 AND lease_until IS NULL}), '4',
	'the four waiting are pending again, no attempt counted');
mock_call($mock, 'POST', '/_mock/config', { latency_ms => 0 });
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sent'}, '18',
	'the next worker sends the six');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'unknown'}), '2',
	'the two that were on the wire are attempts of unknown outcome, the four waiting are not');

$node->stop;
stop_mock($mock);
done_testing();
