# Invariants: the end-of-scenario checker of the resilience tests.
#
# It loads what the mock Zalo API(s) recorded into schema zalo_tthc_check of
# the node's tthc database, maps every accepted stage message back to its
# outbox row (by user id: the dossier code and the stage, from the template
# parameters ma_ho_so and trang_thai, or in a transaction message from its
# table and header; by phone: tracking_id = idempotency key), and counts
# the violations of:
#
#   not_final          every notification ends in a final state
#   missing_rows       every notified stage change has its outbox row, and
#   extra_rows         at most one per channel and kind
#   lost               a row marked sent whose message Zalo never accepted,
#                      or a row given up ('dead')
#   unmapped           an accepted message that is no notification of ours
#   out_of_order       a citizen received stage N+1 of a dossier before N
#   wrong_recipient    a message reached someone other than the applicant
#   unexplained_dups   a message accepted more often than 1 + the attempts
#                      the worker logged as of unknown outcome
#
# The checker reads only the database and the record files, so a test can
# tamper with the loaded copy (see 012_checker.pl) and see it complain.
package Invariants;

use strict;
use warnings;
use Exporter 'import';
use Test::More;

our @EXPORT = qw(load_records check_invariants report_invariants);

# Load the mock's record files (JSON lines) into zalo_tthc_check.request.
sub load_records
{
	my ($node, @files) = @_;
	my $sql = q{
		DROP SCHEMA IF EXISTS zalo_tthc_check CASCADE;
		CREATE SCHEMA zalo_tthc_check;
		CREATE TABLE zalo_tthc_check.raw (line text, src int);
	};
	for my $i (0 .. $#files)
	{
		my $src = $i + 1;
		$sql .= qq{
		COPY zalo_tthc_check.raw (line) FROM '$files[$i]' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02');
		UPDATE zalo_tthc_check.raw SET src = $src WHERE src IS NULL;};
	}
	$sql .= q{
		CREATE TABLE zalo_tthc_check.request AS
		SELECT src, (j->>'seq')::bigint AS seq, (j->>'time_us')::bigint AS time_us, j->>'path' AS path,
			   j->'body' AS body, (j->>'http_status')::int AS http_status, (j->>'error')::int AS zalo_error,
			   j->>'fault' AS fault
		FROM (SELECT src, line::jsonb AS j FROM zalo_tthc_check.raw) r;
		-- stage messages Zalo accepted, in the order it accepted them
		CREATE TABLE zalo_tthc_check.accepted AS
		SELECT row_number() OVER (ORDER BY time_us, src, seq) AS n, src, seq, time_us,
			   CASE WHEN body ? 'tracking_id' THEN 'zns' ELSE 'zalo_oa' END AS channel,
			   coalesce(body->>'user_id', body #>> '{recipient,user_id}') AS user_id, body->>'phone' AS phone,
			   body->>'tracking_id' AS tracking_id,
			   coalesce(body #>> '{template_data,ma_ho_so}',
						(SELECT c->>'value'
						 FROM jsonb_array_elements(body #> '{message,attachment,payload,elements}') el,
							  jsonb_array_elements(el->'content') c
						 WHERE el->>'type' = 'table' AND c->>'key' = 'Mã hồ sơ')) AS code,
			   coalesce((SELECT s.stage FROM zalo_tthc.stage_info s
						 WHERE s.label_vi = body #>> '{template_data,trang_thai}'),
						(SELECT t.stage FROM zalo_tthc.template t
						 WHERE t.header = (SELECT el->>'content'
										   FROM jsonb_array_elements(q.body #> '{message,attachment,payload,elements}') el
										   WHERE el->>'type' = 'header'))) AS stage
		FROM zalo_tthc_check.request q
		WHERE http_status = 200 AND zalo_error = 0 AND fault IS NULL
		  AND (path LIKE '%/message/transaction' OR path LIKE '%/message/template'
			   OR path LIKE '%/message/template/hashphone');
	};
	$node->safe_psql('tthc', $sql);
}

# Count the violations of every invariant; returns a hash reference.
sub check_invariants
{
	my ($node) = @_;
	my $out = $node->safe_psql('tthc', q{
		-- each accepted message, mapped to its outbox row
		CREATE TEMP TABLE mapped AS
		SELECT a.*, o.id AS outbox_id, o.dossier_id, e.seq AS event_seq
		FROM zalo_tthc_check.accepted a
		LEFT JOIN LATERAL (
			SELECT o.* FROM zalo_tthc.outbox o
			WHERE a.channel = 'zns' AND o.idempotency_key = a.tracking_id
			UNION ALL
			SELECT o.* FROM zalo_tthc.dossier d
			JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.stage_after = a.stage
			JOIN zalo_tthc.outbox o ON o.dossier_id = d.id AND o.event_id = e.id
				AND o.channel = 'zalo_oa' AND o.kind = 'stage'
			WHERE a.channel = 'zalo_oa' AND d.code = a.code
		) o ON true
		LEFT JOIN zalo_tthc.dossier_event e ON e.id = o.event_id;

		CREATE TEMP TABLE per_row AS
		SELECT o.id, o.status, count(m.n) AS accepted,
			   (SELECT count(*) FROM zalo_tthc.delivery_attempt a
				WHERE a.outbox_id = o.id AND (a.outcome = 'unknown' OR a.sent_unknown)) AS unknown
		FROM zalo_tthc.outbox o LEFT JOIN mapped m ON m.outbox_id = o.id
		WHERE o.kind = 'stage'
		GROUP BY o.id, o.status;

		SELECT 'notifications', count(*) FROM zalo_tthc.outbox WHERE kind = 'stage'
		UNION ALL SELECT 'sent', count(*) FROM zalo_tthc.outbox WHERE kind = 'stage' AND status IN ('sent', 'delivered', 'seen')
		UNION ALL SELECT 'undeliverable', count(*) FROM zalo_tthc.outbox WHERE kind = 'stage' AND status = 'undeliverable'
		UNION ALL SELECT 'accepted', count(*) FROM mapped
		UNION ALL SELECT 'not_final', count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')
		UNION ALL SELECT 'missing_rows', count(*) FROM zalo_tthc.dossier_event e
			WHERE e.notify = 'enqueued'
			  AND NOT EXISTS (SELECT FROM zalo_tthc.outbox o WHERE o.event_id = e.id AND o.kind = 'stage')
		UNION ALL SELECT 'extra_rows', coalesce(sum(n - 1), 0) FROM (
			SELECT count(*) AS n FROM zalo_tthc.outbox WHERE kind = 'stage'
			GROUP BY event_id, channel, kind HAVING count(*) > 1) x
		UNION ALL SELECT 'lost', count(*) FROM per_row
			WHERE status = 'dead' OR (status IN ('sent', 'delivered', 'seen') AND accepted = 0)
		UNION ALL SELECT 'unmapped', count(*) FROM mapped WHERE outbox_id IS NULL
		UNION ALL SELECT 'out_of_order', count(*) FROM (
			SELECT event_seq < max(event_seq) OVER (PARTITION BY dossier_id ORDER BY n
						ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS late
			FROM mapped WHERE outbox_id IS NOT NULL) x WHERE late
		UNION ALL SELECT 'wrong_recipient', count(*) FROM mapped m
			JOIN zalo_tthc.outbox o ON o.id = m.outbox_id
			JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
			LEFT JOIN zalo_tthc.recipient r ON r.id = o.recipient_id
			WHERE (m.channel = 'zalo_oa' AND (r.zalo_user_id IS DISTINCT FROM m.user_id
											  OR (r.phone IS DISTINCT FROM d.applicant_phone
												  AND r.id_number IS DISTINCT FROM d.applicant_id_number)))
			   OR (m.channel = 'zns' AND m.phone IS DISTINCT FROM ltrim(d.applicant_phone, '+'))
		UNION ALL SELECT 'duplicates', coalesce(sum(accepted - 1), 0) FROM per_row WHERE accepted > 1
		UNION ALL SELECT 'predicted', coalesce(sum(unknown), 0) FROM per_row
		UNION ALL SELECT 'unexplained_dups', coalesce(sum(accepted - 1 - unknown), 0) FROM per_row
			WHERE accepted - 1 > unknown;
	});
	my %r;
	for (split /\n/, $out)
	{
		my ($k, $v) = split /\|/;
		$r{$k} = $v;
	}
	explain_lost($node) if $r{lost} > 0 && !$ENV{INVARIANTS_QUIET};
	return \%r;
}

# Print the rows counted as lost with their delivery attempts.
sub explain_lost
{
	my ($node) = @_;
	diag($node->safe_psql('tthc', q{
		WITH lost AS (
			SELECT o.* FROM zalo_tthc.outbox o
			WHERE o.kind = 'stage' AND (o.status = 'dead' OR (o.status IN ('sent', 'delivered', 'seen')
				AND NOT EXISTS (SELECT FROM zalo_tthc_check.accepted a
					JOIN zalo_tthc.dossier d ON d.code = a.code
					JOIN zalo_tthc.dossier_event e ON e.dossier_id = d.id AND e.stage_after = a.stage
					WHERE e.id = o.event_id AND a.channel = o.channel::text
				) AND NOT EXISTS (SELECT FROM zalo_tthc_check.accepted a WHERE a.tracking_id = o.idempotency_key)))
			LIMIT 5)
		SELECT l.id, l.dossier_id, l.stage, l.channel, l.status, l.attempts, l.provider_msg_id, l.last_error,
			   a.attempt, a.endpoint, a.http_status, a.zalo_error, a.outcome, a.sent_unknown, a.error_text
		FROM lost l LEFT JOIN zalo_tthc.delivery_attempt a ON a.outbox_id = l.id
		ORDER BY l.id, a.id}));
}

# The violations every scenario must show as zero.
our @must_be_zero = qw(not_final missing_rows extra_rows lost unmapped out_of_order
  wrong_recipient unexplained_dups);

# One test per invariant, and a line of figures for the report.
sub report_invariants
{
	my ($r, $label) = @_;
	is($r->{$_}, 0, "$label: $_ = 0") for @must_be_zero;
	diag(sprintf("%s: %d notifications, %d sent, %d undeliverable by design, %d accepted messages, "
		  . "%d duplicates (%d sends of unknown outcome logged), %d lost, %d out of order",
		$label, map { $r->{$_} } qw(notifications sent undeliverable accepted duplicates predicted lost out_of_order)));
}

1;
