# ZBS templates as Zalo reports them: the worker reads each template the
# stages use (status, parameters, prices) into zbs_template; a template
# that is not ENABLE holds only the stages that use it, and a
# change_template_status webhook releases them; an account problem of one
# channel (-137, no balance) holds that channel only; the hashed-phone
# setting sends no phone number in clear.
use strict;
use warnings;
use utf8;
use Digest::SHA qw(sha256_hex);
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "42000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
# the template of result_ready is disabled at Zalo before the worker starts
mock_call($mock, 'POST', '/_mock/template_status', { template_id => 'tthc_result', status => 'DISABLE' });
my $node = new_tthc_node('zbs_templates', $mock);

wait_until($node, q{SELECT string_agg(template_id || ':' || status, ',' ORDER BY template_id)
	FROM zalo_tthc.zbs_template},
	'tthc_apology:ENABLE,tthc_payment:ENABLE,tthc_received:ENABLE,tthc_result:DISABLE,tthc_status:ENABLE,tthc_supplement:ENABLE',
	'the worker read every template the stages use');
is($node->safe_psql('tthc', q{SELECT params @> '[{"name":"ten_thu_tuc","max_length":100}]'
	AND price_uid = 200 AND price_phone = 440 FROM zalo_tthc.zbs_template WHERE template_id = 'tthc_status'}),
	't', 'with its parameters, their lengths and its prices');

sub statuses
{
	my ($code) = @_;
	return $node->safe_psql('tthc', qq{SELECT string_agg(o.stage || ':' || o.status, ',' ORDER BY o.id)
		FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
		WHERE d.code = '$code' AND o.kind = 'stage'});
}

# --- a disabled template holds its stages, not the others ---
my $code = '000.00.04.H60-261205-4210';
seed_dossier($node, code => $code, phone => '0912004210', follower => '4200000000000000010');
move_stage($node, $code, $_) for qw(received assigned appraising signing result_ready);
my $other = '000.00.04.H60-261205-4211';
seed_dossier($node, code => $other, phone => '0912004211', follower => '4200000000000000011');
move_stage($node, $other, $_) for qw(received assigned);
wait_until($node, qq{SELECT count(*) FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$other' AND o.status = 'sent'}, '3', 'the stages of an enabled template go out');
wait_until($node, qq{SELECT o.status || ' ' || o.attempts || ' ' || (o.last_error LIKE '%tthc_result is DISABLE%')
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$code' AND o.stage = 'result_ready'}, 'failed 0 true',
	'result_ready waits, with the reason and no attempt spent');
is(scalar(grep { $_->{body}{template_id} eq 'tthc_result' } @{ mock_requests($mock, '/v3.0/oa/message/template') }),
	0, 'and no request was made with the disabled template');
like($node->safe_psql('tthc', q{SELECT zalo_tthc.metrics()}),
	qr/zalo_tthc_template_enabled\{template_id="tthc_result",status="DISABLE"\} 0/,
	'metrics() shows the template held');

# Zalo enables it again and says so by webhook
mock_call($mock, 'POST', '/_mock/template_status', { template_id => 'tthc_result', status => 'ENABLE' });
my $body = qq({"event_name":"change_template_status","app_id":"1234567890123456789","timestamp":")
  . int(time() * 1000) . qq(","template_id":"tthc_result","status":{"prev_status":"DISABLE","new_status":"ENABLE"}});
my $sig = mock_call($mock, 'POST', '/_mock/webhook/sign', { body => $body })->{signature};
is($node->safe_psql('tthc', qq{SELECT zalo_tthc.handle_webhook(convert_to(\$b\$$body\$b\$, 'UTF8'), '$sig') ->> 'action'}),
	'template_status_changed', 'the webhook is taken');
wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$code' AND o.stage = 'result_ready'}, 'sent', 'and the held notice goes out');
is($node->safe_psql('tthc', q{SELECT status || coalesce(problem, '') FROM zalo_tthc.zbs_template
	WHERE template_id = 'tthc_result'}), 'ENABLE', 'the worker read the template again');

# --- -137 by phone: the phone channel waits, followers do not ---
mock_call($mock, 'POST', '/_mock/quota', { balance => JSON::PP::false });
my $phone_code = '000.00.04.H60-261205-4212';
seed_dossier($node, code => $phone_code, phone => '0987004212');
move_stage($node, $phone_code, 'rejected');
wait_until($node, q{SELECT held_until > now() FROM zalo_tthc.channel_status() WHERE channel = 'phone'}, 't',
	'-137 holds the phone channel');
my $follower_code = '000.00.04.H60-261205-4213';
seed_dossier($node, code => $follower_code, phone => '0912004213', follower => '4200000000000000013');
wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$follower_code'}, 'failed', 'meanwhile a follower notice meets -137 on its own channel');
mock_call($mock, 'POST', '/_mock/quota', { balance => JSON::PP::true });
wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$phone_code' AND o.stage = 'rejected'}, 'sent', 'once the balance is back, the phone notice goes');
wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$follower_code'}, 'sent', 'and the follower notice');
is($node->safe_psql('tthc', qq{SELECT max(attempts) FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code IN ('$phone_code', '$follower_code') AND o.status = 'sent'}), '1', 'each sent at its first attempt');

# --- hashed phone: only the SHA-256 of the number leaves the database ---
$node->append_conf('postgresql.conf', "zalo_tthc.phone_channel = hashed_phone\n");
$node->reload;
my $hash_code = '000.00.04.H60-261205-4214';
seed_dossier($node, code => $hash_code, phone => '0987004214');
move_stage($node, $hash_code, 'rejected');
wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$hash_code' AND o.channel = 'zns'}, 'sent', 'sent by hashed phone');
my @hashed = @{ mock_requests($mock, '/message/template/hashphone') };
is(scalar @hashed, 1, 'to the hashed-phone endpoint');
is($hashed[0]{body}{phone}, sha256_hex('84987004214'), 'with the SHA-256 of the 84... number');
ok(!grep({ ($_->{body}{phone} // '') eq '84987004214' } @{ mock_requests($mock, '/message/template') }),
	'and never the number itself');

$node->stop;
stop_mock($mock);
done_testing();
