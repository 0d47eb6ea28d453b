-- Three tables of the same shape and data for the trigger-overhead
-- benchmark: the extension's dossier with its C triggers, a copy with no
-- trigger, and a copy with PL/pgSQL triggers doing the same work.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS zalo_tthc CASCADE;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
SELECT (7000000000000000000 + i)::text, '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i
FROM generate_series(1, :rows / 2) AS i;

SET zalo_tthc.bulk_import = on;
INSERT INTO zalo_tthc.dossier (code, procedure_name, field_name, agency_name, applicant_name,
	applicant_id_number, applicant_phone, stage, stage_note, due_at)
SELECT format('000.00.04.H60-%s-%s', to_char(date '2024-01-01' + i / 9999, 'YYMMDD'),
			  lpad((i % 9999 + 1)::text, 4, '0')),
	   'Cấp giấy phép xây dựng', 'Xây dựng', 'UBND phường Minh Xuân',
	   (ARRAY['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng'])[1 + i % 5] || ' Văn ' ||
	   (ARRAY['An', 'Bình', 'Cường', 'Dũng', 'Hải', 'Khánh'])[1 + i % 6],
	   lpad((8090000000 + i)::text, 12, '0'), '+8491' || lpad(i::text, 7, '0'),
	   'supplement_requested', 'Bổ sung bản sao CCCD', now() + interval '15 days'
FROM generate_series(1, :rows) AS i;
RESET zalo_tthc.bulk_import;

-- (b) no trigger
CREATE TABLE bench.dossier_plain (LIKE zalo_tthc.dossier INCLUDING ALL);
INSERT INTO bench.dossier_plain OVERRIDING SYSTEM VALUE SELECT * FROM zalo_tthc.dossier;

-- (c) PL/pgSQL triggers writing the same event and outbox rows
CREATE TABLE bench.dossier_plpgsql (LIKE zalo_tthc.dossier INCLUDING ALL);
INSERT INTO bench.dossier_plpgsql OVERRIDING SYSTEM VALUE SELECT * FROM zalo_tthc.dossier;
-- the same constraints and indexes as the extension's tables (which,
-- like these, have no foreign keys)
CREATE TABLE bench.event (LIKE zalo_tthc.dossier_event INCLUDING ALL);
CREATE TABLE bench.outbox (LIKE zalo_tthc.outbox INCLUDING ALL);

CREATE FUNCTION bench.before_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	info zalo_tthc.stage_info;
BEGIN
	IF NEW.stage IS DISTINCT FROM OLD.stage THEN
		IF NOT EXISTS (SELECT 1 FROM zalo_tthc.stage_transition
					   WHERE from_stage = OLD.stage AND to_stage = NEW.stage) THEN
			RAISE EXCEPTION 'dossier % cannot move from % to %', NEW.code, OLD.stage, NEW.stage
				USING ERRCODE = 'check_violation';
		END IF;
		SELECT * INTO info FROM zalo_tthc.stage_info WHERE stage = NEW.stage;
		IF info.requires_note AND NEW.stage_note IS NULL THEN
			RAISE EXCEPTION 'stage_note required' USING ERRCODE = 'check_violation';
		END IF;
		NEW.status_code := coalesce(info.status_code, OLD.status_code);
		NEW.stage_seq := OLD.stage_seq + 1;
		NEW.stage_actor := coalesce(NEW.stage_actor, current_user);
	END IF;
	NEW.updated_at := statement_timestamp();
	RETURN NEW;
END
$$;

CREATE FUNCTION bench.enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	ev_id bigint;
	rcp bigint;
	zns text;
	notifies boolean;
BEGIN
	IF NEW.stage IS NOT DISTINCT FROM OLD.stage THEN
		RETURN NULL;
	END IF;
	SELECT s.notifies INTO notifies FROM zalo_tthc.stage_info s WHERE s.stage = NEW.stage;
	INSERT INTO bench.event (dossier_id, seq, stage_before, stage_after, status_before, status_after,
		actor, note, due_before, due_after, notify)
	VALUES (NEW.id, NEW.stage_seq, OLD.stage, NEW.stage, OLD.status_code, NEW.status_code,
		NEW.stage_actor, NEW.stage_note, OLD.due_at, NEW.due_at,
		(CASE WHEN notifies THEN 'enqueued' ELSE 'not_notifying_stage' END)::zalo_tthc.notify_decision)
	ON CONFLICT (dossier_id, seq) DO NOTHING
	RETURNING id INTO ev_id;
	IF ev_id IS NULL OR NOT notifies THEN
		RETURN NULL;
	END IF;
	SELECT r.id INTO rcp FROM zalo_tthc.recipient r
	WHERE r.followed AND (r.phone = NEW.applicant_phone OR r.id_number = NEW.applicant_id_number)
	ORDER BY r.phone IS NOT DISTINCT FROM NEW.applicant_phone DESC, r.followed_at DESC NULLS LAST
	LIMIT 1;
	SELECT t.zbs_template_id INTO zns FROM zalo_tthc.template t WHERE t.stage = NEW.stage AND t.by_phone;
	INSERT INTO bench.outbox (event_id, dossier_id, stage, channel, recipient_id, idempotency_key, status, last_error)
	VALUES (ev_id, NEW.id, NEW.stage,
		(CASE WHEN rcp IS NULL AND zns IS NOT NULL AND NEW.applicant_phone IS NOT NULL THEN 'zns' ELSE 'zalo_oa' END)::zalo_tthc.channel,
		rcp,
		NEW.id || '-' || NEW.stage_seq || CASE WHEN rcp IS NULL AND zns IS NOT NULL AND NEW.applicant_phone IS NOT NULL
											  THEN '-zns' ELSE '-oa' END,
		(CASE WHEN rcp IS NOT NULL OR (zns IS NOT NULL AND NEW.applicant_phone IS NOT NULL) THEN 'pending' ELSE 'undeliverable' END)::zalo_tthc.delivery_status,
		CASE WHEN rcp IS NOT NULL OR (zns IS NOT NULL AND NEW.applicant_phone IS NOT NULL) THEN NULL
			 ELSE 'no Zalo follower is linked to the applicant' END)
	ON CONFLICT (event_id, channel, kind) DO NOTHING;
	RETURN NULL;
END
$$;

CREATE TRIGGER before_write BEFORE UPDATE ON bench.dossier_plpgsql
	FOR EACH ROW EXECUTE FUNCTION bench.before_write();
CREATE TRIGGER enqueue AFTER UPDATE OF stage ON bench.dossier_plpgsql
	FOR EACH ROW EXECUTE FUNCTION bench.enqueue();

VACUUM ANALYZE;
CHECKPOINT;
