/*
 * outbox_values.c
 *		The values of a notification's {{placeholders}}.
 *
 * Dates are DD/MM/YYYY in Asia/Ho_Chi_Minh, the fee is grouped by dots and
 * followed by " đồng", the return method is spelled out, and the lookup
 * link is zalo_tthc.lookup_url with {ma_ho_so} replaced by the code.  The
 * delivery worker builds them from the columns of its claim, once per
 * notification, without a SQL function call; notification_values() builds
 * the same from a dossier and a stage event row (receipt slips, previews).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "outbox_values.h"
#include "settings.h"

const char *const zt_value_field_names[ZT_VF_COUNT] = {
	[ZT_VF_CODE] = "code",
	[ZT_VF_APPLICANT_NAME] = "applicant_name",
	[ZT_VF_REPRESENTATIVE_NAME] = "representative_name",
	[ZT_VF_ORGANIZATION_NAME] = "organization_name",
	[ZT_VF_PROCEDURE_NAME] = "procedure_name",
	[ZT_VF_FIELD_NAME] = "field_name",
	[ZT_VF_RECEIVING_UNIT] = "receiving_unit",
	[ZT_VF_AGENCY_NAME] = "agency_name",
	[ZT_VF_SUBMITTED_AT] = "submitted_at",
	[ZT_VF_RECEIVED_AT] = "received_at",
	[ZT_VF_SUPPLEMENT_DUE_AT] = "supplement_due_at",
	[ZT_VF_RESULT_AT] = "result_at",
	[ZT_VF_RETURNED_AT] = "returned_at",
	[ZT_VF_FEE_AMOUNT] = "fee_amount",
	[ZT_VF_RETURN_METHOD] = "return_method",
	[ZT_VF_PAYMENT_URL] = "payment_url",
	[ZT_VF_DUE_AFTER] = "due_after",
	[ZT_VF_DUE_BEFORE] = "due_before",
	[ZT_VF_NOTE] = "note",
	[ZT_VF_STAGE_LABEL] = "label_vi",
};

/* Vietnam's time zone, loaded once per process. */
static pg_tz *
vietnam_tz(void)
{
	static pg_tz *tz = NULL;

	if (tz == NULL)
	{
		tz = pg_tzset("Asia/Ho_Chi_Minh");
		if (tz == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("time zone \"Asia/Ho_Chi_Minh\" is not in this server's time zone data")));
	}
	return tz;
}

/*
 * The names of the values, as templates write them ({{ma_ho_so}}), in the
 * order of zt_template_value_texts.
 */
const char *const zt_template_value_names[ZT_TEMPLATE_VALUE_COUNT] = {
	"ma_ho_so", "ho_ten", "nguoi_dai_dien", "to_chuc", "ten_thu_tuc", "ten_linh_vuc",
	"don_vi_tiep_nhan", "co_quan", "trang_thai", "ngay_nop", "ngay_tiep_nhan", "ngay_hen_tra",
	"ngay_hen_tra_cu", "han_bo_sung", "ngay_co_ket_qua", "ngay_tra", "ghi_chu", "so_tien",
	"hinh_thuc_tra", "link_thanh_toan", "link_tra_cuu",
};

static char *
text_of(const Datum *v, const bool *isnull, ZtValueField f)
{
	return isnull[f] ? NULL : TextDatumGetCString(v[f]);
}

/* The first of two fields that is not null (coalesce). */
static char *
first_text_of(const Datum *v, const bool *isnull, ZtValueField f1, ZtValueField f2)
{
	return text_of(v, isnull, isnull[f1] ? f2 : f1);
}

/* A timestamptz as the date DD/MM/YYYY in Vietnam; NULL if infinite. */
static char *
date_of(const Datum *v, const bool *isnull, ZtValueField f)
{
	TimestampTz ts;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (isnull[f] || TIMESTAMP_NOT_FINITE(ts = DatumGetTimestampTz(v[f])))
		return NULL;
	if (timestamp2tm(ts, &tzoff, &tm, &fsec, NULL, vietnam_tz()) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range in the %s of a notification", zt_value_field_names[f])));
	/* years before Christ as to_char's YYYY writes them */
	return psprintf("%02d/%02d/%04d", tm.tm_mday, tm.tm_mon,
					tm.tm_year > 0 ? tm.tm_year : -(tm.tm_year - 1));
}

/* A fee in đồng: whole đồng, thousands grouped by dots ("1.500.000 đồng"). */
static char *
fee_of(const Datum *v, const bool *isnull)
{
	StringInfoData out;
	Numeric		fee;
	char	   *digits;
	int			len;
	int			start;

	if (isnull[ZT_VF_FEE_AMOUNT])
		return NULL;
	fee = DatumGetNumeric(v[ZT_VF_FEE_AMOUNT]);
	if (numeric_is_nan(fee) || numeric_is_inf(fee))
		return NULL;
	digits = DatumGetCString(DirectFunctionCall1(numeric_out,
												 DirectFunctionCall2(numeric_round, NumericGetDatum(fee),
																	 Int32GetDatum(0))));
	len = strlen(digits);
	start = digits[0] == '-' ? 1 : 0;
	initStringInfo(&out);
	appendBinaryStringInfo(&out, digits, start);
	for (int i = start; i < len; i++)
	{
		if (i > start && (len - i) % 3 == 0)
			appendStringInfoChar(&out, '.');
		appendStringInfoChar(&out, digits[i]);
	}
	appendStringInfoString(&out, " đồng");
	return out.data;
}

/* zalo_tthc.lookup_url with every {ma_ho_so} replaced by the code. */
static char *
lookup_link_of(const Datum *v, const bool *isnull)
{
	static const char placeholder[] = "{ma_ho_so}";
	StringInfoData link;
	const char *url = zt_lookup_url ? zt_lookup_url : "";
	const char *code;
	const char *at;

	if (isnull[ZT_VF_CODE])
		return NULL;
	code = TextDatumGetCString(v[ZT_VF_CODE]);
	initStringInfo(&link);
	while ((at = strstr(url, placeholder)) != NULL)
	{
		appendBinaryStringInfo(&link, url, at - url);
		appendStringInfoString(&link, code);
		url = at + sizeof(placeholder) - 1;
	}
	appendStringInfoString(&link, url);
	return link.data;
}

void
zt_template_value_texts(const Datum *v, const bool *isnull, char **texts)
{
	int			i = 0;

	texts[i++] = text_of(v, isnull, ZT_VF_CODE);
	texts[i++] = text_of(v, isnull, ZT_VF_APPLICANT_NAME);
	texts[i++] = first_text_of(v, isnull, ZT_VF_REPRESENTATIVE_NAME, ZT_VF_APPLICANT_NAME);
	texts[i++] = text_of(v, isnull, ZT_VF_ORGANIZATION_NAME);
	texts[i++] = text_of(v, isnull, ZT_VF_PROCEDURE_NAME);
	texts[i++] = text_of(v, isnull, ZT_VF_FIELD_NAME);
	texts[i++] = first_text_of(v, isnull, ZT_VF_RECEIVING_UNIT, ZT_VF_AGENCY_NAME);
	texts[i++] = first_text_of(v, isnull, ZT_VF_AGENCY_NAME, ZT_VF_RECEIVING_UNIT);
	texts[i++] = text_of(v, isnull, ZT_VF_STAGE_LABEL);
	texts[i++] = date_of(v, isnull, ZT_VF_SUBMITTED_AT);
	texts[i++] = date_of(v, isnull, ZT_VF_RECEIVED_AT);
	texts[i++] = date_of(v, isnull, ZT_VF_DUE_AFTER);
	texts[i++] = date_of(v, isnull, ZT_VF_DUE_BEFORE);
	texts[i++] = date_of(v, isnull, ZT_VF_SUPPLEMENT_DUE_AT);
	texts[i++] = date_of(v, isnull, ZT_VF_RESULT_AT);
	texts[i++] = date_of(v, isnull, ZT_VF_RETURNED_AT);
	texts[i++] = text_of(v, isnull, ZT_VF_NOTE);
	texts[i++] = fee_of(v, isnull);
	/* 0 in person, 1 by post, anything else (2, unknown) online */
	texts[i++] = pstrdup(isnull[ZT_VF_RETURN_METHOD] ? "Trực tuyến"
						 : DatumGetInt16(v[ZT_VF_RETURN_METHOD]) == 0 ? "Trực tiếp"
						 : DatumGetInt16(v[ZT_VF_RETURN_METHOD]) == 1 ? "Qua bưu điện"
						 : "Trực tuyến");
	texts[i++] = text_of(v, isnull, ZT_VF_PAYMENT_URL);
	texts[i++] = lookup_link_of(v, isnull);
	Assert(i == ZT_TEMPLATE_VALUE_COUNT);
}

void
zt_append_template_values(StringInfo out, const Datum *v, const bool *isnull)
{
	char	   *texts[ZT_TEMPLATE_VALUE_COUNT];

	zt_template_value_texts(v, isnull, texts);
	appendStringInfoChar(out, '{');
	for (int i = 0; i < ZT_TEMPLATE_VALUE_COUNT; i++)
	{
		if (i > 0)
			appendStringInfoChar(out, ',');
		escape_json(out, zt_template_value_names[i]);
		appendStringInfoChar(out, ':');
		if (texts[i] == NULL)
			appendStringInfoString(out, "null");
		else
			escape_json(out, texts[i]);
	}
	appendStringInfoChar(out, '}');
}

/* The fields first..last of a row value, found by their names. */
static void
fields_of_row(HeapTupleHeader rec, int first, int last, Datum *values, bool *isnull)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(rec), HeapTupleHeaderGetTypMod(rec));
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	for (int f = first; f <= last; f++)
	{
		int			attnum = 0;

		for (int i = 0; i < desc->natts && attnum == 0; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && strcmp(NameStr(att->attname), zt_value_field_names[f]) == 0)
				attnum = i + 1;
		}
		if (attnum == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row type %s has no column \"%s\"",
							format_type_be(desc->tdtypeid), zt_value_field_names[f])));
		values[f] = heap_getattr(&tuple, attnum, desc, &isnull[f]);
	}
	ReleaseTupleDesc(desc);
}

/*
 * template_values(d dossier, e dossier_event, stage_label text) returns
 * jsonb, strict: the values of the notification of event e of dossier d.
 */
PG_FUNCTION_INFO_V1(zt_template_values);
Datum
zt_template_values(PG_FUNCTION_ARGS)
{
	Datum		values[ZT_VF_COUNT];
	bool		isnull[ZT_VF_COUNT];
	StringInfoData out;

	fields_of_row(PG_GETARG_HEAPTUPLEHEADER(0), 0, ZT_VF_FIRST_EVENT_FIELD - 1, values, isnull);
	fields_of_row(PG_GETARG_HEAPTUPLEHEADER(1), ZT_VF_FIRST_EVENT_FIELD, ZT_VF_STAGE_LABEL - 1,
				  values, isnull);
	values[ZT_VF_STAGE_LABEL] = PG_GETARG_DATUM(2);
	isnull[ZT_VF_STAGE_LABEL] = false;

	initStringInfo(&out);
	zt_append_template_values(&out, values, isnull);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
