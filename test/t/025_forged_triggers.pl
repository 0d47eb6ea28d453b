# Forged stage events: the portal, the operator and the application's
# writer each create TEMP tables of their own that look like the
# extension's (a copy of dossier, tables named oa_credentials and
# stage_info) or like an attached application's (ho_so), attach every
# trigger function of the schema to them and fire it.  Each attempt is refused: attaching needs EXECUTE, which no
# trigger function grants.  A role that was granted EXECUTE anyway, and the
# superuser, are refused when the trigger fires, because the C triggers
# only fire on the extension's own tables.  No attempt writes a stage event
# or a notification for the real dossier, and none wakes the delivery
# worker (a forged oa_credentials trigger would cancel a rate-limit pause).
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [ { user_id => '2400000000000000001', follower => JSON::PP::true } ]);
my $node = new_tthc_node('forged', $mock);
my $id = seed_dossier($node, code => '000.00.04.H60-261201-0001', phone => '0912000001',
	follower => '2400000000000000001');
wait_until($node, q{SELECT count(*) = 0 FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')});

$node->safe_psql('tthc', q{
CREATE ROLE forged_portal IN ROLE zalo_tthc_portal;
CREATE ROLE forged_operator IN ROLE zalo_tthc_operator;
-- the application's writer: writes dossiers and reads the stage rules
CREATE ROLE forged_writer;
GRANT USAGE ON SCHEMA zalo_tthc TO forged_writer;
GRANT SELECT, INSERT, UPDATE ON zalo_tthc.dossier TO forged_writer;
GRANT SELECT ON zalo_tthc.stage_info, zalo_tthc.stage_transition TO forged_writer;
});

# the columns of the dossier table, for a copy written out by hand (the
# portal may not read the table, so it cannot use LIKE)
my $columns = $node->safe_psql('tthc', q{
	SELECT string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' ORDER BY attnum)
	FROM pg_attribute WHERE attrelid = 'zalo_tthc.dossier'::regclass AND attnum > 0 AND NOT attisdropped});
my $forged_row = qq{INSERT INTO dossier (id, code, code_standard, procedure_name, applicant_name,
	applicant_phone, stage, status_code, stage_seq, stage_actor, notify_zalo)
	VALUES ($id, '000.00.04.H60-261201-0001', true, 'Giả mạo', 'Nguyễn Văn An', '+84912000001',
	'result_ready', 9, 7, 'giả mạo', true)};

# For each trigger function: the TEMP table it is attached to, how, and
# the statement that fires it.
my %attach = (
	attached_row_changed => [ 'ho_so (ma_ho_so text, trang_thai_id int)', 'AFTER INSERT', 'ROW',
		"INSERT INTO ho_so VALUES ('000.00.04.H60-261201-0001', 9)" ],
	dossier_before_write => [ "dossier ($columns)", 'BEFORE INSERT', 'ROW', $forged_row ],
	dossier_enqueue => [ "dossier ($columns)", 'AFTER INSERT', 'ROW', $forged_row ],
	wake_worker_at_commit => [ 'oa_credentials (x int)', 'AFTER INSERT', 'STATEMENT',
		'INSERT INTO oa_credentials VALUES (1)' ],
	stage_rules_changed => [ 'stage_info (x int)', 'AFTER INSERT', 'STATEMENT',
		'INSERT INTO stage_info VALUES (1)' ],
	forbid_event_change => [ 'dossier_event (x int)', 'BEFORE UPDATE', 'ROW',
		'INSERT INTO dossier_event VALUES (1); UPDATE dossier_event SET x = 2' ],
	dossier_deleted => [ 'dossier (id bigint)', 'AFTER DELETE', 'STATEMENT',
		"INSERT INTO dossier VALUES ($id); DELETE FROM dossier", 'REFERENCING OLD TABLE AS gone' ],
	dossier_event_deleted => [ 'dossier_event (id bigint, dossier_id bigint)', 'AFTER DELETE', 'STATEMENT',
		"INSERT INTO dossier_event VALUES (1, $id); DELETE FROM dossier_event", 'REFERENCING OLD TABLE AS gone' ],
	recipient_deleted => [ 'recipient (id bigint)', 'AFTER DELETE', 'STATEMENT',
		'INSERT INTO recipient VALUES (1); DELETE FROM recipient', 'REFERENCING OLD TABLE AS gone' ],
	dossier_truncated => [ 'dossier (id bigint)', 'AFTER TRUNCATE', 'STATEMENT', 'TRUNCATE dossier' ],
	merge_config_row => [ 'template (stage text)', 'BEFORE INSERT', 'ROW',
		"INSERT INTO template VALUES ('received')", "'stage'" ],
	apply_pending_receipts => [ 'outbox (id bigint, status text, provider_msg_id text, idempotency_key text,'
		  . ' channel text)', 'AFTER UPDATE', 'STATEMENT',
		"INSERT INTO outbox VALUES (1, 'sending', '1', '1-1-oa', 'zalo_oa'); UPDATE outbox SET status = 'sent'",
		'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows' ],
);
is_deeply([ sort keys %attach ], [ split /\n/, $node->safe_psql('tthc', q{
	SELECT proname FROM pg_proc WHERE pronamespace = 'zalo_tthc'::regnamespace
	AND prorettype = 'trigger'::regtype ORDER BY proname COLLATE "C"}) ],
	'every trigger function of the schema is tried');

# What a forged trigger could change: the events and notifications (of the
# real dossier above all), the rules' rows and the worker's wake-ups.
my $state_sql = qq{SELECT (SELECT count(*) FROM zalo_tthc.dossier_event) || ' events, '
	|| (SELECT count(*) FROM zalo_tthc.outbox) || ' notifications, '
	|| (SELECT count(*) FROM zalo_tthc.dossier_event WHERE dossier_id = $id AND seq = 7) || ' forged, '
	|| (SELECT count(*) FROM zalo_tthc.template) || ' templates, '
	|| (SELECT commit_wakeups FROM zalo_tthc.worker_status()) || ' wake-ups'};
my $state = $node->safe_psql('tthc', $state_sql);

# Attach fn to its TEMP table as role (or as the superuser) and fire it,
# committing if nothing refuses it; returns psql's exit code and stderr.
sub forge
{
	my ($role, $fn) = @_;
	my ($table, $timing, $level, $fire, $extra) = @{ $attach{$fn} };
	my $args = $fn eq 'merge_config_row' ? $extra : '';
	my $referencing = $fn ne 'merge_config_row' && defined $extra ? $extra : '';
	my ($name) = $table =~ /^(\w+)/;
	my $set_role = $role eq 'superuser' ? 'RESET ROLE' : "SET ROLE $role";
	my ($ret, $out, $err) = $node->psql('tthc', qq{
		$set_role;
		CREATE TEMP TABLE $table;
		CREATE TRIGGER forged $timing ON pg_temp.$name $referencing
			FOR EACH $level EXECUTE FUNCTION zalo_tthc.$fn($args);
		$fire;
	}, on_error_stop => 1);
	return ($ret, $err);
}

for my $role (qw(forged_portal forged_operator forged_writer))
{
	for my $fn (sort keys %attach)
	{
		my ($ret, $err) = forge($role, $fn);
		isnt($ret, 0, "$role: $fn on a TEMP table is refused");
		like($err, qr/permission denied for function zalo_tthc\.$fn\b/, "$role: $fn cannot be attached");
	}
}
is($node->safe_psql('tthc', $state_sql), $state, 'no forged event, notification, rule or wake-up');

# With EXECUTE granted by mistake, and for the superuser, the C triggers
# still refuse a table that is not the extension's own.
$node->safe_psql('tthc', q{GRANT EXECUTE ON FUNCTION zalo_tthc.dossier_before_write(),
	zalo_tthc.dossier_enqueue(), zalo_tthc.wake_worker_at_commit(), zalo_tthc.stage_rules_changed()
	TO forged_writer});
for my $role (qw(forged_writer superuser))
{
	for my $fn (qw(dossier_before_write dossier_enqueue wake_worker_at_commit stage_rules_changed))
	{
		my ($ret, $err) = forge($role, $fn);
		isnt($ret, 0, "$role: $fn fired on a TEMP table is refused");
		like($err, qr/ERROR:  zalo_tthc\.$fn\(\) cannot fire on table "pg_temp_\d+\.\w+"/,
			"$role: $fn names the table it refuses");
	}
}
is($node->safe_psql('tthc', $state_sql), $state, 'still no forged event, notification or wake-up');

# the trigger of attached tables does nothing on a table attach() did not
# attach (it reads the table's attachment, and there is none)
$node->safe_psql('tthc', q{GRANT EXECUTE ON FUNCTION zalo_tthc.attached_row_changed() TO forged_writer});
for my $role (qw(forged_writer superuser))
{
	my ($ret, $err) = forge($role, 'attached_row_changed');
	is($ret, 0, "$role: attached_row_changed fired on a table nobody attached does nothing") or diag($err);
}
is($node->safe_psql('tthc', $state_sql), $state, 'and records no dossier, event or notification');

# the extension's own tables are served as before
move_stage($node, '000.00.04.H60-261201-0001', 'received');
$node->safe_psql('tthc', q{UPDATE zalo_tthc.stage_info SET label_vi = label_vi WHERE stage = 'received'});
$node->safe_psql('tthc', q{SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
	now() + interval '25 hours', 'OAKEY')});
is($node->safe_psql('tthc', qq{SELECT string_agg(stage_after::text, ',' ORDER BY seq)
	FROM zalo_tthc.dossier_event WHERE dossier_id = $id}), 'submitted,received',
	'a real stage change is recorded');
wait_until($node, q{SELECT count(*) = 0 FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')},
	't', 'and its notification is sent');
cmp_ok($node->safe_psql('tthc', q{SELECT commit_wakeups FROM zalo_tthc.worker_status()}), '>',
	($state =~ /(\d+) wake-ups/)[0], 'the extension\'s own writes wake the worker');

$node->stop;
stop_mock($mock);
done_testing();
