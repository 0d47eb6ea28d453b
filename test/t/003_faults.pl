# Faults: 5xx, timeouts and connection resets are retried with back-off;
# -32 pauses all sending without burning attempts; attempts run out into
# 'dead' with the reason; a malformed-request answer is dead at once; a
# configuration error pauses sending and burns no attempt.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/config', { timeout_hold_ms => 5000 });
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "30000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('faults', $mock, conf => "zalo_tthc.max_attempts = 3\n");

# one notification with the given faults queued first; returns the outbox row
sub deliver_through
{
	my ($n, $faults) = @_;
	mock_call($mock, 'POST', '/_mock/faults', { next => $faults });
	seed_dossier($node, code => "000.00.04.H60-261124-03$n", phone => "09123460$n",
		follower => "30000000000000000$n");
	wait_until($node, qq{SELECT status NOT IN ('pending', 'sending', 'failed') FROM zalo_tthc.outbox o
		JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-03$n'});
	mock_call($mock, 'DELETE', '/_mock/faults');
	return $node->safe_psql('tthc', qq{SELECT o.status || '|' || o.attempts || '|' || coalesce(o.last_error, '')
		|| '|' || (SELECT string_agg(a.outcome, ',' ORDER BY a.id) FROM zalo_tthc.delivery_attempt a WHERE a.outbox_id = o.id)
		FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
		WHERE d.code = '000.00.04.H60-261124-03$n'});
}

is(deliver_through(10, [ { fault => 'http_500', count => 2 } ]), 'sent|3||retry,retry,ok',
	'HTTP 500 twice, then sent on the third attempt');
# a reset on a kept-alive connection is sent again at once by libcurl; that
# resend is marked as a possible duplicate in the delivery log
my $before = scalar @{ mock_requests($mock, '/v3.0/oa/message/template') };
like(deliver_through(11, [ { fault => 'reset', count => 1 } ]), qr/^sent\|[12]\|/,
	'a connection reset is retried');
is(scalar @{ mock_requests($mock, '/v3.0/oa/message/template') } - $before, 2,
	'the reset request reached the mock, then its retry');
is($node->safe_psql('tthc', q{SELECT bool_or(a.sent_unknown) FROM zalo_tthc.delivery_attempt a
	JOIN zalo_tthc.outbox o ON o.id = a.outbox_id JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-0311'}), 't',
	'the retry after a reset is counted as a possible duplicate');
is(deliver_through(12, [ { fault => 'timeout', count => 1 } ]), 'sent|2||retry,ok',
	'a request that times out is retried');
is(deliver_through(13, [ { fault => 'rate_limit', count => 1 } ]), 'sent|1||rate_limited,ok',
	'-32 backs off without burning an attempt');
ok($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'rate_limited'}) >= 1,
	'the rate-limit answer is in the delivery log');
like(deliver_through(14, [ { fault => 'http_500', count => 5 } ]), qr/^dead\|3\|HTTP 5\d\d\|retry,retry,retry$/,
	'attempts run out: dead after max_attempts with the reason');
is(deliver_through(15, [ { fault => 'quota_exhausted', count => 1 } ]), 'sent|1||config,ok',
	'a configuration error pauses sending and burns no attempt');
ok($node->log_contains('sending paused'), 'the pause is logged');

# by phone, "template data invalid" (-112): a malformed request is dead at once
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/message/template', next => [ { fault => 'zalo_error', code => -112, count => 1 } ] });
my $code = '000.00.04.H60-261124-0316';
seed_dossier($node, code => $code, phone => '0912346016', name => 'Trịnh Văn Hải');
move_stage($node, $code, 'rejected');
wait_until($node, qq{SELECT o.status || '|' || o.attempts FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code' AND o.channel = 'zns'},
	'dead|1', 'a malformed-request error (-112) is dead after one attempt');
like($node->safe_psql('tthc', qq{SELECT last_error FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code' AND o.channel = 'zns'}),
	qr/-112/, 'with the Zalo error as its reason');
mock_call($mock, 'DELETE', '/_mock/faults');

# a notification waits behind its dossier's earlier one while that one is in
# back-off, and the idle worker sleeps meanwhile instead of polling the queue
$node->safe_psql('tthc', q{ALTER SYSTEM SET zalo_tthc.retry_base_delay = '4s'});
$node->reload;
$node->wait_for_log(qr/settings reloaded/);
mock_call($mock, 'POST', '/_mock/faults', { next => [ { fault => 'http_500', count => 1 } ] });
my $bcode = '000.00.04.H60-261124-0317';
seed_dossier($node, code => $bcode, phone => '0912346017', follower => '3000000000000000017');
move_stage($node, $bcode, 'received');
wait_until($node, qq{SELECT string_agg(o.status::text, ',' ORDER BY o.id) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$bcode'},
	'failed,pending', 'the later stage waits while the earlier one is in back-off');
my $xacts = q{SELECT xact_commit FROM pg_stat_database WHERE datname = 'tthc'};
my $x0 = $node->safe_psql('tthc', $xacts);
sleep 2;
my $spent = $node->safe_psql('tthc', $xacts) - $x0;
ok($spent < 30, "the worker sleeps until the retry is due ($spent transactions in 2 s)");
wait_until($node, qq{SELECT string_agg(o.status::text, ',' ORDER BY o.id) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$bcode'},
	'sent,sent', 'then both are sent, in order');
mock_call($mock, 'DELETE', '/_mock/faults');

# nothing left behind
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox
	WHERE status IN ('pending', 'sending', 'failed')}), '0', 'the queue drained');

$node->stop;
stop_mock($mock);
done_testing();
