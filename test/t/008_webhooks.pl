# Zalo webhooks end to end: bodies signed by the mock go through
# handle_webhook; the welcome message, the phone request and the chat
# reply reach the mock as cs messages sent by the worker; receipts mark
# the outbox rows delivered and seen; a linked phone moves the next stage
# notification to Zalo OA.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ZaloTthcTest;

my $mock = start_mock();
my $citizen = '2468458835296197922';
mock_call($mock, 'POST', '/_mock/users', [ { user_id => $citizen, follower => JSON::PP::true } ]);
my $node = new_tthc_node('webhooks', $mock);
my $json = JSON::PP->new->canonical;

# Deliver an event as Zalo would: signed by the mock, raw body to SQL.
sub deliver
{
	my (%event) = @_;
	my $body = $json->encode({ app_id => '1234567890123456789', timestamp => int(time * 1000) . '', %event });
	my $sig = mock_call($mock, 'POST', '/_mock/webhook/sign', { body => $body })->{signature};
	utf8::encode($body);
	my $answer = $node->safe_psql('tthc', "SELECT zalo_tthc.handle_webhook(\$b\$$body\$b\$, '$sig')");
	return json_decode_utf8($answer);
}

# The cs messages the mock received for the citizen, oldest first.
sub cs_messages
{
	return [ grep { ($_->{body}{recipient}{user_id} // '') eq $citizen }
		  @{ mock_requests($mock, '/v3.0/oa/message/cs') } ];
}

# a dossier of the citizen, submitted before they followed the OA
my $code = '000.00.04.H60-261127-0901';
seed_dossier($node, code => $code, phone => '0912345678', name => 'Nguyễn Văn An');

# follow: welcome, then the phone request, both sent by the worker
my $a = deliver(event_name => 'follow', oa_id => '4300012345678901234', source => 'oa_profile',
	follower => { id => $citizen });
is($a->{action}, 'recipient_created', 'follow creates the recipient');
is_deeply($a->{queued}, [ 'welcome', 'request_user_info' ], 'welcome and phone request queued');
wait_until($node, q{SELECT count(*) = 2 AND bool_and(status = 'sent') FROM zalo_tthc.outbox
	WHERE kind IN ('welcome', 'request_user_info')}, 't', 'both chat messages are sent');
my $cs = cs_messages();
is(scalar @$cs, 2, 'two cs messages reached Zalo');
like($cs->[0]{body}{message}{text}, qr/^Chào mừng .* đã đến với Chính quyền số tỉnh .*thay thế cho tin nhắn SMS/,
	'the welcome message comes first');
my $card = $cs->[1]{body}{message}{attachment}{payload};
is($card->{template_type}, 'request_user_info', 'then the request_user_info card');
ok(length $card->{elements}[0]{title} && length $card->{elements}[0]{subtitle}, 'with a title and subtitle');

# receipts: delivered, then seen, with their times
my ($welcome_id, $request_id) = split /\|/, $node->safe_psql('tthc', q{
	SELECT string_agg(provider_msg_id, '|' ORDER BY id) FROM zalo_tthc.outbox
	WHERE kind IN ('welcome', 'request_user_info')});
ok($welcome_id && $request_id, 'the worker stored the Zalo message ids');
$a = deliver(event_name => 'user_received_message', sender => { id => '4300012345678901234' },
	recipient => { id => $citizen }, message => { msg_id => $welcome_id });
is($a->{messages}, 1, 'user_received_message matches the welcome message');
is($node->safe_psql('tthc', qq{SELECT status || ' ' || (delivered_at IS NOT NULL) FROM zalo_tthc.outbox
	WHERE provider_msg_id = '$welcome_id'}), 'delivered true', 'it is delivered, with the time');
$a = deliver(event_name => 'user_seen_message', sender => { id => '4300012345678901234' },
	recipient => { id => $citizen }, message => { msg_ids => [ $welcome_id, $request_id ] });
is($a->{messages}, 2, 'user_seen_message matches both');
is($node->safe_psql('tthc', q{SELECT string_agg(status || ' ' || (seen_at IS NOT NULL), ',' ORDER BY id)
	FROM zalo_tthc.outbox WHERE kind IN ('welcome', 'request_user_info')}), 'seen true,seen true',
	'both are seen, with the time');

# the citizen shares the phone: the next stage goes to Zalo OA
$a = deliver(event_name => 'user_submit_info', sender => { id => $citizen },
	info => { name => 'Nguyễn Văn An', phone => '84912345678' });
is($a->{open_dossiers}, 1, 'the phone links the open dossier');
move_stage($node, $code, 'received');
wait_until($node, qq{SELECT o.channel || ' ' || o.status FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code' AND o.stage = 'received'},
	'zalo_oa sent', 'the received notification goes to the follower by OA');

# a chat lookup: the masked answer comes back as a cs message
$a = deliver(event_name => 'user_send_text', sender => { id => $citizen },
	recipient => { id => '4300012345678901234' }, message => { msg_id => 'chat-0001', text => "tthc $code" });
is($a->{action}, 'reply_queued', 'the lookup is answered');
wait_until($node, q{SELECT status FROM zalo_tthc.outbox WHERE kind = 'chat_reply'}, 'sent',
	'the reply is sent');
# a free reply: addressed by the citizen's message id, not as a paid message to the user
my @replies = grep { ($_->{body}{recipient}{message_id} // '') eq 'chat-0001' }
  @{ mock_requests($mock, '/v3.0/oa/message/cs') };
is(scalar @replies, 1, "the reply answers the citizen's message (recipient.message_id)");
my $reply = @replies ? $replies[0]{body}{message}{text} : '';
like($reply, qr/Hồ sơ: \Q$code\E/, 'the reply names the dossier');
like($reply, qr/Người nộp: Nguyễn V\*\* A\*/, 'with the masked name');
like($reply, qr/Trạng thái: Tiếp nhận hồ sơ/, 'and its status');
unlike($reply, qr/0912|345678/, 'and no phone');

# Zalo retries the same message: no second reply
$a = deliver(event_name => 'user_send_text', sender => { id => $citizen }, message => { msg_id => 'chat-0001', text => "tthc $code" });
is($a->{action}, 'duplicate_ignored', 'a retried message is a replay');

# Zalo refuses a free reply (its 8 replies used, or 48 hours past): the same
# answer goes as a consultation message to the citizen
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/v3.0/oa/message/cs', next => [ { fault => 'zalo_error', code => -232, count => 1 } ] });
$a = deliver(event_name => 'user_send_text', sender => { id => $citizen }, message => { msg_id => 'chat-0002', text => "tthc $code" });
wait_until($node, q{SELECT count(*) FILTER (WHERE status = 'sent') FROM zalo_tthc.outbox WHERE kind = 'chat_reply'}, '2',
	'a refused free reply is sent all the same');
my @second = grep { ($_->{body}{recipient}{message_id} // '') eq 'chat-0002' || (($_->{body}{recipient}{user_id} // '') eq $citizen
		&& ($_->{body}{message}{text} // '') =~ /Hồ sơ: \Q$code\E/) }
  @{ mock_requests($mock, '/v3.0/oa/message/cs') };
is(join(',', map { exists $_->{body}{recipient}{message_id} ? 'reply' : 'consultation' } @second), 'reply,consultation',
	'first as a reply, then as a consultation message to the user id');

# unfollow: a queued chat message is not sent any more
deliver(event_name => 'unfollow', follower => { id => $citizen });
$node->safe_psql('tthc', q{SELECT zalo_tthc.enqueue_chat_message(r.id, 'chat_reply', 'late-1',
	zalo_tthc.cs_text_message(r.zalo_user_id, 'muộn')) FROM zalo_tthc.recipient r});
wait_until($node, q{SELECT status FROM zalo_tthc.outbox WHERE idempotency_key = 'late-1'}, 'undeliverable',
	'a chat message to a citizen who unfollowed is undeliverable');

$node->stop;
stop_mock($mock);
done_testing();
