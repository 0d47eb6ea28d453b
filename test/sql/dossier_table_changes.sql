-- The dossier triggers find the columns of zalo_tthc.dossier by name and
-- keep their positions for the session.  A DBA's ALTER TABLE of the
-- dossier table (columns renamed, added, dropped, retyped) applies from
-- the next stage change of the same session, however many ALTERs came in
-- between; a column the triggers need that is gone or of a type they
-- cannot read is named in an error, never read as something else.  Each
-- case rolls back, so the table keeps its shape for the other tests.
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230901-0001', 'Đăng ký hộ kinh doanh', 'Trịnh Văn Sơn', '0936111222');

CREATE TEMP VIEW events AS
SELECT e.seq, e.stage_after, e.status_after, e.note, e.actor
FROM zalo_tthc.dossier_event e JOIN zalo_tthc.dossier d ON d.id = e.dossier_id
WHERE d.code = '000.00.04.H60-230901-0001'
ORDER BY e.seq;

-- two columns swap names: the note is the column named stage_note now
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier RENAME COLUMN summary TO summary_old;
ALTER TABLE zalo_tthc.dossier RENAME COLUMN stage_note TO summary;
ALTER TABLE zalo_tthc.dossier RENAME COLUMN summary_old TO stage_note;
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung giấy chứng nhận',
	summary = 'Tóm tắt hồ sơ' WHERE code = '000.00.04.H60-230901-0001';
SELECT * FROM events;
ROLLBACK;

-- columns added and dropped, a column retyped to another text type, twice
-- between stage changes
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier ADD COLUMN archive_box text;
ALTER TABLE zalo_tthc.dossier DROP COLUMN archive_box;
UPDATE zalo_tthc.dossier SET stage = 'assigned', stage_actor = 'thuly.test@tthc'
WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier ALTER COLUMN stage_note TYPE varchar(2000);
ALTER TABLE zalo_tthc.dossier ADD COLUMN archive_shelf integer NOT NULL DEFAULT 3;
UPDATE zalo_tthc.dossier SET stage = 'supplement_requested', stage_note = 'Bổ sung bản vẽ'
WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier ALTER COLUMN stage_note TYPE text;
ALTER TABLE zalo_tthc.dossier DROP COLUMN archive_shelf;
UPDATE zalo_tthc.dossier SET stage = 'supplement_submitted', stage_note = 'Đã bổ sung'
WHERE code = '000.00.04.H60-230901-0001';
SELECT * FROM events;
ROLLBACK;

-- a column the triggers need is dropped: the next change names it
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier DROP COLUMN payment_url;
ALTER TABLE zalo_tthc.dossier ALTER COLUMN summary TYPE varchar(2000);
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230901-0001';
ROLLBACK;

-- a column retyped to a type the triggers cannot read: named, not misread
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier ALTER COLUMN summary TYPE varchar(2000);
ALTER TABLE zalo_tthc.dossier ALTER COLUMN stage_seq TYPE numeric;
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230901-0001';
ROLLBACK;

-- the history tables change too: a column added with a default gets it
BEGIN;
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230901-0001';
ALTER TABLE zalo_tthc.dossier_event ADD COLUMN reviewed boolean NOT NULL DEFAULT false;
ALTER TABLE zalo_tthc.dossier_event ALTER COLUMN reviewed SET DEFAULT true;
UPDATE zalo_tthc.dossier SET stage = 'assigned' WHERE code = '000.00.04.H60-230901-0001';
SELECT e.seq, e.stage_after, e.reviewed FROM zalo_tthc.dossier_event e
JOIN zalo_tthc.dossier d ON d.id = e.dossier_id
WHERE d.code = '000.00.04.H60-230901-0001' ORDER BY e.seq;
ROLLBACK;

-- and after all that, the table as it was
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-230901-0001';
SELECT * FROM events;
DELETE FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230901-0001';
