# Every notifying stage reaches a follower as its ZBS template by user id,
# and a citizen with no follower link by phone (every stage set to go by
# phone here); a content Zalo refuses by user id (-201) goes by phone.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use Test::More;
use ZaloTthcTest;

my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [
	map { { user_id => "43000000000000000$_", follower => JSON::PP::true } } 10 .. 19 ]);
my $node = new_tthc_node('every_stage', $mock);
$node->safe_psql('tthc', q{UPDATE zalo_tthc.template SET by_phone = true});

my @paths = (
	[qw(received assigned appraising supplement_requested supplement_submitted appraising payment_requested
		  payment_confirmed signing overdue_apology result_ready result_returned)],
	[qw(rejected)],
	[qw(withdrawal_requested returned)]);
my $n = 0;
for my $path (@paths)
{
	for my $follower (1, 0)
	{
		my $code = sprintf('000.00.04.H60-261205-43%02d', ++$n);
		seed_dossier($node, code => $code, phone => sprintf('09120043%02d', $n),
			$follower ? (follower => "43000000000000000" . (9 + $n)) : ());
		for my $stage (@$path)
		{
			move_stage($node, $code, $stage,
				$stage eq 'overdue_apology' ? ", due_at = '2026-12-30 17:00+07'" : '');
		}
	}
}
wait_until($node, q{SELECT count(*) FROM zalo_tthc.outbox WHERE status NOT IN ('sent', 'undeliverable')}, '0',
	'every notification is final');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox
	WHERE status = 'undeliverable' AND channel = 'zns'}), '0', 'none undeliverable by phone');

my $all = $node->safe_psql('tthc', q{SELECT string_agg(label_vi, '|' ORDER BY label_vi)
	FROM zalo_tthc.stage_info WHERE notifies});
utf8::decode($all);
my %by_uid = map { $_->{body}{template_data}{trang_thai} => 1 }
  grep { ($_->{body}{user_id} // '') =~ /^43/ } @{ mock_requests($mock, '/v3.0/oa/message/template') };
is(join('|', sort keys %by_uid), $all, 'every notifying stage reached a follower by user id');
my %by_phone = map { $_->{body}{template_data}{trang_thai} => 1 }
  grep { ($_->{body}{phone} // '') =~ /^8491200/ } @{ mock_requests($mock, '/message/template') };
is(join('|', sort keys %by_phone), $all, 'and a citizen without a follower link by phone');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox o JOIN zalo_tthc.template t USING (stage)
	JOIN zalo_tthc.delivery_attempt a ON a.outbox_id = o.id
	WHERE a.endpoint = CASE o.channel WHEN 'zalo_oa' THEN 'template' ELSE 'zns' END}) > 0 ? 'yes' : 'no',
	'yes', 'the delivery log names the endpoints');

# -201: Zalo refuses the content by user id; the same template goes by phone
mock_call($mock, 'POST', '/_mock/faults',
	{ path_prefix => '/v3.0/oa/message/template', next => [ { fault => 'zalo_error', code => -201, count => 1 } ] });
my $code = '000.00.04.H60-261205-4399';
seed_dossier($node, code => $code, phone => '0912004399', follower => '4300000000000000019');
wait_until($node, qq{SELECT string_agg(o.channel || ':' || o.status, ',' ORDER BY o.id)
	FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code'},
	'zalo_oa:undeliverable,zns:sent', '-201 by user id falls back by phone');

$node->stop;
stop_mock($mock);
done_testing();
