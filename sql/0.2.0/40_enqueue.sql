
-- ---------------------------------------------------------------------
-- Enqueueing: fewer random index writes per stage change
-- ---------------------------------------------------------------------

-- outbox_dossier_idx (dossier_id, event_id) put each new notification at a
-- random place of a large index (a random page read, and after every
-- checkpoint a full-page image in the WAL).  Its readers (the deletion of a
-- dossier's notifications, dossier_notifications()) join on event_id, and
-- an index on event_id only ever grows at its right end.
DROP INDEX zalo_tthc.outbox_dossier_idx;
CREATE INDEX outbox_event_idx ON zalo_tthc.outbox (event_id);
COMMENT ON INDEX zalo_tthc.outbox_event_idx IS
	'The notifications of a stage event; new rows are appended at its end.';
