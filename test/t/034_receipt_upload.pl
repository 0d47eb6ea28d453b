# The receipt PDF is recorded as sent only once its file message was
# accepted: an upload that answers success without a file token is tried
# again, not taken for a delivered receipt.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users',
	[ { user_id => '9500000000000000010', follower => JSON::PP::true, last_interaction => time() } ]);
my $node = new_tthc_node('receipt_upload', $mock);

my $code = '000.00.04.H60-261124-1410';
seed_dossier($node, code => $code, phone => '0912341410', follower => '9500000000000000010');
$node->safe_psql('tthc', qq{
	INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu-tiep-nhan.pdf', convert_to('%PDF-1.4 phiếu tiếp nhận', 'UTF8')
	FROM zalo_tthc.dossier WHERE code = '$code'});
wait_until($node, q{SELECT bool_and(status = 'sent') FROM zalo_tthc.outbox});
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/v2.0/oa/upload/file', next => [ { fault => 'empty_success', count => 1 } ] });
move_stage($node, $code, 'received');
wait_until($node, q{SELECT count(*) = 3 AND bool_and(status IN ('sent', 'dead')) FROM zalo_tthc.outbox}, 't',
	'the receipt file is settled');
is($node->safe_psql('tthc', q{SELECT status || '|' || attempts FROM zalo_tthc.outbox WHERE kind = 'receipt_file'}),
	'sent|2', 'the receipt file is sent on its second attempt');
is(scalar @{ mock_requests($mock, '/v2.0/oa/upload/file') }, 2, 'the PDF was uploaded again');
is(scalar @{ mock_requests($mock, '/v3.0/oa/message/cs') }, 1, 'and its file message reached Zalo once');
like($node->safe_psql('tthc', q{SELECT string_agg(coalesce(a.error_text, a.outcome), ' / ' ORDER BY a.id)
	FROM zalo_tthc.delivery_attempt a JOIN zalo_tthc.outbox o ON o.id = a.outbox_id WHERE o.kind = 'receipt_file'}),
	qr/without a file token/, 'the first attempt says why it failed');

$node->stop;
stop_mock($mock);
done_testing();
