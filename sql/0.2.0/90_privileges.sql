
-- ---------------------------------------------------------------------
-- Least privilege for the functions nobody calls by hand
--
-- A trigger's function is not checked when the trigger fires, so the
-- extension's triggers serve every role that writes its tables; EXECUTE
-- is needed only to attach a function to a table.  Left to PUBLIC, it
-- would let any role attach them to tables of its own and forge stage
-- events, notifications or wake-ups of the worker.  (The C triggers also
-- refuse any table but the one they were written for.)  The worker's and
-- the webhook's helpers run as the owner.  PUBLIC keeps the validation
-- functions and those the name index evaluates as whoever writes a
-- dossier (name_terms, f_unaccent, unaccent_dict, vn_lower).
-- ---------------------------------------------------------------------

REVOKE ALL ON FUNCTION zalo_tthc.dossier_before_write(), zalo_tthc.dossier_enqueue(),
	zalo_tthc.stage_rules_changed(), zalo_tthc.wake_worker_at_commit(),
	zalo_tthc.forbid_event_change(), zalo_tthc.dossier_deleted(), zalo_tthc.dossier_event_deleted(),
	zalo_tthc.recipient_deleted(), zalo_tthc.dossier_truncated(), zalo_tthc.merge_config_row(),
	zalo_tthc.apply_pending_receipts()
	FROM PUBLIC;
REVOKE ALL ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event),
	zalo_tthc.template_values(zalo_tthc.dossier, zalo_tthc.dossier_event, text),
	zalo_tthc.cs_text_message(text, text) FROM PUBLIC;
