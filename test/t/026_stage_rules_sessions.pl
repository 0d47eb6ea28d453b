# The stage rules are cached per session and reloaded when another session
# changes them.  A change that commits while a session is loading the rules
# (here: after it has read stage_info and while it waits for
# stage_transition, which a DBA's transaction holds) must not be lost: the
# next stage change of that session follows the new rule.  The same holds
# for the enqueue trigger's per-session knowledge of which stages have a
# ZNS template.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
my $node = new_tthc_node('rules', $mock, conf => "zalo_tthc.database_name = 'postgres'\n");
for my $n (1 .. 4)
{
	seed_dossier($node, code => "000.00.04.H60-261202-000$n", phone => "091200000$n");
}

# the notify decision of a dossier's latest event
sub last_notify
{
	my ($code) = @_;
	return $node->safe_psql('tthc', qq{SELECT e.notify FROM zalo_tthc.dossier_event e
		JOIN zalo_tthc.dossier d ON d.id = e.dossier_id WHERE d.code = '$code'
		ORDER BY e.seq DESC LIMIT 1});
}

# The clerk's session, whose cache is under test, and the DBA's.
my $clerk = $node->background_psql('tthc', on_error_stop => 0);
my $dba = $node->background_psql('tthc');

# The clerk's session loads the rules while the DBA's change commits in the
# middle of it.
$dba->query_safe('BEGIN; LOCK TABLE zalo_tthc.stage_transition IN ACCESS EXCLUSIVE MODE');
$clerk->query_until(qr/loading/, q{
\echo loading
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261202-0001';
});
ok($node->poll_query_until('tthc', q{SELECT count(*) FROM pg_locks
	WHERE relation = 'zalo_tthc.stage_transition'::regclass AND NOT granted}, '1'),
	'the clerk has read stage_info and waits for stage_transition');
$dba->query_safe(q{UPDATE zalo_tthc.stage_info SET notifies = false WHERE stage = 'assigned'; COMMIT});
$clerk->query_safe('SELECT 1');
is(last_notify('000.00.04.H60-261202-0001'), 'enqueued', 'the clerk made the change');

$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-261202-0001'});
is(last_notify('000.00.04.H60-261202-0001'), 'not_notifying_stage',
	'the clerk follows the rule changed while the session was loading the rules');

# a plain change by the DBA between two statements of the clerk
$dba->query_safe(q{INSERT INTO zalo_tthc.stage_transition VALUES ('received', 'signing')});
$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261202-0002'});
$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-261202-0002'});
$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261202-0004'});
is($node->safe_psql('tthc', q{SELECT stage FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-261202-0002'}),
	'signing', 'the clerk may make a transition the DBA added');
$dba->query_safe(q{DELETE FROM zalo_tthc.stage_transition WHERE from_stage = 'received' AND to_stage = 'signing'});
$clerk->query(q{UPDATE zalo_tthc.dossier SET stage = 'signing' WHERE code = '000.00.04.H60-261202-0004'});
like($clerk->{stderr}, qr/cannot move from stage "received" to "signing"/,
	'and not once the DBA removed it');
$clerk->{stderr} = '';

# sending by phone: the clerk's session knows that assigned is not, the
# DBA turns it on, the next assigned notification goes by phone
$dba->query_safe(q{UPDATE zalo_tthc.stage_info SET notifies = true WHERE stage = 'assigned'});
$dba->query_safe(q{UPDATE zalo_tthc.template SET by_phone = false WHERE stage = 'assigned'});
$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261202-0003'});
$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-261202-0003'});
$dba->query_safe(q{UPDATE zalo_tthc.template SET by_phone = true WHERE stage = 'assigned'});
$clerk->query_safe(q{UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-261202-0004'});
is($node->safe_psql('tthc', q{SELECT string_agg(d.code || ':' || o.channel || ':' || o.status, ',' ORDER BY d.code)
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE o.stage = 'assigned'}),
	'000.00.04.H60-261202-0003:zalo_oa:undeliverable,000.00.04.H60-261202-0004:zns:pending',
	'the clerk sees the change the DBA made');

$clerk->quit;
$dba->quit;
$node->stop;
stop_mock($mock);
done_testing();
