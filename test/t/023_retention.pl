# Retention by the worker: old delivery_attempt rows and old sent
# notifications go, in batches of zalo_tthc.retention_batch_size, while
# pending, failed, dead and undeliverable notifications stay whatever their
# age; the settings take effect on reload.
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
	map { { user_id => "23000000000000000$_", follower => JSON::PP::true } } 10 .. 29 ]);
# retention off at first, so the rows can be aged by hand
my $node = new_tthc_node('retention', $mock, conf => q{
zalo_tthc.delivery_attempt_retention = 0
zalo_tthc.sent_retention = 0
zalo_tthc.retention_batch_size = 3
zalo_tthc.retention_interval = 200ms
log_min_messages = debug1
});

for my $i (10 .. 19)
{
	seed_dossier($node, code => "000.00.04.H60-261124-23$i", phone => "09123423$i",
		follower => "23000000000000000$i");
}
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox}, '10', 'ten sent');

# an operator pause keeps a new notification pending; then everything ages
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('retention test')});
wait_until($node, q{SELECT state FROM zalo_tthc.worker_status()}, 'paused');
seed_dossier($node, code => '000.00.04.H60-261124-2320', phone => '0912342320', follower => '2300000000000000020');
$node->safe_psql('tthc', q{
	UPDATE zalo_tthc.outbox SET status = 'dead', last_error = 'aged by the test'
	WHERE id IN (SELECT id FROM zalo_tthc.outbox WHERE status = 'sent' ORDER BY id LIMIT 1);
	UPDATE zalo_tthc.outbox SET created_at = now() - interval '400 days',
		next_attempt_at = CASE WHEN status = 'pending' THEN now() + interval '1 day' ELSE next_attempt_at END,
		sent_at = sent_at - interval '100 days';
	UPDATE zalo_tthc.delivery_attempt SET started_at = started_at - interval '40 days'
	WHERE id IN (SELECT id FROM zalo_tthc.delivery_attempt ORDER BY id LIMIT 8);
	INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at, outcome)
	VALUES (0, 1, 'transaction', now(), 'ok');});
is($node->safe_psql('tthc', q{SELECT status || ':' || count(*) FROM zalo_tthc.outbox GROUP BY status ORDER BY 1}),
	"dead:1\npending:1\nsent:9", 'before: 9 sent, 1 dead, 1 pending, all aged');

# 30 days for the log, 90 for sent notifications: reload
$node->append_conf('postgresql.conf', qq{zalo_tthc.delivery_attempt_retention = '30d'\nzalo_tthc.sent_retention = '90d'\n});
$node->reload;
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sent'}, '0',
	'the worker deletes the old sent notifications');
wait_until($node, q{SELECT count(*) FROM zalo_tthc.delivery_attempt}, '3',
	'and the delivery attempts older than 30 days, not the newer ones');
is($node->safe_psql('tthc', q{SELECT status || ':' || count(*) FROM zalo_tthc.outbox GROUP BY status ORDER BY 1}),
	"dead:1\npending:1", 'the pending and the dead notification stay, however old');
ok($node->log_contains(qr/retention deleted 3 delivery attempts and 3 sent notifications/),
	'in batches of retention_batch_size');
is($node->safe_psql('tthc', q{SELECT sum(notifications) FROM zalo_tthc.delivery_total WHERE status = 'sent'}), '10',
	'the totals keep counting what retention deleted');

# the dead one goes only when an operator purges it
is($node->safe_psql('tthc', q{SELECT notifications || ':' || attempts FROM zalo_tthc.purge('1 year', include_dead => true)}),
	'1:0', 'purge deletes the old dead notification');
is($node->safe_psql('tthc', q{SELECT status FROM zalo_tthc.outbox}), 'pending', 'the pending one is never purged');

$node->stop;
stop_mock($mock);
done_testing();
