# ZaloTthcTest: shared set-up of the end-to-end tests: a PostgreSQL node
# with zalo_tthc preloaded and pointed at a local mock of the Zalo API,
# started on a free loopback port, and helpers to read what the mock
# received.
package ZaloTthcTest;

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;
use Test::More;

our @EXPORT = qw(start_mock stop_mock mock_call mock_requests new_tthc_node new_tthc_standby
  wait_until wait_for_crash_restart seed_dossier move_stage json_decode_utf8 worker_pid
  register_templates dump_and_restore);

my $json = JSON::PP->new->utf8->canonical;
my $http = HTTP::Tiny->new(timeout => 30);

# mocks started and not yet stopped: a test that dies stops them on exit
my %running_mocks;
my $test_pid = $$;
END
{
	kill 'TERM', $_ for ($$ == $test_pid ? keys %running_mocks : ());
}

# Start the mock on a free port (or opts port), with the tokens AT_0/RT_0
# and opts users (as /_mock/users) in place before it accepts a request;
# returns { pid, port, url, record }.
sub start_mock
{
	my (%opts) = @_;
	my $bin = $ENV{ZALO_MOCK} // die "ZALO_MOCK is not set";
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $record = "$dir/requests.jsonl";
	my $out = "$dir/mock.out";
	my $init = "$dir/init.json";
	PostgreSQL::Test::Utils::append_to_file($init, $json->encode({
		tokens => { access_token => 'AT_0', refresh_token => 'RT_0' },
		users => $opts{users} // [] }));
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>', $out) or die;
		open(STDERR, '>', "$dir/mock.err") or die;
		exec($bin, '--port', $opts{port} // '0', '--record', $record, '--seed', $opts{seed} // 1,
			'--init', $init)
		  or die "exec $bin: $!";
	}
	$running_mocks{$pid} = 1;
	my $port;
	for (1 .. 200)
	{
		if (open(my $fh, '<', $out))
		{
			local $/;
			my $text = <$fh>;
			close $fh;
			if (defined $text && $text =~ /listening on 127\.0\.0\.1:(\d+)/)
			{
				$port = $1;
				last;
			}
		}
		usleep(50_000);
	}
	die "the mock did not start" unless $port;
	my $mock = { pid => $pid, port => $port, url => "http://127.0.0.1:$port", record => $record };
	mock_call($mock, 'POST', '/_mock/config',
		{ app_id => '1234567890123456789', app_secret => 'S3CR3T', oa_secret_key => 'OAKEY' });
	register_templates($mock) if $opts{templates} // 1;
	return $mock;
}

# Stop the mock.
sub stop_mock
{
	my ($mock) = @_;
	kill 'TERM', $mock->{pid};
	waitpid($mock->{pid}, 0);
	delete $running_mocks{ $mock->{pid} };
}

# Call a control endpoint of the mock; returns the decoded answer.
sub mock_call
{
	my ($mock, $method, $path, $body) = @_;
	my $res = $http->request($method, $mock->{url} . $path,
		{
			headers => { 'Content-Type' => 'application/json' },
			defined $body ? (content => $json->encode($body)) : ()
		});
	die "mock $method $path: $res->{status} $res->{content}" unless $res->{success};
	return length($res->{content}) ? $json->decode($res->{content}) : undef;
}

# The Zalo requests the mock recorded, optionally under a path prefix.
sub mock_requests
{
	my ($mock, $prefix) = @_;
	my $q = defined $prefix ? "?path=$prefix" : '';
	return mock_call($mock, 'GET', "/_mock/requests$q");
}

# Register with the mock the ZBS templates the shipped stage templates
# name, as a province registers them with Zalo (demo/zbs_templates.json;
# README lists their content); start_mock does it unless told templates => 0.
sub register_templates
{
	my ($mock) = @_;
	my $file = "$FindBin::RealBin/../../demo/zbs_templates.json";
	open(my $fh, '<:raw', $file) or die "$file: $!";
	local $/;
	my $templates = JSON::PP->new->utf8->decode(<$fh>);
	close $fh;
	mock_call($mock, 'POST', '/_mock/templates', $templates);
}

# A started node serving database tthc through the mock, with credentials
# (extension_version => '0.2.0' installs the old schema of test/upgrade/;
# empty => 1 creates no database).
sub new_tthc_node
{
	my ($name, $mock, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%{ $opts{init} // {} });
	my $url = $mock->{url};
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'zalo_tthc'
zalo_tthc.database_name = 'tthc'
zalo_tthc.api_base_url = '$url'
zalo_tthc.oauth_base_url = '$url'
zalo_tthc.zns_base_url = '$url'
zalo_tthc.allow_insecure_http = on
zalo_tthc.rate_limit = 0
zalo_tthc.retry_base_delay = 200ms
zalo_tthc.retry_max_delay = 2s
zalo_tthc.rate_limit_backoff = 1s
zalo_tthc.config_error_pause = 2s
zalo_tthc.request_timeout = 3s
zalo_tthc.connect_timeout = 1s
} . ($opts{conf} // ''));
	$node->start;
	# empty => 1: no database tthc yet (a restore will bring it)
	return $node if $opts{empty};
	$node->safe_psql('postgres', 'CREATE DATABASE tthc');
	my $version = defined $opts{extension_version} ? " VERSION '$opts{extension_version}'" : '';
	$node->safe_psql('tthc', "SET client_min_messages = warning; CREATE EXTENSION zalo_tthc$version CASCADE");
	$node->safe_psql('tthc',
		q{SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
		  now() + interval '25 hours', 'OAKEY')}) unless $opts{no_credentials};
	# the worker retries every 5 s until database tthc exists
	$node->poll_query_until('tthc', q{SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'zalo_tthc worker'}, '1')
	  or die "the zalo_tthc worker did not start";
	return $node;
}

# A started streaming standby of a node, from a new base backup, whose
# worker (once promoted) talks to its own mock.
sub new_tthc_standby
{
	my ($name, $primary, $mock) = @_;
	$primary->backup("base_$name");
	my $standby = PostgreSQL::Test::Cluster->new($name);
	$standby->init_from_backup($primary, "base_$name", has_streaming => 1);
	my $url = $mock->{url};
	$standby->append_conf('postgresql.conf', qq{
zalo_tthc.api_base_url = '$url'
zalo_tthc.oauth_base_url = '$url'
zalo_tthc.zns_base_url = '$url'
zalo_tthc.allow_insecure_http = on
});
	$standby->start;
	return $standby;
}

# Poll an SQL query until it returns the expected text (default 't').
# The pid of the node's delivery worker.
sub worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('tthc', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'});
}

sub wait_until
{
	my ($node, $sql, $expected, $what) = @_;
	$expected //= 't';
	my $ok = $node->poll_query_until('tthc', $sql, $expected);
	ok($ok, $what) if defined $what;
	diag_queue($node) unless $ok;
	return $ok;
}

# Wait until the node accepts connections again after a backend (the
# worker, pid) was killed and the postmaster reset every backend.  First
# the server log must show that the postmaster saw the kill and finished
# the crash recovery: a connection made before it saw the kill would be
# cut by the reset.  Then not poll_query_until: its psql may exit on "the
# database system is in recovery mode" before reading the query, and the
# broken pipe kills the test.
sub wait_for_crash_restart
{
	my ($node, $pid) = @_;
	$node->wait_for_log(
		qr/\(PID $pid\) was terminated by signal 9.*database system is ready to accept connections/s)
	  if defined $pid;
	for (1 .. 600)
	{
		my ($out, $err) = ('', '');
		return 1
		  if IPC::Run::run([ $node->installed_command('psql'), '-XAtq', '-d', $node->connstr('tthc'), '-c', 'SELECT 1' ],
			'<', '/dev/null', '>', \$out, '2>', \$err);
		Time::HiRes::usleep(100_000);
	}
	die 'the server did not come back after the crash restart';
}

# Print the latest queue rows and delivery attempts, to explain a failure.
sub diag_queue
{
	my ($node) = @_;
	diag($node->safe_psql('tthc', q{
		SELECT id, dossier_id, stage, channel, kind, status, attempts, next_attempt_at - now(), last_error
		FROM zalo_tthc.outbox ORDER BY id DESC LIMIT 15}));
	diag($node->safe_psql('tthc', q{
		SELECT outbox_id, attempt, endpoint, http_status, zalo_error, outcome, error_text
		FROM zalo_tthc.delivery_attempt ORDER BY id DESC LIMIT 15}));
	diag($node->safe_psql('tthc', q{SELECT * FROM zalo_tthc.worker_status()}))
	  if $node->safe_psql('tthc', q{SELECT to_regproc('zalo_tthc.worker_status') IS NOT NULL}) eq 't';
}

# Insert a dossier and optionally link a follower; returns its id.
sub seed_dossier
{
	my ($node, %d) = @_;
	my $code = $d{code};
	my $phone = defined $d{phone} ? "'$d{phone}'" : 'NULL';
	my $name = $d{name} // 'Nguyễn Văn An';
	my $stage = $d{stage} // 'submitted';
	if (defined $d{follower})
	{
		$node->safe_psql('tthc', qq{
			INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed_at)
			VALUES ('$d{follower}', zalo_tthc.normalize_phone($phone), '$name', now())
			ON CONFLICT (zalo_user_id) DO NOTHING});
	}
	return $node->safe_psql('tthc', qq{
		INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
			applicant_name, applicant_phone, stage, due_at, representative_name)
		VALUES ('$code', 'Cấp giấy phép xây dựng', 'Xây dựng', 'UBND phường Minh Xuân',
			'Trung tâm Phục vụ hành chính công', '$name', $phone, '$stage',
			'2026-12-20 17:00+07', '$name')
		RETURNING id});
}

# Move a dossier to a stage (with a note where the stage needs one).
sub move_stage
{
	my ($node, $code, $stage, $extra) = @_;
	$extra //= '';
	$node->safe_psql('tthc',
		"UPDATE zalo_tthc.dossier SET stage = '$stage', stage_note = 'Ghi chú $stage' $extra WHERE code = '$code'");
}

# Decode a JSON text that holds UTF-8.
sub json_decode_utf8
{
	return $json->decode($_[0]);
}

# Dump database $from (pg_dump -Fc) and restore it into a new database
# $to as README says (pg_restore with session_replication_role = replica);
# returns whether pg_restore succeeded, and what it printed.
sub dump_and_restore
{
	my ($node, $from, $to) = @_;
	my $dump = PostgreSQL::Test::Utils::tempdir() . "/$from.dump";
	my ($out, $err);

	IPC::Run::run([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr($from) ], '>', \$out, '2>', \$err)
	  or die "pg_dump: $err";
	$node->safe_psql('postgres', "CREATE DATABASE $to");
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	my $ok = IPC::Run::run([ 'pg_restore', '--exit-on-error', '-d', $node->connstr($to), $dump ],
		'>', \$out, '2>', \$err);
	return ($ok, $err);
}

1;
