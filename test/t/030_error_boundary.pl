# An ERROR in the worker's loop costs one retry of what failed, not a
# restart: outcomes already known are written at the next turn, so no
# notification is sent twice and the worker keeps its process.
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
	map { { user_id => "91000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('error_boundary', $mock);
my $pid = $node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()});

# the first write of outcomes fails, as a lock timeout or a cancelled
# statement would (a sequence counts: it is not rolled back with the error)
$node->safe_psql('tthc', q{
	CREATE SEQUENCE public.outcome_writes;
	CREATE FUNCTION public.fail_first_outcome_write() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF nextval('public.outcome_writes') = 1 THEN
			RAISE EXCEPTION 'injected failure of an outcome write' USING ERRCODE = 'lock_not_available';
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER fail_first_outcome_write AFTER INSERT ON zalo_tthc.delivery_attempt
		FOR EACH STATEMENT EXECUTE FUNCTION public.fail_first_outcome_write()});

for my $n (10 .. 12)
{
	seed_dossier($node, code => "000.00.04.H60-261124-10$n", phone => "09123410$n",
		follower => "91000000000000000$n");
}
wait_until($node, q{SELECT count(*) = 3 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'every notification is sent');
ok($node->log_contains('injected failure of an outcome write'), 'the error is in the server log');
is($node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()}), $pid,
	'the worker did not restart');
is(scalar @{ mock_requests($mock, '/v3.0/oa/message/template') }, 3,
	'Zalo received each notification once');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'unknown'}),
	'0', 'no attempt of unknown outcome');
like($node->safe_psql('tthc', q{SELECT last_error FROM zalo_tthc.worker_status()}),
	qr/injected failure/, 'worker_status() shows the last error');

# an outcome that can never be written does not hold back the others
$node->safe_psql('tthc', q{
	CREATE FUNCTION public.refuse_one_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF EXISTS (SELECT FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
				   WHERE o.id = NEW.outbox_id AND d.code = '000.00.04.H60-261124-1013') THEN
			RAISE EXCEPTION 'this outcome is refused' USING ERRCODE = 'check_violation';
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER refuse_one_outcome BEFORE INSERT ON zalo_tthc.delivery_attempt
		FOR EACH ROW EXECUTE FUNCTION public.refuse_one_outcome()});
$node->safe_psql('tthc', q{SELECT zalo_tthc.pause('test')});
for my $n (13 .. 15)
{
	seed_dossier($node, code => "000.00.04.H60-261124-10$n", phone => "09123410$n",
		follower => "91000000000000000$n");
}
$node->safe_psql('tthc', q{SELECT zalo_tthc.resume()});
wait_until($node, q{SELECT count(*) = 2 FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code IN ('000.00.04.H60-261124-1014', '000.00.04.H60-261124-1015') AND o.status = 'sent'}, 't',
	'the other outcomes of the batch are written');
is($node->safe_psql('tthc', q{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-1013'}), 'sending',
	'the refused one waits for its lease');
ok($node->log_contains('could not be recorded'), 'the dropped outcome is in the server log');
is($node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()}), $pid,
	'still the same worker');

$node->stop;
stop_mock($mock);
done_testing();
