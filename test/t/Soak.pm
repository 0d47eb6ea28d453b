# Soak: the workload of the resilience scenarios (010_soak.pl,
# 011_failover.pl): citizens, dossiers and concurrent sessions moving them
# through every stage, with the mock injecting faults.  Sizes come from the
# environment so that `make test` runs a reduced scenario and `make soak`
# the full one:
#
#   SOAK_DOSSIERS (600)  SOAK_CLIENTS (4)  SOAK_SEED (1)
#   SOAK_FAULT_RATE (0.02: per kind, per request)  SOAK_KILLS (3)
package Soak;

use strict;
use warnings;
use utf8;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use ZaloTthcTest;

our @EXPORT = qw(soak_params soak_mock_setup soak_node_conf soak_seed soak_start_load
  soak_finish_stages soak_faults soak_faults_injected soak_kill_worker soak_drain);

# The scenario's size, from the environment.
sub soak_params
{
	my %p = (
		dossiers => $ENV{SOAK_DOSSIERS} // 600,
		clients => $ENV{SOAK_CLIENTS} // 4,
		seed => $ENV{SOAK_SEED} // 1,
		fault_rate => $ENV{SOAK_FAULT_RATE} // 0.02,
		kills => $ENV{SOAK_KILLS} // 3);
	srand($p{seed});
	return \%p;
}

# Followers, phones without a follower and the ZNS templates, on a mock.
# Dossier i belongs to the citizen with phone +849<i, 8 digits>; every
# tenth citizen (i % 10 = 7) follows no OA and is reached by ZNS.
sub soak_mock_setup
{
	my ($mock, $p) = @_;
	mock_call($mock, 'POST', '/_mock/config', { latency_ms => 2, timeout_hold_ms => 1500 });
	mock_call($mock, 'POST', '/_mock/users', [
		map { { user_id => sprintf('6%018d', $_), follower => JSON::PP::true } }
		grep { $_ % 10 != 7 } 1 .. $p->{dossiers} ]);

}

# postgresql.conf lines of a soak node: quick retries, enough attempts that
# faults at the soak's rates never exhaust them, a crash restarts.
sub soak_node_conf
{
	return qq{
restart_after_crash = on
zalo_tthc.max_attempts = 40
zalo_tthc.retry_base_delay = 100ms
zalo_tthc.retry_max_delay = 1s
zalo_tthc.request_timeout = 1s
zalo_tthc.max_in_flight = 64
zalo_tthc.rate_limit_backoff = 100ms
zalo_tthc.batch_size = 64
log_min_messages = warning
};
}

# Citizens, the path function and the dossiers (all 'submitted', each
# enqueueing its first notification).
sub soak_seed
{
	my ($node, $p) = @_;
	my $n = $p->{dossiers};
	$node->safe_psql('tthc', qq{
		INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed_at)
		SELECT '6' || lpad(i::text, 18, '0'), '+849' || lpad(i::text, 8, '0'), 'Công dân ' || i, now()
		FROM generate_series(1, $n) i WHERE i % 10 <> 7;
		-- three paths: rejected at intake (i % 10 = 0); a supplement round
		-- (i % 10 in 1, 2); the plain path through every stage
		CREATE FUNCTION soak_next(id bigint, s zalo_tthc.stage) RETURNS zalo_tthc.stage
		LANGUAGE sql IMMUTABLE AS \$\$
			SELECT (CASE
				WHEN id % 10 = 0 THEN CASE s WHEN 'submitted' THEN 'rejected' END
				WHEN id % 10 IN (1, 2) THEN CASE s
					WHEN 'submitted' THEN 'received' WHEN 'received' THEN 'supplement_requested'
					WHEN 'supplement_requested' THEN 'supplement_submitted'
					WHEN 'supplement_submitted' THEN 'appraising' WHEN 'appraising' THEN 'signing'
					WHEN 'signing' THEN 'result_ready' WHEN 'result_ready' THEN 'result_returned' END
				ELSE CASE s
					WHEN 'submitted' THEN 'received' WHEN 'received' THEN 'assigned'
					WHEN 'assigned' THEN 'appraising' WHEN 'appraising' THEN 'signing'
					WHEN 'signing' THEN 'result_ready' WHEN 'result_ready' THEN 'result_returned' END
			END)::zalo_tthc.stage
		\$\$;
		INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, receiving_unit,
			applicant_name, applicant_phone, due_at, submitted_at)
		SELECT format('000.00.04.H60-%s-%s', to_char(date '2026-01-01' + i / 9000, 'YYMMDD'),
					  lpad((i % 9000 + 1)::text, 4, '0')),
			   'Cấp giấy phép xây dựng', 'Xây dựng', 'UBND phường Minh Xuân',
			   'Trung tâm Phục vụ hành chính công', 'Công dân ' || i,
			   '+849' || lpad(i::text, 8, '0'), now() + interval '15 days', now()
		FROM generate_series(1, $n) i;
	});
}

# Start concurrent sessions moving random dossiers one stage on; returns
# the IPC::Run handle.  Each dossier moves about 1.5 times per stage.
sub soak_start_load
{
	my ($node, $p, $moves) = @_;
	my $script = PostgreSQL::Test::Utils::tempdir() . '/advance.sql';
	open(my $fh, '>', $script) or die;
	print $fh "\\set id random(1, $p->{dossiers})\n"
	  . "UPDATE zalo_tthc.dossier SET stage = soak_next(id, stage), stage_note = 'Ghi chú ' || stage_seq "
	  . "WHERE id = :id AND soak_next(id, stage) IS NOT NULL;\n";
	close $fh;
	my $per_client = int($moves / $p->{clients}) + 1;
	return IPC::Run::start(
		[ 'pgbench', '-n', '-c', $p->{clients}, '-j', 2, '-t', $per_client, '-f', $script,
		  '-h', $node->host, '-p', $node->port, 'tthc' ],
		'>', \my $out, '2>', \my $err);
}

# Move every dossier still on its way to its last stage.
sub soak_finish_stages
{
	my ($node) = @_;
	for (1 .. 10)
	{
		my $left = $node->safe_psql('tthc', q{
			WITH moved AS (
				UPDATE zalo_tthc.dossier SET stage = soak_next(id, stage), stage_note = 'Ghi chú ' || stage_seq
				WHERE soak_next(id, stage) IS NOT NULL RETURNING 1)
			SELECT count(*) FROM moved});
		last if $left == 0;
	}
}

# The mock injects every fault kind at the scenario's rate (-32 is
# rate_limit, token expiry is token_expired).
sub soak_faults
{
	my ($mock, $p, $on) = @_;
	my $r = $on ? $p->{fault_rate} : 0;
	mock_call($mock, 'POST', '/_mock/faults',
		{ http_500 => $r, timeout => $r / 2, reset => $r, rate_limit => $r, token_expired => $r / 4 });
}

# The faults the mocks injected, summed by kind: "http_500 12, reset 9, …".
sub soak_faults_injected
{
	my (@mocks) = @_;
	my %faults;
	for my $m (@mocks)
	{
		my $f = mock_call($m, 'GET', '/_mock/stats')->{faults};
		$faults{$_} += $f->{$_} for keys %$f;
	}
	return join(', ', map { "$_ $faults{$_}" } grep { $faults{$_} } sort keys %faults);
}

# SIGKILL the node's worker if it runs; returns 1 when it killed one.
sub soak_kill_worker
{
	my ($node) = @_;
	my $pid = $node->safe_psql('tthc',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'});
	return 0 unless $pid =~ /^\d+$/;
	kill 'KILL', $pid;
	# the postmaster restarts every backend after a crash: wait for it
	wait_for_crash_restart($node, $pid);
	return 1;
}

# Wait until the queue has drained; returns (drained, re-authorisations).
#
# Zalo's refresh tokens are single use: a worker killed after Zalo rotated
# the token and before the new one was committed leaves a consumed token
# behind, the next refresh is refused and the worker stops sending with
# reauthorization_required set, as it must.  Here the operator's answer to
# that flag, a new authorisation (set_oa_credentials with the tokens the
# OAuth flow would give), is played whenever it shows.
sub soak_drain
{
	my ($node, $mock, $timeout_s) = @_;
	my $deadline = time + ($timeout_s // $PostgreSQL::Test::Utils::timeout_default);
	my $reauths = 0;
	while (time < $deadline)
	{
		my ($left, $reauth) = split /\|/, $node->safe_psql('tthc', q{
			SELECT (SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')),
				   (SELECT reauthorization_required FROM zalo_tthc.oa_credentials)});
		return (1, $reauths) if $left == 0;
		if ($reauth eq 't')
		{
			my $st = mock_call($mock, 'GET', '/_mock/stats');
			$node->safe_psql('tthc', qq{SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T',
				'$st->{access_token}', '$st->{refresh_token}', now() + interval '25 hours', 'OAKEY')});
			$reauths++;
			diag('the worker asked for re-authorisation (a refresh token consumed by a killed refresh); given');
		}
		usleep(300_000);
	}
	return (0, $reauths);
}

1;
