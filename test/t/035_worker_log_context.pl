# One event, one line: an error in the delivery worker's claim or in the
# writing of its outcomes is logged with its message and the context of
# what ran inside them (a DBA's trigger and the statements it ran), never
# with the text of a statement of the worker itself.
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
	[ { user_id => '9100000000000000010', follower => JSON::PP::true } ]);
my $node = new_tthc_node('worker_log_context', $mock);
my $pid = $node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()});

# The report of the error whose message matches: its line and the DETAIL,
# HINT, QUERY and CONTEXT lines of the same process that follow it, with
# their continuation lines.
sub error_report
{
	my ($message) = @_;
	my @lines = split /\n/, slurp_file($node->logfile);
	my @report;
	for my $line (@lines)
	{
		if (!@report)
		{
			push @report, $line if $line =~ /\[$pid\] ERROR:  \Q$message\E/;
		}
		elsif ($line =~ /^\t/ || $line =~ /\[$pid\] (DETAIL|HINT|QUERY|CONTEXT):  /)
		{
			push @report, $line;
		}
		else
		{
			last;
		}
	}
	return join("\n", @report);
}

# The number of lines of a text.
sub line_count
{
	my @lines = split /\n/, $_[0];
	return scalar @lines;
}

# the first claim fails inside a trigger's own statement, the first write
# of outcomes in a trigger (a sequence counts: it is not rolled back with
# the error)
$node->safe_psql('tthc', q{
	CREATE SEQUENCE public.claims;
	CREATE SEQUENCE public.outcome_writes;
	CREATE TABLE public.claim_audit (outbox_id bigint NOT NULL);
	CREATE FUNCTION public.audit_first_claim() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF nextval('public.claims') = 1 THEN
			INSERT INTO public.claim_audit VALUES (NULL);
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER audit_first_claim BEFORE UPDATE ON zalo_tthc.outbox
		FOR EACH ROW WHEN (NEW.status = 'sending') EXECUTE FUNCTION public.audit_first_claim();
	CREATE FUNCTION public.fail_first_outcome_write() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF nextval('public.outcome_writes') = 1 THEN
			RAISE EXCEPTION 'injected failure of an outcome write' USING ERRCODE = 'lock_not_available';
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER fail_first_outcome_write AFTER INSERT ON zalo_tthc.delivery_attempt
		FOR EACH STATEMENT EXECUTE FUNCTION public.fail_first_outcome_write()});

seed_dossier($node, code => '000.00.04.H60-261204-1010', phone => '0912341010',
	follower => '9100000000000000010');
wait_until($node, q{SELECT count(*) = 1 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'the notification is sent after both errors');
is($node->safe_psql('tthc', q{SELECT pid FROM zalo_tthc.worker_status()}), $pid,
	'the worker did not restart');

my $claim = error_report('null value in column "outbox_id" of relation "claim_audit"');
isnt($claim, '', 'the failed claim is in the server log');
like($claim, qr/CONTEXT:  SQL statement "INSERT INTO public\.claim_audit VALUES \(NULL\)"/,
	"the trigger's own statement is kept");
like($claim, qr/^\tPL\/pgSQL function (?:public\.)?audit_first_claim\(\) line \d+ at SQL statement$/m,
	"the trigger's function is kept");
unlike($claim, qr/SQL statement "WITH/, "the claim statement's text is not");
like($claim, qr/DETAIL:  Failing row contains \(null\)\./, 'the detail is kept');
is(line_count($claim), 4, 'the claim error takes four lines')
  or diag($claim);

my $record = error_report('injected failure of an outcome write');
isnt($record, '', 'the failed write of outcomes is in the server log');
like($record, qr/CONTEXT:  PL\/pgSQL function (?:public\.)?fail_first_outcome_write\(\) line \d+ at RAISE$/m,
	"the trigger's function is kept");
unlike($record, qr/SQL statement/, "the outcome statement's text is not");
is(line_count($record), 2, 'the record error takes two lines')
  or diag($record);

# an error in the worker's claim itself (a table it reads is gone): no
# internal query either, and the hint says what to do
$node->safe_psql('tthc', q{ALTER TABLE zalo_tthc.dossier_document RENAME TO dossier_document_away});
seed_dossier($node, code => '000.00.04.H60-261204-1011', phone => '0912341010',
	follower => '9100000000000000010');
wait_until($node, q{SELECT last_error ~ 'dossier_document' FROM zalo_tthc.worker_status()}, 't',
	'the claim fails');
$node->safe_psql('tthc', q{ALTER TABLE zalo_tthc.dossier_document_away RENAME TO dossier_document});
wait_until($node, q{SELECT count(*) = 2 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'the notification is sent once the table is back');
my $parse = error_report('relation "zalo_tthc.dossier_document" does not exist');
isnt($parse, '', 'the failed claim is in the server log');
unlike($parse, qr/QUERY:|CONTEXT:/, 'no query or context comes with it');
like($parse, qr/HINT:  Reinstall the extension/, 'the hint says how to mend it');
is(line_count($parse), 2, 'the error and its hint take two lines')
  or diag($parse);

$node->stop;
stop_mock($mock);
done_testing();
