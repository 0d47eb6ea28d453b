/*
 * outbox_values.h
 *		The values of a notification's {{placeholders}}: dossier fields, the
 *		stage event's note and due dates, the stage's label.
 *
 * One definition serves the delivery worker (from the columns of its claim)
 * and SQL (zalo_tthc.notification_values(dossier, dossier_event)).
 */
#ifndef ZT_OUTBOX_VALUES_H
#define ZT_OUTBOX_VALUES_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* The fields the values are made of, in the order of ZT_VALUE_COLUMNS. */
typedef enum ZtValueField
{
	ZT_VF_CODE,
	ZT_VF_APPLICANT_NAME,
	ZT_VF_REPRESENTATIVE_NAME,
	ZT_VF_ORGANIZATION_NAME,
	ZT_VF_PROCEDURE_NAME,
	ZT_VF_FIELD_NAME,
	ZT_VF_RECEIVING_UNIT,
	ZT_VF_AGENCY_NAME,
	ZT_VF_SUBMITTED_AT,
	ZT_VF_RECEIVED_AT,
	ZT_VF_SUPPLEMENT_DUE_AT,
	ZT_VF_RESULT_AT,
	ZT_VF_RETURNED_AT,
	ZT_VF_FEE_AMOUNT,
	ZT_VF_RETURN_METHOD,
	ZT_VF_PAYMENT_URL,
	/* of the stage event */
	ZT_VF_DUE_AFTER,
	ZT_VF_DUE_BEFORE,
	ZT_VF_NOTE,
	/* of zalo_tthc.stage_info */
	ZT_VF_STAGE_LABEL,
	ZT_VF_COUNT
} ZtValueField;

/* The first event field: the ones before it are the dossier's. */
#define ZT_VF_FIRST_EVENT_FIELD ZT_VF_DUE_AFTER

/*
 * The same fields as SQL columns of a query that names the dossier "dd",
 * the event "ee" and the stage_info row "si".
 */
#define ZT_VALUE_COLUMNS \
	"dd.code, dd.applicant_name, dd.representative_name, dd.organization_name, dd.procedure_name," \
	" dd.field_name, dd.receiving_unit, dd.agency_name, dd.submitted_at, dd.received_at," \
	" dd.supplement_due_at, dd.result_at, dd.returned_at, dd.fee_amount, dd.return_method," \
	" dd.payment_url, ee.due_after, ee.due_before, ee.note, si.label_vi"

/* Their names in the dossier, dossier_event and stage_info tables. */
extern const char *const zt_value_field_names[ZT_VF_COUNT];

/* The values a template names ({{ma_ho_so}}), and their names. */
#define ZT_TEMPLATE_VALUE_COUNT 21
extern const char *const zt_template_value_names[ZT_TEMPLATE_VALUE_COUNT];

/*
 * The texts of the values, in the order of zt_template_value_names, palloc'ed
 * in the current memory context; NULL for a null value.  The fields are
 * Datums of their column types (text, timestamptz, numeric, smallint).
 */
extern void zt_template_value_texts(const Datum *values, const bool *isnull, char **texts);

/*
 * Append the values as a JSON object to out.  The fields are Datums of
 * their column types (text, timestamptz, numeric, smallint).
 */
extern void zt_append_template_values(StringInfo out, const Datum *values, const bool *isnull);

#endif							/* ZT_OUTBOX_VALUES_H */
