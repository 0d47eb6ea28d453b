
-- ---------------------------------------------------------------------
-- Delivery: the values of a notification, built in C
-- ---------------------------------------------------------------------

-- The delivery worker builds a notification's values from the columns of
-- its claim (src/template_values.c); a SQL function per notification cost
-- it more than the rest of the claim.  notification_values() keeps its
-- signature and results, from the same C code.
CREATE FUNCTION zalo_tthc.template_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event, stage_label text)
RETURNS jsonb
LANGUAGE C STABLE STRICT
AS 'MODULE_PATHNAME', 'zt_template_values';
COMMENT ON FUNCTION zalo_tthc.template_values(zalo_tthc.dossier, zalo_tthc.dossier_event, text) IS
	'The values of the {{placeholders}} of the notification of event e of dossier d whose stage is labelled stage_label; what notification_values() returns.';

CREATE OR REPLACE FUNCTION zalo_tthc.notification_values(d zalo_tthc.dossier, e zalo_tthc.dossier_event)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
	SELECT zalo_tthc.template_values(d, e, s.label_vi)
	FROM zalo_tthc.stage_info s
	WHERE s.stage = e.stage_after
$$;
COMMENT ON FUNCTION zalo_tthc.notification_values(zalo_tthc.dossier, zalo_tthc.dossier_event) IS
	'The values of the {{placeholders}} of a notification: dossier fields and the event''s note and due dates, dates as DD/MM/YYYY in Asia/Ho_Chi_Minh, the fee grouped by dots in đồng.';
