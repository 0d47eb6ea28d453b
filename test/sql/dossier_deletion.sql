-- Deleting a dossier takes its stage history and notifications with it;
-- deleting a recipient unlinks its notifications; TRUNCATE empties the
-- tables that hang on a dossier.  (The tables carry no foreign keys: the
-- enqueue trigger writes them; statement triggers do the cascading.)
INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed_at)
VALUES ('5550000000000000001', '+84977555001', 'Đinh Thị Hoa', now());
INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone)
VALUES ('000.00.04.H60-230501-0001', 'Đăng ký kết hôn', 'Đinh Thị Hoa', '0977555001'),
       ('000.00.04.H60-230501-0002', 'Đăng ký khai sinh', 'Đinh Thị Hoa', '0977555001');
UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code LIKE '000.00.04.H60-230501-%';

SELECT d.code,
       (SELECT count(*) FROM zalo_tthc.dossier_event e WHERE e.dossier_id = d.id) AS events,
       (SELECT count(*) FROM zalo_tthc.outbox o WHERE o.dossier_id = d.id) AS notifications,
       (SELECT count(o.recipient_id) FROM zalo_tthc.outbox o WHERE o.dossier_id = d.id) AS linked
FROM zalo_tthc.dossier d
WHERE d.code LIKE '000.00.04.H60-230501-%'
ORDER BY d.code;

-- a deleted dossier leaves no event and no notification behind
DELETE FROM zalo_tthc.dossier WHERE code = '000.00.04.H60-230501-0001';
SELECT count(*) AS orphan_events FROM zalo_tthc.dossier_event e
WHERE NOT EXISTS (SELECT FROM zalo_tthc.dossier d WHERE d.id = e.dossier_id);
SELECT count(*) AS orphan_notifications FROM zalo_tthc.outbox o
WHERE NOT EXISTS (SELECT FROM zalo_tthc.dossier_event e WHERE e.id = o.event_id);

-- a deleted recipient: its notifications stay, unlinked
DELETE FROM zalo_tthc.recipient WHERE zalo_user_id = '5550000000000000001';
SELECT o.stage, o.recipient_id IS NULL AS unlinked
FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
WHERE d.code = '000.00.04.H60-230501-0002' ORDER BY o.id;

-- TRUNCATE in a transaction that is rolled back: everything hanging on
-- the dossiers is emptied with them
BEGIN;
TRUNCATE zalo_tthc.dossier CASCADE;
SELECT (SELECT count(*) FROM zalo_tthc.dossier_event) AS events,
       (SELECT count(*) FROM zalo_tthc.outbox) AS notifications;
ROLLBACK;
SELECT count(*) > 0 AS events_back FROM zalo_tthc.dossier_event;
