
-- ---------------------------------------------------------------------
-- Enqueueing: fewer random index writes per stage change
-- ---------------------------------------------------------------------

-- outbox_dossier_idx (dossier_id, event_id) put each new notification at a
-- random place of a large index (a random page read, and after every
-- checkpoint a full-page image in the WAL).  Its readers (the deletion of a
-- dossier's notifications, dossier_notifications()) join on event_id, and
-- an index on event_id only ever grows at its right end.
DROP INDEX zalo_tthc.outbox_dossier_idx;

-- A stage change has at most one notification per channel and kind: that
-- is the key that stops a replay or a second fallback from notifying a
-- citizen twice.  The idempotency key text is derived from it
-- (<dossier id>-<stage seq>-<oa|zns|file>), so a unique index on the text
-- as well would be a second, random-order index entry for every stage
-- change.  The key on (event_id, channel, kind) grows at its right end and
-- also serves the readers of a stage event's notifications.  Chat messages
-- (no event) keep the text as their key.
ALTER TABLE zalo_tthc.outbox DROP CONSTRAINT outbox_idempotency_key_key;
ALTER TABLE zalo_tthc.outbox
	ADD CONSTRAINT outbox_event_id_channel_kind_key UNIQUE (event_id, channel, kind);
COMMENT ON CONSTRAINT outbox_event_id_channel_kind_key ON zalo_tthc.outbox IS
	'One notification per stage event, channel and kind: a replayed change or a second fallback adds nothing.';
CREATE UNIQUE INDEX outbox_chat_key_idx ON zalo_tthc.outbox (idempotency_key)
	WHERE event_id IS NULL;
COMMENT ON INDEX zalo_tthc.outbox_chat_key_idx IS
	'The idempotency key of a chat message (no stage event): a webhook delivered twice queues one reply.';
COMMENT ON COLUMN zalo_tthc.outbox.idempotency_key IS
	'Khóa chống gửi trùng: <dossier id>-<stage seq>-<oa|zns|file> for a stage notification (unique with its event, channel and kind), the caller''s key for a chat message (unique among chat messages); also the ZNS tracking_id.';
