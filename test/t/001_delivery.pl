# Every stage reaches the citizen as an OA transaction message with the
# right body; the received stage carries the receipt slip and its PDF;
# without a follower, or when the OA refuses the recipient, ZNS by phone.
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
	{ user_id => '2468458835296197922', follower => JSON::PP::true },
	{ user_id => '1111111111111111111', follower => JSON::PP::false } ]);
register_zns_templates($mock);

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

my @tx = grep { $_->{body}{recipient}{user_id} eq '2468458835296197922' }
  @{ mock_requests($mock, '/v3.0/oa/message/transaction') };
is(scalar @tx, 7, 'seven transaction messages reached Zalo');
my @headers = map { $_->{body}{message}{attachment}{payload}{elements}[0]{content} } @tx;
is_deeply(\@headers, [
	'Xác nhận nộp hồ sơ', 'Phiếu tiếp nhận hồ sơ', 'Hồ sơ đã được phân công thụ lý',
	'Hồ sơ đang được thẩm định', 'Hồ sơ đang trình ký', 'Mời nhận kết quả giải quyết hồ sơ',
	'Đã trả kết quả giải quyết hồ sơ' ], 'stages arrive in order, each with its header');

my $receipt = $tx[1]{body}{message}{attachment}{payload};
is($receipt->{template_type}, 'transaction_event', 'a transaction template');
my ($table) = grep { $_->{type} eq 'table' } @{ $receipt->{elements} };
my %rows = map { $_->{key} => $_->{value} } @{ $table->{content} };
is($table->{content}[0]{key}, 'Mã hồ sơ', 'the identifying row comes first');
is($rows{'Mã hồ sơ'}, $code, 'số biên nhận is the dossier code');
for my $field ('Người đại diện', 'Lĩnh vực', 'Thủ tục', 'Đơn vị tiếp nhận', 'Cơ quan giải quyết',
	'Hình thức trả kết quả', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái')
{
	ok(defined $rows{$field} && length $rows{$field}, "receipt slip has $field");
}
is($rows{'Ngày hẹn trả'}, '20/12/2026', 'dates are DD/MM/YYYY in Vietnam time');
my ($status_row) = grep { $_->{key} eq 'Trạng thái' } @{ $table->{content} };
is($status_row->{style}, 'blue', 'the status row is styled');
like($receipt->{buttons}[0]{payload}{url}, qr/\Q$code\E/, 'the lookup button links the dossier');

my @uploads = @{ mock_requests($mock, '/v2.0/oa/upload/file') };
is(scalar @uploads, 1, 'the receipt PDF was uploaded once');
my @files = grep { ($_->{body}{message}{attachment}{type} // '') eq 'file' }
  @{ mock_requests($mock, '/v3.0/oa/message/cs') };
is(scalar @files, 1, 'and sent as a file message');

# no follower: ZNS by phone where the stage has a template
my $zcode = '000.00.04.H60-261124-0102';
seed_dossier($node, code => $zcode, phone => '0987654321', name => 'Phạm Thị Dung');
move_stage($node, $zcode, 'rejected');
wait_until($node, qq{SELECT string_agg(o.channel || ':' || o.status, ',' ORDER BY o.id)
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$zcode'},
	'zalo_oa:undeliverable,zns:sent', 'submitted is undeliverable, rejected goes by ZNS');
my ($zns) = grep { $_->{body}{tracking_id} =~ /-zns$/ } @{ mock_requests($mock, '/message/template') };
is($zns->{body}{phone}, '84987654321', 'ZNS phone is 84 without +');
is($zns->{body}{template_id}, 'zns_tthc_status', 'the stage ZNS template');
is($zns->{body}{template_data}{dossier_code}, $zcode, 'the dossier code is a ZNS parameter');
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

# the worker is visible under its backend type
is($node->safe_psql('tthc', q{SELECT count(*) FROM pg_stat_activity
	WHERE backend_type = 'zalo_tthc worker'}), '1', 'one zalo_tthc worker in pg_stat_activity');

$node->stop;
stop_mock($mock);
done_testing();
