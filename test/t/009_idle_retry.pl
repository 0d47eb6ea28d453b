# A notification that falls due while the worker is idle is sent, whatever
# kept the worker from claiming it when it last looked at the queue: a row
# lock of another transaction, a retry written by another server before a
# promotion, or a retry of the worker's own.  Nothing else is queued in
# these cases, so nothing but the worker's own timer can wake it.
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
	map { { user_id => "90000000000000000$_", follower => JSON::PP::true } } 10 .. 29 ]);
my $node = new_tthc_node('idle_retry', $mock);

sub seed
{
	my ($n) = @_;
	return seed_dossier($node, code => "000.00.04.H60-261124-09$n", phone => "09123490$n",
		follower => "90000000000000000$n");
}

sub status_of
{
	my ($n) = @_;
	return $node->safe_psql('tthc', qq{SELECT o.status FROM zalo_tthc.outbox o
		JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-09$n'});
}

# 1. The worker looks at the queue while a due notification is locked by an
# operator's open transaction: it cannot claim it (SKIP LOCKED), and once
# the lock is gone nothing commits to wake it.
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
my $id = seed(10);
my $locker = $node->background_psql('tthc');
$locker->query_safe(qq{BEGIN; SELECT id FROM zalo_tthc.outbox WHERE dossier_id = $id FOR UPDATE});
$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
# the worker has seen the resume and the locked row once it is idle again
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'idle');
sleep(1);
is(status_of(10), 'pending', 'a locked notification is not sent while the lock is held');
$locker->query_safe('COMMIT');
$locker->quit;
wait_until($node, q{SELECT status = 'sent' FROM zalo_tthc.outbox WHERE dossier_id = } . $id, 't',
	'the notification is sent once the lock is gone, with nothing else committed');

# 2. The worker starts with a queue of retries written before it started
# (as on a promoted standby), due over the next seconds, and nothing else.
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
seed($_) for 11 .. 18;
$node->safe_psql('tthc', q{
	UPDATE zalo_tthc.outbox SET status = 'failed', attempts = 1, last_error = 'HTTP 500',
		next_attempt_at = now() + (id % 8) * interval '150 milliseconds' + interval '2 seconds'
	WHERE status = 'pending';
	SELECT zalo_tthc.resume()});
$node->restart;
wait_until($node, q{SELECT count(*) = 9 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'a restarted worker sends the retries that fall due after it started');

# 3. A retry the worker wrote itself (one HTTP 500), nothing else queued.
for my $n (19 .. 23)
{
	mock_call($mock, 'POST', '/_mock/faults', { next => [ { fault => 'http_500', count => 1 } ] });
	seed($n);
	wait_until($node, qq{SELECT count(*) = 1 FROM zalo_tthc.delivery_attempt a
		JOIN zalo_tthc.outbox o ON o.id = a.outbox_id JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
		WHERE d.code = '000.00.04.H60-261124-09$n'});
	wait_until($node, qq{SELECT o.status = 'sent' FROM zalo_tthc.outbox o
		JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-09$n'}, 't',
		"dossier $n: the retry after one HTTP 500 is sent");
}

$node->stop;
stop_mock($mock);
done_testing();
