# The invariant checker of the resilience scenarios fails loudly: after a
# clean run it reports no violation, then each invariant is broken on
# purpose, in the mock's record or in the queue, and the checker must
# count exactly that violation.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;
use Soak;
use Invariants;

$ENV{INVARIANTS_QUIET} = 1;
my $p = soak_params();
$p->{dossiers} = 30;
my $mock = start_mock();
soak_mock_setup($mock, $p);
my $node = new_tthc_node('checker', $mock, conf => soak_node_conf());
soak_seed($node, $p);
soak_finish_stages($node);
$node->poll_query_until('tthc',
	q{SELECT count(*) = 0 FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')})
  or die 'the queue did not drain';
stop_mock($mock);

load_records($node, $mock->{record});
my $clean = check_invariants($node);
is($clean->{$_}, 0, "clean run: $_ = 0") for @Invariants::must_be_zero;

# break_and_check(WHAT, SQL, EXPECTED {counter => value}): tamper, check,
# then reload the record so that the next case starts clean
sub break_and_check
{
	my ($what, $sql, $expected) = @_;
	$node->safe_psql('tthc', $sql);
	my $r = check_invariants($node);
	is($r->{$_}, $expected->{$_}, "$what: $_ = $expected->{$_}") for sort keys %$expected;
	load_records($node, $mock->{record});
}

# a stage message that Zalo never accepted
break_and_check('a message lost', q{
	DELETE FROM zalo_tthc_check.accepted WHERE n = (SELECT max(n) FROM zalo_tthc_check.accepted)},
	{ lost => 1 });

# the citizen got "appraising" before "assigned"
break_and_check('two stages swapped', q{
	WITH pair AS (
		SELECT a.n AS first, b.n AS second FROM zalo_tthc_check.accepted a
		JOIN zalo_tthc_check.accepted b ON b.code = a.code AND b.n > a.n
		WHERE a.stage = 'assigned' AND b.stage = 'appraising' LIMIT 1)
	UPDATE zalo_tthc_check.accepted x
	SET n = CASE WHEN x.n = pair.first THEN pair.second ELSE pair.first END
	FROM pair WHERE x.n IN (pair.first, pair.second)},
	{ out_of_order => 1, lost => 0 });

# a message accepted twice although no send of unknown outcome was logged
break_and_check('a duplicate nobody predicted', q{
	INSERT INTO zalo_tthc_check.accepted
	SELECT (SELECT max(n) + 1 FROM zalo_tthc_check.accepted), src, seq, time_us, channel, user_id,
		   phone, tracking_id, code, stage
	FROM zalo_tthc_check.accepted ORDER BY n DESC LIMIT 1},
	{ duplicates => 1, unexplained_dups => 1 });

# someone else's phone got the message
break_and_check('a message to the wrong citizen', q{
	UPDATE zalo_tthc_check.accepted SET user_id = '6000000000000000099'
	WHERE n = (SELECT min(n) FROM zalo_tthc_check.accepted WHERE channel = 'zalo_oa')},
	{ wrong_recipient => 1 });

# a message for a dossier that does not exist
break_and_check('a message of no notification', q{
	INSERT INTO zalo_tthc_check.accepted
	SELECT (SELECT max(n) + 1 FROM zalo_tthc_check.accepted), src, seq, time_us, channel, user_id,
		   phone, tracking_id, '000.00.04.H60-991231-9999', stage
	FROM zalo_tthc_check.accepted WHERE channel = 'zalo_oa' ORDER BY n DESC LIMIT 1},
	{ unmapped => 1 });

# the queue itself: a notification left waiting, one gone, one twice
break_and_check('a notification not final', q{
	UPDATE zalo_tthc.outbox SET status = 'failed' WHERE id = (SELECT min(id) FROM zalo_tthc.outbox)},
	{ not_final => 1 });
break_and_check('a notification given up', q{
	UPDATE zalo_tthc.outbox SET status = 'dead' WHERE id = (SELECT min(id) FROM zalo_tthc.outbox)},
	{ not_final => 0, lost => 1 });
break_and_check('a stage change without its notification', q{
	DELETE FROM zalo_tthc.outbox WHERE id = (SELECT min(id) FROM zalo_tthc.outbox)},
	{ missing_rows => 1 });
# (the key on event, channel and kind refuses this; the checker must not rely on it)
break_and_check('a stage change notified twice', q{
	ALTER TABLE zalo_tthc.outbox DROP CONSTRAINT outbox_event_id_channel_kind_key;
	INSERT INTO zalo_tthc.outbox (event_id, dossier_id, stage, channel, idempotency_key, status)
	SELECT event_id, dossier_id, stage, channel, idempotency_key || '-again', 'sent'
	FROM zalo_tthc.outbox WHERE id = (SELECT max(id) FROM zalo_tthc.outbox)},
	{ extra_rows => 1 });

$node->stop;
done_testing();
