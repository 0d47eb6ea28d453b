# A claim's lease is enforced: a notification left 'sending' past its
# lease (its outcome could not be written, or it was lost some other way)
# goes back to the queue as an attempt of unknown outcome, without a
# restart of the worker, instead of blocking its dossier.
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
	map { { user_id => "93000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('lease', $mock, conf => "zalo_tthc.lease_time = 2s\n");
my $pid = $node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()});

sub seed
{
	my ($n) = @_;
	return seed_dossier($node, code => "000.00.04.H60-261124-12$n", phone => "09123412$n",
		follower => "93000000000000000$n");
}

# 1. a claim lost while the worker is idle
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
my $id = seed(10);
$node->safe_psql('tthc', qq{
	UPDATE zalo_tthc.outbox SET status = 'sending', attempts = 1, lease_until = now() + interval '1 second'
	WHERE dossier_id = $id;
	SELECT zalo_tthc.resume()});
wait_until($node, qq{SELECT status = 'sent' FROM zalo_tthc.outbox WHERE dossier_id = $id}, 't',
	'a notification left sending is sent once its lease ran out');
is($node->safe_psql('tthc', qq{SELECT string_agg(a.outcome, ',' ORDER BY a.id) FROM zalo_tthc.delivery_attempt a
	JOIN zalo_tthc.outbox o ON o.id = a.outbox_id WHERE o.dossier_id = $id}), 'unknown,ok',
	'the lost attempt is logged as of unknown outcome');
ok($node->log_contains('outlived their lease'), 'the worker says so in the log');

# 2. an outcome that cannot be written the first times: the notification
# waits for its lease, then is sent again
$node->safe_psql('tthc', q{
	CREATE SEQUENCE public.refusals;
	CREATE FUNCTION public.refuse_first_writes() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF EXISTS (SELECT FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
				   WHERE o.id = NEW.outbox_id AND d.code = '000.00.04.H60-261124-1211')
		   AND nextval('public.refusals') <= 2 THEN
			RAISE EXCEPTION 'this outcome is refused' USING ERRCODE = 'check_violation';
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER refuse_first_writes BEFORE INSERT ON zalo_tthc.delivery_attempt
		FOR EACH ROW EXECUTE FUNCTION public.refuse_first_writes()});
my $id2 = seed(11);
wait_until($node, qq{SELECT status = 'sent' FROM zalo_tthc.outbox WHERE dossier_id = $id2}, 't',
	'a notification whose outcome could not be written is sent after its lease');
ok($node->log_contains('could not be recorded'), 'the dropped outcome is in the log');
is($node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()}), $pid,
	'the worker did not restart');

$node->stop;
stop_mock($mock);
done_testing();
