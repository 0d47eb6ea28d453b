# The worker keeps a copy of zalo_tthc.template; a DBA's edit reaches the
# next notification, also an edit made as a restore makes it (a session
# with session_replication_role = replica), and for both messages a
# follower can get: the ZBS template message and the older OA transaction
# message.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $follower = '4600000000000000001';
my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [ { user_id => $follower, follower => JSON::PP::true } ]);
my $node = new_tthc_node('template_edits', $mock);
my $code = '000.00.04.H60-261205-4601';
seed_dossier($node, code => $code, phone => '0912004601', follower => $follower);

# the stage's notification, sent; then the body of the last request to path
sub sent_body
{
	my ($stage, $path) = @_;
	move_stage($node, $code, $stage);
	wait_until($node, qq{SELECT o.status FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
		WHERE d.code = '$code' AND o.stage = '$stage' AND o.kind = 'stage'}, 'sent', "$stage is sent");
	my @mine = grep { (($_->{body}{user_id} // $_->{body}{recipient}{user_id}) // '') eq $follower }
	  @{ mock_requests($mock, $path) };
	return @mine ? $mine[-1]{body} : {};
}

# the worker has its copy once it has sent a stage
is(sent_body('received', '/v3.0/oa/message/template')->{template_data}{trang_thai}, 'Tiếp nhận hồ sơ',
	'received: the shipped template');

$node->safe_psql('tthc', q{UPDATE zalo_tthc.template
	SET zbs_params = zbs_params || '{"trang_thai":"Sửa 1: {{trang_thai}}"}' WHERE stage = 'assigned'});
like(sent_body('assigned', '/v3.0/oa/message/template')->{template_data}{trang_thai}, qr/^Sửa 1: /,
	'an edit reaches the next notification');

$node->safe_psql('tthc', q{SET session_replication_role = replica;
	UPDATE zalo_tthc.template
	SET zbs_params = zbs_params || '{"trang_thai":"Sửa 2: {{trang_thai}}"}' WHERE stage = 'appraising'});
like(sent_body('appraising', '/v3.0/oa/message/template')->{template_data}{trang_thai}, qr/^Sửa 2: /,
	'so does an edit made as a restore makes it');

# an OA whose transaction message Zalo still takes
mock_call($mock, 'POST', '/_mock/config', { transaction_message => 'available' });
$node->append_conf('postgresql.conf', "zalo_tthc.follower_message = transaction\n");
$node->reload;
$node->safe_psql('tthc', q{UPDATE zalo_tthc.template
	SET header = 'Sửa 3: hồ sơ đang trình ký', table_rows = '[{"key":"Sửa 3","value":"{{ten_thu_tuc}}"}]'
	WHERE stage = 'signing'});
my $elements = sent_body('signing', '/v3.0/oa/message/transaction')->{message}{attachment}{payload}{elements} // [];
is($elements->[0]{content}, 'Sửa 3: hồ sơ đang trình ký', 'the transaction message has the edited header');
is(join('|', map { "$_->{key}=$_->{value}" } @{ $elements->[-1]{content} // [] }),
	"Mã hồ sơ=$code|Sửa 3=Cấp giấy phép xây dựng", 'and the edited rows');

$node->stop;
stop_mock($mock);
done_testing();
