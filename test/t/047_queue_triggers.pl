# A DBA's triggers on the queue tables see the worker's claims and outcomes
# as they saw its statements: a BEFORE UPDATE row trigger that skips a
# claim keeps the notification unclaimed and unsent; the AFTER statement
# triggers of outbox and delivery_attempt fire once per batch of outcomes
# with their transition tables.
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
	[ { user_id => '9100000000000000047', follower => JSON::PP::true } ]);
my $node = new_tthc_node('queue_triggers', $mock);

$node->safe_psql('tthc', q{
	CREATE TABLE public.hold (on_hold boolean NOT NULL);
	INSERT INTO public.hold VALUES (true);
	CREATE FUNCTION public.hold_claims() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF (SELECT on_hold FROM public.hold) THEN
			RETURN NULL;
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER hold_claims BEFORE UPDATE ON zalo_tthc.outbox
		FOR EACH ROW WHEN (NEW.status = 'sending') EXECUTE FUNCTION public.hold_claims();

	CREATE TABLE public.became_sent (outbox_id bigint, batch_rows int);
	CREATE FUNCTION public.note_sent() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO public.became_sent
		SELECT n.id, (SELECT count(*) FROM new_rows)
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.status = 'sent' AND o.status = 'sending';
		RETURN NULL;
	END $$;
	CREATE TRIGGER note_sent AFTER UPDATE ON zalo_tthc.outbox
		REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
		FOR EACH STATEMENT EXECUTE FUNCTION public.note_sent();

	CREATE TABLE public.logged (attempts bigint);
	CREATE FUNCTION public.note_logged() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO public.logged SELECT count(*) FROM new_rows;
		RETURN NULL;
	END $$;
	CREATE TRIGGER note_logged AFTER INSERT ON zalo_tthc.delivery_attempt
		REFERENCING NEW TABLE AS new_rows
		FOR EACH STATEMENT EXECUTE FUNCTION public.note_logged()});

# a claim the trigger skips is no claim: nothing is sent, nothing counted
seed_dossier($node, code => '000.00.04.H60-261205-4701', phone => '0912344701',
	follower => '9100000000000000047');
my $turns = $node->safe_psql('tthc', q{SELECT loop_turns FROM zalo_tthc.worker_status()});
wait_until($node, qq{SELECT loop_turns > $turns + 5 FROM zalo_tthc.worker_status()}, 't',
	'the worker turns while the claims are held');
$node->safe_psql('tthc', q{SELECT pg_sleep(1)});
is($node->safe_psql('tthc', q{SELECT status || ' ' || attempts FROM zalo_tthc.outbox}), 'pending 0',
	'the notification whose claim a trigger skipped is still pending, its attempts not counted');
is(scalar(grep { $_->{path} =~ m{/message/} } @{ mock_requests($mock) }), 0, 'nothing was sent');

# once the claims pass, it is sent
$node->safe_psql('tthc', q{UPDATE public.hold SET on_hold = false});
seed_dossier($node, code => '000.00.04.H60-261205-4702', phone => '0912344701',
	follower => '9100000000000000047');
wait_until($node, q{SELECT count(*) = 2 AND bool_and(status = 'sent') FROM zalo_tthc.outbox}, 't',
	'both notifications are sent once the claims pass');
is($node->safe_psql('tthc', q{SELECT string_agg(attempts::text, ' ') FROM zalo_tthc.outbox}), '1 1',
	'each was sent in one attempt');

# the outcomes' statement triggers saw the rows with their transition tables
is($node->safe_psql('tthc', q{SELECT count(DISTINCT outbox_id) FROM public.became_sent}), '2',
	'the AFTER UPDATE statement trigger saw each notification become sent');
is($node->safe_psql('tthc', q{SELECT bool_and(batch_rows >= 1) FROM public.became_sent}), 't',
	'with the batch in its transition table');
is($node->safe_psql('tthc', q{SELECT sum(attempts) FROM public.logged}),
	$node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.delivery_attempt}),
	'the AFTER INSERT statement trigger of the delivery log saw every attempt');

$node->stop;
stop_mock($mock);
done_testing();
