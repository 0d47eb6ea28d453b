# Requests that must not go out, and texts from Zalo that must not come in
# as they are: a plain http:// base URL while zalo_tthc.allow_insecure_http
# is off and an access token holding CR LF are refused before anything is
# sent (the notification waits, sending pauses with a WARNING saying why);
# a long error message holding invalid UTF-8 ends in last_error as valid
# UTF-8, so that the database still dumps and restores.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "24000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
# the mock is plain http: start with what a production server has
my $node = new_tthc_node('unsafe', $mock, conf => "zalo_tthc.allow_insecure_http = off\n");

# the message requests the mock has received so far
sub messages_received
{
	return scalar @{ mock_requests($mock, '/v3.0/oa/message') };
}

# the outbox row of a dossier's first notification: status|last_error
sub first_notification
{
	my ($code) = @_;
	return $node->safe_psql('tthc', qq{SELECT o.status || '|' || coalesce(o.last_error, '')
		FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
		WHERE d.code = '$code' ORDER BY o.id LIMIT 1});
}

# --- plain http refused unless allowed ---
is($node->safe_psql('tthc', 'SHOW zalo_tthc.allow_insecure_http'), 'off', 'plain http is off');
seed_dossier($node, code => '000.00.04.H60-261124-2410', phone => '0912342410',
	follower => '2400000000000000010');
wait_until($node, q{SELECT last_error LIKE '%allow_insecure_http%' FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-2410'}, 't',
	'an http:// base URL is refused, with the reason in last_error');
like(first_notification('000.00.04.H60-261124-2410'),
	qr/^failed\|not sent: the base URL http:\/\/127\.0\.0\.1:\d+\/v3\.0\/oa\/message\/template is plain http and zalo_tthc\.allow_insecure_http is off$/,
	'the notification waits to be sent again');
is(messages_received(), 0, 'nothing reached the mock');
ok($node->log_contains('WARNING:.*sending paused'), 'a WARNING says sending is paused');
ok($node->log_contains('DETAIL:  not sent: the base URL http'), 'and why');
is($node->safe_psql('tthc', q{SELECT attempts FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d
	ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-2410' ORDER BY o.id LIMIT 1}), '0',
	'no attempt is burnt');

$node->safe_psql('tthc', 'ALTER SYSTEM SET zalo_tthc.allow_insecure_http = on');
$node->safe_psql('tthc', 'SELECT pg_reload_conf()');
wait_until($node, q{SELECT status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-2410' ORDER BY o.id LIMIT 1}, 'sent',
	'allowed after a reload: sent');

# --- a token with CR LF never reaches a header ---
$node->safe_psql('tthc', q{SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T',
	E'AT_0\r\nX-Injected: yes', 'RT_0', now() + interval '25 hours', 'OAKEY')});
my $before = messages_received();
seed_dossier($node, code => '000.00.04.H60-261124-2411', phone => '0912342411',
	follower => '2400000000000000011');
wait_until($node, q{SELECT last_error LIKE '%control character%' FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '000.00.04.H60-261124-2411'}, 't',
	'an access token with CR LF is refused');
is(first_notification('000.00.04.H60-261124-2411'),
	'failed|not sent: the access_token header value holds a control character (CR, LF or another)',
	'the reason is in last_error, without the token');
is(messages_received(), $before, 'nothing reached the mock');
$node->safe_psql('tthc', q{SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T',
	'AT_0', 'RT_0', now() + interval '25 hours', 'OAKEY')});
wait_until($node, q{SELECT status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-2411' ORDER BY o.id LIMIT 1}, 'sent',
	'with a clean token: sent');

# --- a long error message with invalid UTF-8 ---
mock_call($mock, 'POST', '/_mock/faults', { next => [ { fault => 'garbled_message', count => 1 } ] });
seed_dossier($node, code => '000.00.04.H60-261124-2412', phone => '0912342412',
	follower => '2400000000000000012');
wait_until($node, q{SELECT status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-2412' ORDER BY o.id LIMIT 1}, 'undeliverable',
	'a -201 answer ends the follower message (the OA form refused its content)');
# (the fallback by phone is queued; this stage is not sent by phone, so it says so)
wait_until($node, q{SELECT o.status || ': ' || o.last_error FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-2412' AND o.channel = 'zns'},
	'undeliverable: the Zalo OA could not reach the citizen and stage submitted is not sent by phone',
	'and the notice falls back to the phone channel');
# convert_from() checks the bytes of the stored text, which a plain SELECT does not
my ($ret, $out, $err) = $node->psql('tthc', q{SELECT convert_from(textsend(o.last_error), 'UTF8') = o.last_error,
		o.last_error LIKE 'Zalo error -201: ệệệ%', octet_length(o.last_error) <= 255,
		position(U&'\FFFD' IN o.last_error) > 0
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '000.00.04.H60-261124-2412' ORDER BY o.id LIMIT 1});
is($out, 't|t|t|t', 'last_error is valid UTF-8: the message cut between characters, invalid bytes replaced')
  or diag($err);
($ret, $out, $err) = $node->psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt
	WHERE convert_from(textsend(coalesce(error_text, '')), 'UTF8') IS NOT NULL AND error_text LIKE 'Zalo error -201%'});
is($out, '1', 'so is the delivery log\'s error_text') or diag($err);
($ret, $out, $err) = $node->psql('tthc', q{SELECT convert_from(textsend(last_error), 'UTF8') IS NOT NULL
	FROM zalo_tthc.worker_status()});
is($out, 't', 'and worker_status()\'s last_error') or diag($err);

my $dump = PostgreSQL::Test::Utils::tempdir() . '/tthc.dump';
ok(IPC::Run::run([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('tthc') ], '>', \$out, '2>', \$err),
	'pg_dump succeeds') or diag($err);
$node->safe_psql('postgres', 'CREATE DATABASE restored');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	ok(IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ],
		'>', \$out, '2>', \$err), 'pg_restore succeeds') or diag($err);
}
is($node->safe_psql('restored', q{SELECT count(*) FROM zalo_tthc.outbox WHERE last_error LIKE 'Zalo error -201%'}),
	'1', 'the row with the cut message is restored');

$node->stop;
stop_mock($mock);
done_testing();
