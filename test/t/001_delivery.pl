# Every stage reaches a follower as a ZBS template message by user id with
# the stage's template and values; the received stage also carries the
# receipt PDF; without a follower, or when Zalo refuses the recipient, the
# same template goes by phone.  The older OA transaction message, behind
# zalo_tthc.follower_message, still carries the receipt slip.
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
	{ user_id => '2468458835296197922', follower => JSON::PP::true, last_interaction => time() },
	{ user_id => '1111111111111111111', follower => JSON::PP::false } ]);

my $node = new_tthc_node('delivery', $mock);

# a follower's dossier through the whole natural flow
my $code = '000.00.04.H60-261124-0101';
seed_dossier($node, code => $code, phone => '0912345678', follower => '2468458835296197922');
$node->safe_psql('tthc', qq{
	INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu-tiep-nhan.pdf', convert_to('%PDF-1.4 phiếu tiếp nhận', 'UTF8')
	FROM zalo_tthc.dossier WHERE code = '$code'});
for my $stage (qw(received assigned appraising signing result_ready result_returned))
{
	move_stage($node, $code, $stage);
}
wait_until($node, qq{SELECT count(*) = 8 AND bool_and(status = 'sent')
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code'},
	't', 'all 7 stage messages and the receipt file are sent');

my @tx = grep { $_->{body}{user_id} eq '2468458835296197922' }
  @{ mock_requests($mock, '/v3.0/oa/message/template') };
is(scalar @tx, 7, 'seven template messages by user id reached Zalo');
is_deeply([ map { $_->{body}{template_id} } @tx ],
	[qw(tthc_status tthc_received tthc_status tthc_status tthc_status tthc_result tthc_status)],
	'each stage with the template that carries it');
is_deeply([ map { $_->{body}{template_data}{trang_thai} } @tx ], [
	'Nộp hồ sơ', 'Tiếp nhận hồ sơ', 'Phân công thụ lý', 'Thẩm định hồ sơ', 'Trình ký, ký duyệt',
	'Đã có kết quả', 'Đã trả kết quả' ], 'stages arrive in order, each with its status');
ok(!grep({ exists $_->{body}{tracking_id} } @tx), 'no tracking_id by user id');
my $receipt = $tx[1]{body}{template_data};
is($receipt->{ma_ho_so}, $code, 'the dossier code is a parameter');
is($receipt->{ngay_hen_tra}, '20/12/2026', 'dates are DD/MM/YYYY in Vietnam time');
ok(length $receipt->{ho_ten}, 'the applicant name is a parameter');
is(length($tx[0]{body}{template_data}{ten_thu_tuc}) <= 100, 1,
	'a long procedure name is cut to the parameter length Zalo reports');

my @uploads = @{ mock_requests($mock, '/v2.0/oa/upload/file') };
is(scalar @uploads, 1, 'the receipt PDF was uploaded once');
my @files = grep { ($_->{body}{message}{attachment}{type} // '') eq 'file' }
  @{ mock_requests($mock, '/v3.0/oa/message/cs') };
is(scalar @files, 1, 'and sent as a file message');
is(scalar @{ mock_requests($mock, '/v3.0/oa/quota/message') }, 1,
	'after asking Zalo when the citizen last wrote to the OA');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.zbs_template WHERE status = 'ENABLE'}), '6',
	'the worker read every template the stages use from Zalo');
like($node->safe_psql('tthc', q{SELECT zalo_tthc.metrics()}),
	qr/zalo_tthc_quota_remaining\{channel="user_id",quota_type="purchase_quota"\} \d+/,
	'metrics() shows the quota Zalo reports');

# no follower: ZNS by phone where the stage has a template
my $zcode = '000.00.04.H60-261124-0102';
seed_dossier($node, code => $zcode, phone => '0987654321', name => 'Phạm Thị Dung');
move_stage($node, $zcode, 'rejected');
wait_until($node, qq{SELECT string_agg(o.channel || ':' || o.status, ',' ORDER BY o.id)
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$zcode'},
	'zalo_oa:undeliverable,zns:sent', 'submitted is undeliverable, rejected goes by ZNS');
my ($zns) = grep { $_->{body}{tracking_id} =~ /-zns$/ } @{ mock_requests($mock, '/message/template') };
is($zns->{body}{phone}, '84987654321', 'ZNS phone is 84 without +');
is($zns->{body}{template_id}, 'tthc_status', 'the stage template');
is($zns->{body}{template_data}{ma_ho_so}, $zcode, 'the dossier code is a parameter');
like($zns->{body}{tracking_id}, qr/^\d+-\d+-zns$/, 'tracking_id is the idempotency key');

# the OA answers "not a follower": fall back to ZNS for the same stage
my $fcode = '000.00.04.H60-261124-0103';
seed_dossier($node, code => $fcode, phone => '0977000111', follower => '1111111111111111111',
	name => 'Lê Văn Cường', stage => 'received');
wait_until($node, qq{SELECT string_agg(o.channel || ':' || o.status, ',' ORDER BY o.id)
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$fcode'},
	'zalo_oa:undeliverable,zns:sent', 'an OA recipient error falls back to ZNS');
like($node->safe_psql('tthc', qq{SELECT last_error FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$fcode' AND o.channel = 'zalo_oa'}),
	qr/-213/, 'the OA row keeps the Zalo error as its reason');

# a citizen who never wrote to the OA gets no receipt file: Zalo would
# refuse it, and the upload is spent from a monthly quota
my $ncode = '000.00.04.H60-261124-0104';
mock_call($mock, 'POST', '/_mock/users', [ { user_id => '2222222222222222222', follower => JSON::PP::true } ]);
seed_dossier($node, code => $ncode, phone => '0977000222', follower => '2222222222222222222');
$node->safe_psql('tthc', qq{
	INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu-tiep-nhan.pdf', convert_to('%PDF-1.4 phiếu tiếp nhận', 'UTF8')
	FROM zalo_tthc.dossier WHERE code = '$ncode'});
move_stage($node, $ncode, 'received');
wait_until($node, qq{SELECT string_agg(o.kind || ':' || o.status, ',' ORDER BY o.id)
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$ncode'},
	'stage:sent,stage:sent,receipt_file:undeliverable', 'the receipt file is skipped');
like($node->safe_psql('tthc', qq{SELECT last_error FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$ncode' AND o.kind = 'receipt_file'}),
	qr/never wrote to the Official Account/, 'with the reason');
is(scalar @{ mock_requests($mock, '/v2.0/oa/upload/file') }, 1, 'and no upload spent on it');

# the older transaction message, for an OA that still has it
mock_call($mock, 'POST', '/_mock/config', { transaction_message => 'available' });
$node->append_conf('postgresql.conf', "zalo_tthc.follower_message = transaction\n");
$node->reload;
my $lcode = '000.00.04.H60-261124-0105';
seed_dossier($node, code => $lcode, phone => '0912345678', stage => 'received');
wait_until($node, qq{SELECT o.channel || ':' || o.status FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$lcode' AND o.kind = 'stage'},
	'zalo_oa:sent', 'sent as a transaction message');
my ($legacy) = grep { $_->{body}{message}{attachment}{payload}{elements}[0]{content} eq 'Phiếu tiếp nhận hồ sơ' }
  @{ mock_requests($mock, '/v3.0/oa/message/transaction') };
my $slip = $legacy->{body}{message}{attachment}{payload};
is($slip->{template_type}, 'transaction_event', 'a transaction template');
my ($table) = grep { $_->{type} eq 'table' } @{ $slip->{elements} };
my %rows = map { $_->{key} => $_->{value} } @{ $table->{content} };
is($table->{content}[0]{key}, 'Mã hồ sơ', 'the identifying row comes first');
is($rows{'Mã hồ sơ'}, $lcode, 'số biên nhận is the dossier code');
for my $field ('Người đại diện', 'Lĩnh vực', 'Thủ tục', 'Đơn vị tiếp nhận', 'Cơ quan giải quyết',
	'Hình thức trả kết quả', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái')
{
	ok(defined $rows{$field} && length $rows{$field}, "receipt slip has $field");
}
my ($status_row) = grep { $_->{key} eq 'Trạng thái' } @{ $table->{content} };
is($status_row->{style}, 'blue', 'the status row is styled');
like($slip->{buttons}[0]{payload}{url}, qr/\Q$lcode\E/, 'the lookup button links the dossier');

# the worker is visible under its backend type
is($node->safe_psql('tthc', q{SELECT count(*) FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker'}), '1', 'one zalo_tthc worker in pg_stat_activity');

$node->stop;
stop_mock($mock);
done_testing();
