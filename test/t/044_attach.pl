# A province's own one-stop database (test/onestop: Vietnamese column
# names, integer status ids, a table of processing steps, phones with
# spaces and landlines, old codes) attached with zalo_tthc.attach() and
# attach_steps(): the rows already there recorded without notifying, with
# progress; the application's changes notified to the citizen; bad data
# recorded while the application's writes commit; lookups of attached
# dossiers; detach and attach again; DROP EXTENSION refused while a table
# is attached; and a dump restored with the attachment working.
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use Test::More;
use ZaloTthcTest;

my $rows = $ENV{ZT_ATTACH_ROWS} // 100000;
my $onestop = "$FindBin::RealBin/../onestop";
my $mock = start_mock();
mock_call($mock, 'POST', '/_mock/users', [ { user_id => '4400000000000000001', follower => JSON::PP::true } ]);
my $node = new_tthc_node('attach', $mock);

$node->safe_psql('tthc', slurp_file("$onestop/schema.sql"));
$node->safe_psql('tthc', slurp_file("$onestop/seed.sql"));
$node->safe_psql('tthc', "SELECT motcua.seed($rows)");
my $seeded = $node->safe_psql('tthc', q{SELECT count(*) FROM motcua.ho_so});
ok($seeded >= $rows, "the application holds $seeded dossiers");

# --- attach, with the backfill of what is there ---
my ($ret, $out, $err) = $node->psql('tthc', slurp_file("$onestop/attach.sql"), on_error_stop => 1);
is($ret, 0, 'attach.sql attaches the dossier table and the table of steps') or diag($err);
like($err, qr/backfill of ho_so: 10000 of \d+ rows recorded/, 'the backfill shows its progress');
like($err, qr/backfill of ho_so done: \d+ rows recorded without notifying/, 'and says when it is done');
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox}), '0', 'nobody is notified of the backfill');
my $recorded = $node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier WHERE source = 'motcua.ho_so'::regclass});
my $unusable = $node->safe_psql('tthc', q{SELECT count(DISTINCT dossier_code) FROM zalo_tthc.attachment_problem
	WHERE field IN ('code', 'stage') AND problem LIKE '%not recorded%'});
is($recorded + $unusable, $seeded, "every row is recorded ($recorded) or its problem is ($unusable)");
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier WHERE source IS NOT NULL
	AND (applicant_address IS NOT NULL OR applicant_birth_date IS NOT NULL OR applicant_email IS NOT NULL)}), '0',
	'no address, birth date or e-mail is copied');
is($node->safe_psql('tthc', q{SELECT count(*) FILTER (WHERE applicant_id_number IS NOT NULL) || ' '
	|| (count(*) FILTER (WHERE applicant_id_key IS NOT NULL) > 0) FROM zalo_tthc.dossier WHERE source IS NOT NULL}),
	'0 true', 'the CCCD/CMND only as a keyed hash and its last digits');

# --- the application's changes reach the citizen ---
my $code = '000.00.04.H60-261205-4401';
$node->safe_psql('tthc', q{INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed_at)
	VALUES ('4400000000000000001', '+84912004401', 'Đỗ Thị Hạnh', now())});
$node->safe_psql('tthc', qq{INSERT INTO motcua.ho_so (ma_ho_so, ten_thu_tuc, chu_ho_so, so_giay_to, so_dien_thoai,
	trang_thai_id, ngay_nop, ngay_hen_tra)
	VALUES ('$code', 'Cấp giấy phép xây dựng nhà ở riêng lẻ', 'Đỗ Thị Hạnh', '001190004401', '0912 004 401', 1,
	now(), now() + interval '15 days')});
$node->safe_psql('tthc', qq{UPDATE motcua.ho_so SET trang_thai_id = 2 WHERE ma_ho_so = '$code'});
$node->safe_psql('tthc', qq{INSERT INTO motcua.qua_trinh_xu_ly (ma_ho_so, ma_buoc, can_bo_xu_ly, noi_dung)
	VALUES ('$code', 'PHAN_CONG', 'cv.nguyenlan', 'Giao chuyên viên Nguyễn Lan thụ lý')});
wait_until($node, qq{SELECT string_agg(o.stage || ':' || o.status, ',' ORDER BY o.id) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code' AND o.kind = 'stage'},
	'submitted:sent,received:sent,assigned:sent', 'the application\'s stage changes reach the follower in order');
my @sent = grep { ($_->{body}{template_data}{ma_ho_so} // '') eq $code }
  @{ mock_requests($mock, '/v3.0/oa/message/template') };
is(scalar @sent, 3, 'as ZBS template messages by user id');

# --- bad data: the application's writes commit, the problems are readable ---
my $bad = '000.00.04.H60-261205-4402';
# a status of the vendor's own that the mapping does not know
$node->safe_psql('tthc', q{INSERT INTO motcua.dm_trang_thai (id, ma, ten, ket_thuc, thu_tu)
	VALUES (11, 'CHO_LIEN_THONG', 'Chờ liên thông', false, 11)});
($ret, $out, $err) = $node->psql('tthc', qq{
	INSERT INTO motcua.ho_so (ma_ho_so, ten_thu_tuc, chu_ho_so, so_giay_to, so_dien_thoai, trang_thai_id)
	VALUES ('$bad', 'Chứng thực bản sao', 'Vũ Văn Khải', '12AB5', '024 3825 1234', 2);
	UPDATE motcua.ho_so SET trang_thai_id = 9 WHERE ma_ho_so = '$bad';
	UPDATE motcua.ho_so SET trang_thai_id = 11 WHERE ma_ho_so = '$bad';});
is($ret, 0, 'the application\'s writes of bad data commit') or diag($err);
is($node->safe_psql('tthc', qq{SELECT trang_thai_id FROM motcua.ho_so WHERE ma_ho_so = '$bad'}), '11',
	'as the application wrote them');
is($node->safe_psql('tthc', qq{SELECT string_agg(field, ',' ORDER BY id) FROM zalo_tthc.attachment_problem
	WHERE dossier_code = '$bad'}),
	'applicant_id_number,applicant_phone,transition,stage',
	'a malformed CCCD, a landline (once, not again at each save), a transition not in the model and a status '
	  . 'with no mapping are recorded');
is($node->safe_psql('tthc', qq{SELECT stage FROM zalo_tthc.dossier WHERE code = '$bad'}), 'result_ready',
	'received straight to result_ready is recorded as the application says');
like($node->safe_psql('tthc', q{SELECT zalo_tthc.metrics()}), qr/zalo_tthc_attachment_problems_total\{source="motcua.ho_so"\} \d+/,
	'metrics() counts the problems');

# --- a save that meets the copy locked by another transaction waits for it ---
my $busy = '000.00.04.H60-261205-4409';
$node->safe_psql('tthc', qq{INSERT INTO motcua.ho_so (ma_ho_so, ten_thu_tuc, chu_ho_so, so_dien_thoai, trang_thai_id)
	VALUES ('$busy', 'Cấp giấy phép kinh doanh', 'Ngô Văn Lực', '0912 004 403', 2)});
my $step = $node->background_psql('tthc');
$step->query_safe(qq{BEGIN; INSERT INTO motcua.qua_trinh_xu_ly (ma_ho_so, ma_buoc, can_bo_xu_ly)
	VALUES ('$busy', 'PHAN_CONG', 'cv.nguyenlan')});
my $save = $node->background_psql('tthc');
my $save_pid = $save->query_safe('SELECT pg_backend_pid()');
$save->query_until(qr/sent/, qq{\\echo sent\nUPDATE motcua.ho_so SET trang_thai_id = 5, ghi_chu = 'Bổ sung bản vẽ'
	WHERE ma_ho_so = '$busy';\n});
wait_until($node, qq{SELECT wait_event_type FROM pg_stat_activity WHERE pid = $save_pid}, 'Lock',
	'the application\'s save waits for the step being written');
$step->query_safe('COMMIT');
$step->quit;
is($save->query_safe(qq{SELECT trang_thai_id FROM motcua.ho_so WHERE ma_ho_so = '$busy'}), '5',
	'then commits');
$save->quit;
is($node->safe_psql('tthc', qq{SELECT string_agg(e.stage_after::text, ',' ORDER BY e.seq) FROM zalo_tthc.dossier_event e
	JOIN zalo_tthc.dossier d ON d.id = e.dossier_id WHERE d.code = '$busy'}),
	'received,assigned,supplement_requested', 'both changes are recorded, in the order they committed');

# --- lookups of attached dossiers ---
like($node->safe_psql('tthc', qq{SELECT string_agg(code || ' ' || stage_label, ',') FROM zalo_tthc.lookup('$code')}),
	qr/^\Q$code\E /, 'by code');
like($node->safe_psql('tthc', q{SELECT string_agg(code, ',') FROM zalo_tthc.lookup('001190004401')}),
	qr/\Q$code\E/, 'by CCCD');
is($node->safe_psql('tthc', q{SELECT string_agg(code || ' ' || verified, ',') FROM zalo_tthc.lookup('Do Thi Hanh 4401')}),
	"$code true", 'by name, without diacritics, with the last 4 digits of the CCCD as second factor');

# --- detach, attach again; DROP EXTENSION does not touch the application ---
($ret, $out, $err) = $node->psql('tthc', q{DROP EXTENSION zalo_tthc});
like($err, qr/cannot drop extension zalo_tthc because other objects depend on it/,
	'DROP EXTENSION is refused while a table is attached');
$node->safe_psql('tthc', q{SELECT zalo_tthc.detach('motcua.ho_so')});
my $events = $node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier_event});
$node->safe_psql('tthc', qq{UPDATE motcua.ho_so SET trang_thai_id = 9 WHERE ma_ho_so = '$code'});
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier_event}), $events, 'detached: nothing is recorded');
is($node->safe_psql('tthc', qq{SELECT count(*) FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
	WHERE d.code = '$code'}), '3', 'and what was recorded stays');
$node->safe_psql('tthc', q{SELECT zalo_tthc.attach('motcua.ho_so', a.columns, a.stages, backfill => false)
	FROM (SELECT '{"code":"ma_ho_so","stage":"trang_thai_id","applicant_name":"chu_ho_so",
		"applicant_id_number":"so_giay_to","applicant_phone":"so_dien_thoai","procedure_name":"ten_thu_tuc"}'::jsonb
		AS columns, '{"1":"submitted","2":"received","4":"assigned","9":"result_ready","10":"result_returned"}'::jsonb
		AS stages) a});
$node->safe_psql('tthc', qq{UPDATE motcua.ho_so SET trang_thai_id = 10 WHERE ma_ho_so = '$code'});
wait_until($node, qq{SELECT string_agg(o.stage::text, ',' ORDER BY o.id) FROM zalo_tthc.outbox o
	JOIN zalo_tthc.dossier d ON d.id = o.dossier_id WHERE d.code = '$code' AND o.status = 'sent'},
	'submitted,received,assigned,result_returned', 'attached again: the next change is notified');

# --- dump and restore: the attachment and its trigger come back ---
my ($restored, $restore_err) = dump_and_restore($node, 'tthc', 'restored');
ok($restored, 'pg_restore succeeds') or diag($restore_err);
is($node->safe_psql('restored', q{SELECT string_agg(source::text || ' ' || kind, ',' ORDER BY source::text)
	FROM zalo_tthc.attachment}), 'motcua.ho_so dossiers,motcua.qua_trinh_xu_ly steps', 'the attachments are restored');
is($node->safe_psql('restored', q{SELECT count(*) FROM zalo_tthc.outbox}),
	$node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox}), 'with the notifications, none queued twice');
my $restored_code = '000.00.04.H60-261205-4403';
$node->safe_psql('restored', qq{INSERT INTO motcua.ho_so (ma_ho_so, ten_thu_tuc, chu_ho_so, trang_thai_id)
	VALUES ('$restored_code', 'Đăng ký kết hôn', 'Ngô Văn Lâm', 1)});
is($node->safe_psql('restored', qq{SELECT count(*) FROM zalo_tthc.dossier_event e JOIN zalo_tthc.dossier d
	ON d.id = e.dossier_id WHERE d.code = '$restored_code'}), '1', 'and the restored trigger records new changes');

$node->stop;
stop_mock($mock);
done_testing();
