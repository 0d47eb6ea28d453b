/*
 * dossier_trigger.c
 *		The two row triggers on zalo_tthc.dossier.
 *
 * dossier_before_write (BEFORE INSERT OR UPDATE) validates and normalises
 * the row: dossier code, CCCD/CMND, phone, text lengths and control
 * characters, the stage transition and the rules attached to the new
 * stage; it keeps status_code, stage_seq and the stage timestamps in step.
 *
 * dossier_enqueue (AFTER INSERT OR UPDATE OF stage) hands the change to
 * outbox.c, which appends the dossier_event and, for stages that notify
 * the citizen, the outbox row, in the same transaction as the change; a
 * dossier entering the received stage also gets its receipt slip.  The
 * event is unique per (dossier, stage_seq) and the outbox row per
 * idempotency key, so a trigger that fires twice for one change adds
 * nothing; the delivery worker is woken after commit (wakeup.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/unicode_norm.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "attach.h"
#include "outbox.h"
#include "own_tables.h"
#include "settings.h"
#include "sql_validate.h"
#include "stage_cache.h"
#include "validate.h"

/* The dossier columns the triggers read or write. */
typedef enum DossierColumn
{
	DC_ID,
	DC_CODE,
	DC_CODE_STANDARD,
	DC_EXTERNAL_CODE,
	DC_PROCEDURE_CODE,
	DC_PROCEDURE_NAME,
	DC_FIELD_CODE,
	DC_FIELD_NAME,
	DC_AGENCY_CODE,
	DC_AGENCY_NAME,
	DC_RECEIVING_UNIT_CODE,
	DC_RECEIVING_UNIT,
	DC_APPLICANT_NAME,
	DC_APPLICANT_ID_NUMBER,
	DC_APPLICANT_PHONE,
	DC_APPLICANT_EMAIL,
	DC_APPLICANT_ADDRESS,
	DC_ORGANIZATION_NAME,
	DC_REPRESENTATIVE_NAME,
	DC_SUMMARY,
	DC_STAGE,
	DC_STATUS_CODE,
	DC_STAGE_SEQ,
	DC_STAGE_NOTE,
	DC_STAGE_ACTOR,
	DC_SUBMITTED_AT,
	DC_DUE_AT,
	DC_ORIGINAL_DUE_AT,
	DC_PAYMENT_URL,
	DC_NOTIFY_ZALO,
	DC_UPDATED_AT,
	DC_COUNT
} DossierColumn;

static const char *const dossier_column_names[DC_COUNT] = {
	"id", "code", "code_standard", "external_code", "procedure_code",
	"procedure_name", "field_code", "field_name", "agency_code",
	"agency_name", "receiving_unit_code", "receiving_unit", "applicant_name",
	"applicant_id_number", "applicant_phone", "applicant_email",
	"applicant_address", "organization_name", "representative_name",
	"summary", "stage", "status_code", "stage_seq", "stage_note",
	"stage_actor", "submitted_at", "due_at", "original_due_at",
	"payment_url", "notify_zalo", "updated_at"
};

/* How a free-text column is checked. */
typedef enum TextKind
{
	TEXT_LINE,					/* one line: no control characters */
	TEXT_NAME,					/* a person's or body's name: one line, NFC,
								 * spaces collapsed */
	TEXT_MULTILINE				/* tabs and line breaks allowed */
} TextKind;

typedef struct TextRule
{
	DossierColumn column;
	int			max_chars;
	bool		required;
	TextKind	kind;
} TextRule;

static const TextRule text_rules[] = {
	{DC_EXTERNAL_CODE, 100, false, TEXT_LINE},
	{DC_PROCEDURE_CODE, 100, false, TEXT_LINE},
	{DC_PROCEDURE_NAME, 500, true, TEXT_LINE},
	{DC_FIELD_CODE, 100, false, TEXT_LINE},
	{DC_FIELD_NAME, 300, false, TEXT_LINE},
	{DC_AGENCY_CODE, 100, false, TEXT_LINE},
	{DC_AGENCY_NAME, 300, false, TEXT_LINE},
	{DC_RECEIVING_UNIT_CODE, 100, false, TEXT_LINE},
	{DC_RECEIVING_UNIT, 300, false, TEXT_LINE},
	{DC_APPLICANT_NAME, 200, true, TEXT_NAME},
	{DC_APPLICANT_EMAIL, 254, false, TEXT_LINE},
	{DC_APPLICANT_ADDRESS, 500, false, TEXT_MULTILINE},
	{DC_ORGANIZATION_NAME, 300, false, TEXT_NAME},
	{DC_REPRESENTATIVE_NAME, 200, false, TEXT_NAME},
	{DC_SUMMARY, 2000, false, TEXT_MULTILINE},
	{DC_STAGE_NOTE, 2000, false, TEXT_MULTILINE},
	{DC_STAGE_ACTOR, 200, false, TEXT_LINE},
	{DC_PAYMENT_URL, 2000, false, TEXT_LINE},
};

/* The types the triggers read the dossier columns as. */
typedef enum ColumnType
{
	CT_TEXT = 0,				/* text or varchar */
	CT_BIGINT,
	CT_SMALLINT,
	CT_INTEGER,
	CT_BOOLEAN,
	CT_TIMESTAMPTZ,
	CT_STAGE					/* zalo_tthc.stage */
} ColumnType;

static const ColumnType dossier_column_types[DC_COUNT] = {
	[DC_ID] = CT_BIGINT,
	[DC_CODE_STANDARD] = CT_BOOLEAN,
	[DC_STAGE] = CT_STAGE,
	[DC_STATUS_CODE] = CT_SMALLINT,
	[DC_STAGE_SEQ] = CT_INTEGER,
	[DC_SUBMITTED_AT] = CT_TIMESTAMPTZ,
	[DC_DUE_AT] = CT_TIMESTAMPTZ,
	[DC_ORIGINAL_DUE_AT] = CT_TIMESTAMPTZ,
	[DC_NOTIFY_ZALO] = CT_BOOLEAN,
	[DC_UPDATED_AT] = CT_TIMESTAMPTZ,
	/* every other column is text (CT_TEXT, 0) */
};

/*
 * Column positions of the dossier table, found by name.  Kept until the
 * relation cache says the table changed: an ALTER TABLE in this session or
 * one that committed elsewhere (taken in when the table is locked, before
 * the triggers fire).
 */
typedef struct DossierLayout
{
	bool		valid;
	Oid			relid;
	AttrNumber	attnum[DC_COUNT];
} DossierLayout;

static DossierLayout layout;
static uint64 layout_invalidations = 0;
static bool layout_callback_registered = false;

/*
 * The row being written, as arrays that heap_modify_tuple takes, with the
 * old row of an UPDATE (old_values NULL for an INSERT).
 */
typedef struct RowEdit
{
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	bool	   *replace;
	bool		changed;
	Datum	   *old_values;
	bool	   *old_nulls;
} RowEdit;


/* Relcache callback: forget the layout when the dossier table changes. */
static void
dossier_layout_invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == layout.relid)
	{
		layout.valid = false;
		layout_invalidations++;
	}
}

/* True when a column of this type can be read as the triggers read it. */
static bool
column_type_ok(ColumnType expected, Oid typid, Oid stage_type)
{
	switch (expected)
	{
		case CT_TEXT:
			return typid == TEXTOID || typid == VARCHAROID;
		case CT_BIGINT:
			return typid == INT8OID;
		case CT_SMALLINT:
			return typid == INT2OID;
		case CT_INTEGER:
			return typid == INT4OID;
		case CT_BOOLEAN:
			return typid == BOOLOID;
		case CT_TIMESTAMPTZ:
			return typid == TIMESTAMPTZOID;
		case CT_STAGE:
			return typid == stage_type;
	}
	return false;
}

/* The name of a ColumnType, for an error message. */
static const char *
column_type_name(ColumnType type)
{
	switch (type)
	{
		case CT_TEXT:
			return "text or varchar";
		case CT_BIGINT:
			return "bigint";
		case CT_SMALLINT:
			return "smallint";
		case CT_INTEGER:
			return "integer";
		case CT_BOOLEAN:
			return "boolean";
		case CT_TIMESTAMPTZ:
			return "timestamp with time zone";
		case CT_STAGE:
			return "zalo_tthc.stage";
	}
	return "?";
}

/* Find the columns of the dossier table and check their types. */
static void
read_dossier_layout(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			stage_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											 CStringGetDatum("stage"),
											 ObjectIdGetDatum(RelationGetNamespace(rel)));

	for (int c = 0; c < DC_COUNT; c++)
	{
		Form_pg_attribute found = NULL;
		ColumnType	expected = dossier_column_types[c];

		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped &&
				strcmp(NameStr(att->attname), dossier_column_names[c]) == 0)
			{
				found = att;
				break;
			}
		}
		if (found == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no column \"%s\"",
							RelationGetRelationName(rel), dossier_column_names[c]),
					 errdetail("The zalo_tthc dossier triggers need the columns of zalo_tthc.dossier.")));
		if (!column_type_ok(expected, found->atttypid, stage_type))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table \"%s\" has type %s",
							dossier_column_names[c], RelationGetRelationName(rel),
							format_type_be(found->atttypid)),
					 errdetail("The zalo_tthc dossier triggers read it as %s.", column_type_name(expected)),
					 errhint("Change the column back to that type.")));
		layout.attnum[c] = found->attnum;
	}
}

/*
 * The layout of the dossier table, found again after each change of the
 * table.  Marked as being read for this relation first, so that an
 * invalidation arriving meanwhile (the type lookup reads the catalog) is
 * noticed and the layout read again.
 */
static const DossierLayout *
dossier_layout(Relation rel)
{
	if (layout.valid && layout.relid == RelationGetRelid(rel))
		return &layout;
	if (!layout_callback_registered)
	{
		CacheRegisterRelcacheCallback(dossier_layout_invalidate, (Datum) 0);
		layout_callback_registered = true;
	}
	for (;;)
	{
		uint64		seen = layout_invalidations;

		layout.valid = false;
		layout.relid = RelationGetRelid(rel);
		read_dossier_layout(rel);
		if (seen == layout_invalidations)
			break;
	}
	layout.valid = true;
	return &layout;
}

/* Index into the deformed arrays of a column. */
static inline int
col(const DossierLayout *l, DossierColumn c)
{
	return l->attnum[c] - 1;
}

/* Replace one column of the row being written. */
static void
set_column(RowEdit *row, const DossierLayout *l, DossierColumn c,
		   Datum value, bool isnull)
{
	int			i = col(l, c);

	row->values[i] = value;
	row->nulls[i] = isnull;
	row->replace[i] = true;
	row->changed = true;
}

/* True when a column differs between the old and the new row. */
static bool
column_changed(const DossierLayout *l, TupleDesc desc, DossierColumn c,
			   Datum *old_values, bool *old_nulls,
			   Datum *new_values, bool *new_nulls)
{
	int			i = col(l, c);
	Form_pg_attribute att = TupleDescAttr(desc, i);

	if (old_nulls[i] != new_nulls[i])
		return true;
	if (new_nulls[i])
		return false;
	return !datumIsEqual(old_values[i], new_values[i], att->attbyval, att->attlen);
}

/*
 * True when a column needs checking: every column of an INSERT, the
 * changed columns of an UPDATE.
 */
static bool
is_new_value(RowEdit *row, const DossierLayout *l, DossierColumn c)
{
	return row->old_values == NULL ||
		column_changed(l, row->desc, c, row->old_values, row->old_nulls,
					   row->values, row->nulls);
}

/*
 * Name-like text: trim, collapse runs of spaces, and compose to NFC so that
 * a name typed in decomposed form is stored like every other.
 */
static char *
normalize_name(const char *s)
{
	StringInfoData buf;
	bool		pending_space = false;
	bool		ascii = true;

	initStringInfo(&buf);
	for (const char *p = s; *p; p++)
	{
		if (*p == ' ')
		{
			pending_space = buf.len > 0;
			continue;
		}
		if (pending_space)
			appendStringInfoChar(&buf, ' ');
		pending_space = false;
		if ((unsigned char) *p >= 0x80)
			ascii = false;
		appendStringInfoChar(&buf, *p);
	}

	if (!ascii && GetDatabaseEncoding() == PG_UTF8)
	{
		int			len = buf.len;
		pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
		pg_wchar   *composed;
		int			n;
		char	   *out;

		pg_mb2wchar_with_len(buf.data, wide, len);
		if (unicode_is_normalized_quickcheck(UNICODE_NFC, wide) == UNICODE_NORM_QC_YES)
			return buf.data;
		composed = unicode_normalize(UNICODE_NFC, wide);
		if (composed == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		for (n = 0; composed[n]; n++)
			;
		out = palloc(n * MAX_MULTIBYTE_CHAR_LEN + 1);
		pg_wchar2mb_with_len(composed, out, n);
		pfree(composed);
		return out;
	}
	return buf.data;
}

/*
 * For an attached application's row: replace control characters by
 * spaces, an empty required text by "-", and cut a text that is too long,
 * noting each as a problem.  True when the value changed.
 */
static bool
attached_text_fixed(RowEdit *row, const DossierLayout *l, const TextRule *rule, const char *s)
{
	const char *name = dossier_column_names[rule->column];
	char	   *fixed = pstrdup(s);
	bool		changed = false;
	const char *p = fixed;
	int			nchars;

	for (unsigned char *c = (unsigned char *) fixed; *c; c++)
		if ((*c < 0x20 && !(rule->kind == TEXT_MULTILINE && (*c == '\t' || *c == '\n' || *c == '\r'))) ||
			*c == 0x7f)
		{
			*c = ' ';
			changed = true;
		}
	if (changed)
		zt_attach_note_problem(name, "control characters replaced by spaces");
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (rule->required && *p == '\0')
	{
		fixed = pstrdup("-");
		changed = true;
		zt_attach_note_problem(name, "empty: recorded as \"-\"");
	}
	nchars = pg_mbstrlen(fixed);
	if (nchars > rule->max_chars)
	{
		fixed[pg_mbcharcliplen(fixed, strlen(fixed), rule->max_chars)] = '\0';
		changed = true;
		zt_attach_note_problem(name, "%d characters, cut to %d", nchars, rule->max_chars);
	}
	if (changed)
		set_column(row, l, rule->column, CStringGetTextDatum(fixed), false);
	return changed;
}

/* Check one free-text column and normalise it in place. */
static void
check_text_column(RowEdit *row, const DossierLayout *l, const TextRule *rule)
{
	int			i = col(l, rule->column);
	const char *name = dossier_column_names[rule->column];
	char	   *s;
	int			nchars;

	if (!is_new_value(row, l, rule->column))
		return;
	if (row->nulls[i])
	{
		if (rule->required)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("%s must not be NULL", name)));
		return;
	}
	s = TextDatumGetCString(row->values[i]);

	/* an attached application's text is kept: fixed, not refused */
	if (zt_attached_write && attached_text_fixed(row, l, rule, s))
		s = TextDatumGetCString(row->values[i]);

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		bool		allowed_control = rule->kind == TEXT_MULTILINE &&
			(*p == '\t' || *p == '\n' || *p == '\r');

		if ((*p < 0x20 && !allowed_control) || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s contains the control character U+%04X at byte %d",
							name, *p, (int) ((const char *) p - s) + 1),
					 rule->kind == TEXT_MULTILINE ?
					 errhint("Only tabs and line breaks are allowed as control characters.") :
					 errhint("This column holds a single line of printable text.")));
	}

	if (rule->kind == TEXT_NAME)
	{
		char	   *normalized = normalize_name(s);

		if (strcmp(normalized, s) != 0)
			set_column(row, l, rule->column, CStringGetTextDatum(normalized), false);
		s = normalized;
	}

	if (rule->required)
	{
		const char *p = s;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be empty", name)));
	}

	nchars = pg_mbstrlen(s);
	if (nchars > rule->max_chars)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", name, nchars),
				 errdetail("%s holds at most %d characters.", name, rule->max_chars)));

	if (rule->column == DC_PAYMENT_URL &&
		strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payment_url \"%.60s\" is not an http(s) address", s),
				 errhint("Store the full link, starting with https://.")));
}

/* Normalise and check code, CCCD/CMND and phone. */
static void
check_identifiers(RowEdit *row, const DossierLayout *l)
{
	int			i;

	i = col(l, DC_CODE);
	if (!is_new_value(row, l, DC_CODE))
	{
		/* code_standard describes the code; it is not set by hand */
		if (is_new_value(row, l, DC_CODE_STANDARD))
			set_column(row, l, DC_CODE_STANDARD, row->old_values[col(l, DC_CODE_STANDARD)], false);
	}
	else if (row->nulls[i])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("code must not be NULL"),
				 errhint("Every dossier needs its số hồ sơ, e.g. 000.00.04.H60-230215-0028.")));
	else
	{
		text	   *t = DatumGetTextPP(row->values[i]);
		size_t		len = VARSIZE_ANY_EXHDR(t);
		char	   *out = palloc(len + 1);
		size_t		outlen;
		bool		standard;

		standard = zt_require_dossier_code("code", VARDATA_ANY(t), len, out, &outlen);
		if (outlen != len || memcmp(out, VARDATA_ANY(t), len) != 0)
			set_column(row, l, DC_CODE, PointerGetDatum(cstring_to_text_with_len(out, (int) outlen)), false);
		set_column(row, l, DC_CODE_STANDARD, BoolGetDatum(standard), false);
	}

	i = col(l, DC_APPLICANT_ID_NUMBER);
	if (!row->nulls[i] && is_new_value(row, l, DC_APPLICANT_ID_NUMBER))
	{
		text	   *t = DatumGetTextPP(row->values[i]);
		size_t		len = VARSIZE_ANY_EXHDR(t);
		char	   *out = palloc(len + 1);
		size_t		outlen;

		zt_require_id_number("applicant_id_number", VARDATA_ANY(t), len, out, &outlen);
		if (outlen != len)
			set_column(row, l, DC_APPLICANT_ID_NUMBER, PointerGetDatum(cstring_to_text_with_len(out, (int) outlen)), false);
	}

	i = col(l, DC_APPLICANT_PHONE);
	if (!row->nulls[i] && is_new_value(row, l, DC_APPLICANT_PHONE))
	{
		text	   *t = DatumGetTextPP(row->values[i]);
		size_t		len = VARSIZE_ANY_EXHDR(t);
		char		out[ZT_PHONE_LEN + 1];
		size_t		outlen;

		zt_require_phone("applicant_phone", VARDATA_ANY(t), len, out, &outlen);
		if (outlen != len || memcmp(out, VARDATA_ANY(t), len) != 0)
			set_column(row, l, DC_APPLICANT_PHONE, PointerGetDatum(cstring_to_text_with_len(out, (int) outlen)), false);
	}
}

/* Apply the rules of entering a new stage to the row being written. */
static void
apply_stage_change(RowEdit *row, const DossierLayout *l, TupleDesc desc,
				   Datum *old_values, bool *old_nulls, const char *code)
{
	bool		is_insert = (old_values == NULL);
	Oid			new_stage = DatumGetObjectId(row->values[col(l, DC_STAGE)]);
	const ZtStageRule *to = zt_stage_rule(new_stage);
	const ZtStageRule *from = NULL;
	int			note_i = col(l, DC_STAGE_NOTE);
	int			actor_i = col(l, DC_STAGE_ACTOR);
	int			due_i = col(l, DC_DUE_AT);
	bool		note_given;
	TimestampTz now = GetCurrentStatementStartTimestamp();

	if (is_insert)
	{
		if (!to->is_initial && !zt_bulk_import && zt_attached_write)
			zt_attach_note_problem("transition", "a new dossier at stage %s, which the model does not start at: recorded as the application says",
								   zt_stage_name(new_stage));
		else if (!to->is_initial && !zt_bulk_import)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("a new dossier cannot start at stage \"%s\"", zt_stage_name(new_stage)),
					 errdetail("Dossier %s: new dossiers start at a stage marked is_initial in zalo_tthc.stage_info (submitted or received).", code),
					 errhint("To import historical dossiers at any stage, SET zalo_tthc.bulk_import = on first.")));
	}
	else
	{
		Oid			old_stage = DatumGetObjectId(old_values[col(l, DC_STAGE)]);

		from = zt_stage_rule(old_stage);
		if (!zt_transition_allowed(from, to) && zt_attached_write)
			zt_attach_note_problem("transition", "%s to %s is not in stage_transition: recorded as the application says",
								   zt_stage_name(old_stage), zt_stage_name(new_stage));
		else if (!zt_transition_allowed(from, to))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("dossier %s cannot move from stage \"%s\" to \"%s\"",
							code, zt_stage_name(old_stage), zt_stage_name(new_stage)),
					 errdetail("%s", zt_describe_allowed_targets(from)),
					 errhint("Allowed stage transitions are rows of zalo_tthc.stage_transition; a DBA may add one.")));
	}

	/* the note and actor describe this change only */
	note_given = !row->nulls[note_i] &&
		(is_insert || zt_attached_write ||
		 column_changed(l, desc, DC_STAGE_NOTE, old_values, old_nulls, row->values, row->nulls));
	if (!note_given && !row->nulls[note_i])
		set_column(row, l, DC_STAGE_NOTE, (Datum) 0, true);
	/* (an attached application names the actor of each change itself) */
	if (row->nulls[actor_i] ||
		(!is_insert && !zt_attached_write &&
		 !column_changed(l, desc, DC_STAGE_ACTOR, old_values, old_nulls, row->values, row->nulls)))
		set_column(row, l, DC_STAGE_ACTOR,
				   CStringGetTextDatum(GetUserNameFromId(GetUserId(), false)), false);

	if (to->requires_note && !note_given && !zt_bulk_import && zt_attached_write)
		zt_attach_note_problem("stage_note", "stage %s has no note: the citizen is not told the reason",
							   zt_stage_name(new_stage));
	else if (to->requires_note && !note_given && !zt_bulk_import)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("dossier %s needs a stage_note to enter stage \"%s\"", code, zt_stage_name(new_stage)),
				 errdetail("The citizen is told the reason or the requested content."),
				 errhint("Set stage_note in the same UPDATE as stage.")));

	if (to->requires_later_due && !zt_bulk_import)
	{
		bool		later = !row->nulls[due_i] &&
			(is_insert || old_nulls[due_i] ||
			 DatumGetTimestampTz(row->values[due_i]) > DatumGetTimestampTz(old_values[due_i]));

		if (!later && zt_attached_write)
			zt_attach_note_problem("due_at", "stage %s without a later due date", zt_stage_name(new_stage));
		else if (!later)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("dossier %s needs a later due_at to enter stage \"%s\"", code, zt_stage_name(new_stage)),
					 errdetail("An apology for a late result gives the citizen a new date (Mẫu 04)."),
					 errhint("Set due_at to the new date in the same UPDATE as stage.")));
	}

	if (to->status_code != 0)
		set_column(row, l, DC_STATUS_CODE, Int16GetDatum(to->status_code), false);
	else if (!is_insert &&
			 column_changed(l, desc, DC_STATUS_CODE, old_values, old_nulls, row->values, row->nulls))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("status_code of dossier %s follows its stage", code),
				 errdetail("Stage \"%s\" keeps the current status code.", zt_stage_name(new_stage)),
				 errhint("Change stage, not status_code.")));

	set_column(row, l, DC_STAGE_SEQ,
			   Int32GetDatum(is_insert ? 1 : DatumGetInt32(old_values[col(l, DC_STAGE_SEQ)]) + 1),
			   false);

	if (NameStr(to->timestamp_column)[0] != '\0')
	{
		int			attno = SPI_fnumber(desc, NameStr(to->timestamp_column));

		if (attno > 0 && TupleDescAttr(desc, attno - 1)->atttypid != TIMESTAMPTZOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of table \"%s\" has type %s",
							NameStr(to->timestamp_column), "dossier",
							format_type_be(TupleDescAttr(desc, attno - 1)->atttypid)),
					 errdetail("Stage \"%s\" stamps it with a timestamp with time zone.",
							   zt_stage_name(new_stage))));
		if (attno > 0 && row->nulls[attno - 1])
		{
			row->values[attno - 1] = TimestampTzGetDatum(now);
			row->nulls[attno - 1] = false;
			row->replace[attno - 1] = true;
			row->changed = true;
		}
	}
}

/* Refuse changes to derived columns when the stage stays the same. */
static void
keep_derived_columns(RowEdit *row, const DossierLayout *l, TupleDesc desc,
					 Datum *old_values, bool *old_nulls, const char *code)
{
	if (column_changed(l, desc, DC_STATUS_CODE, old_values, old_nulls, row->values, row->nulls))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("status_code of dossier %s follows its stage", code),
				 errhint("Change stage, not status_code; the status code is taken from zalo_tthc.stage_info.")));
	if (column_changed(l, desc, DC_STAGE_SEQ, old_values, old_nulls, row->values, row->nulls))
		set_column(row, l, DC_STAGE_SEQ, old_values[col(l, DC_STAGE_SEQ)], false);
}

/* Check dates that cannot be right whatever the stage. */
static void
check_dates(RowEdit *row, const DossierLayout *l, const char *code)
{
	int			sub_i = col(l, DC_SUBMITTED_AT);
	int			due_i = col(l, DC_DUE_AT);
	TimestampTz now = GetCurrentStatementStartTimestamp();

	if (!is_new_value(row, l, DC_SUBMITTED_AT) && !is_new_value(row, l, DC_DUE_AT))
		return;
	if (zt_attached_write)
	{
		if (!row->nulls[sub_i] && !row->nulls[due_i] &&
			DatumGetTimestampTz(row->values[due_i]) < DatumGetTimestampTz(row->values[sub_i]))
			zt_attach_note_problem("due_at", "before submitted_at: recorded as the application says");
		return;
	}
	if (!row->nulls[sub_i] && is_new_value(row, l, DC_SUBMITTED_AT) &&
		DatumGetTimestampTz(row->values[sub_i]) > now + USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("submitted_at of dossier %s is in the future", code),
				 errdetail("submitted_at is %s.",
						   pstrdup(timestamptz_to_str(DatumGetTimestampTz(row->values[sub_i]))))));
	if (!row->nulls[sub_i] && !row->nulls[due_i] &&
		DatumGetTimestampTz(row->values[due_i]) < DatumGetTimestampTz(row->values[sub_i]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("due_at of dossier %s is before its submitted_at", code),
				 errdetail("due_at is %s, submitted_at is %s.",
						   pstrdup(timestamptz_to_str(DatumGetTimestampTz(row->values[due_i]))),
						   pstrdup(timestamptz_to_str(DatumGetTimestampTz(row->values[sub_i]))))));
}

/*
 * Raise unless this is a row-level trigger of the expected timing on
 * zalo_tthc.dossier itself: a copy of the table with the triggers attached
 * would otherwise record events and queue notifications for any dossier
 * id, past the table's privileges and row security.
 */
static TriggerData *
trigger_data(FunctionCallInfo fcinfo, const char *fname, bool before)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		(before ? !TRIGGER_FIRED_BEFORE(trigdata->tg_event) : !TRIGGER_FIRED_AFTER(trigdata->tg_event)) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a %s INSERT or UPDATE row trigger",
						fname, before ? "BEFORE" : "AFTER")));
	(void) zt_require_own_table(trigdata->tg_relation, fname, ZT_TABLE_BIT(ZT_DOSSIER));
	return trigdata;
}

PG_FUNCTION_INFO_V1(zt_dossier_before_write);

/* BEFORE INSERT OR UPDATE row trigger on zalo_tthc.dossier. */
Datum
zt_dossier_before_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_data(fcinfo, "zalo_tthc.dossier_before_write()", true);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	const DossierLayout *l = dossier_layout(rel);
	bool		is_insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	HeapTuple	newtup = is_insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;
	Datum	   *old_values = NULL;
	bool	   *old_nulls = NULL;
	RowEdit		row;
	char	   *code;
	bool		stage_changed;

	row.desc = desc;
	row.values = palloc(desc->natts * sizeof(Datum));
	row.nulls = palloc(desc->natts * sizeof(bool));
	row.replace = palloc0(desc->natts * sizeof(bool));
	row.changed = false;
	heap_deform_tuple(newtup, desc, row.values, row.nulls);

	if (!is_insert)
	{
		old_values = palloc(desc->natts * sizeof(Datum));
		old_nulls = palloc(desc->natts * sizeof(bool));
		heap_deform_tuple(trigdata->tg_trigtuple, desc, old_values, old_nulls);
	}
	row.old_values = old_values;
	row.old_nulls = old_nulls;

	check_identifiers(&row, l);
	code = TextDatumGetCString(row.values[col(l, DC_CODE)]);
	for (size_t i = 0; i < lengthof(text_rules); i++)
		check_text_column(&row, l, &text_rules[i]);
	check_dates(&row, l, code);

	if (row.nulls[col(l, DC_STAGE)])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("stage of dossier %s must not be NULL", code)));

	stage_changed = is_insert ||
		column_changed(l, desc, DC_STAGE, old_values, old_nulls, row.values, row.nulls);
	if (stage_changed)
		apply_stage_change(&row, l, desc, old_values, old_nulls, code);
	else
		keep_derived_columns(&row, l, desc, old_values, old_nulls, code);

	/* the first due date is kept when an apology moves due_at */
	if (row.nulls[col(l, DC_ORIGINAL_DUE_AT)])
	{
		int			due_i = col(l, DC_DUE_AT);

		if (!is_insert && !old_nulls[due_i])
			set_column(&row, l, DC_ORIGINAL_DUE_AT, old_values[due_i], false);
		else if (!row.nulls[due_i])
			set_column(&row, l, DC_ORIGINAL_DUE_AT, row.values[due_i], false);
	}

	if (!is_insert)
		set_column(&row, l, DC_UPDATED_AT,
				   TimestampTzGetDatum(GetCurrentStatementStartTimestamp()), false);

	if (!row.changed)
		return PointerGetDatum(newtup);
	return PointerGetDatum(heap_modify_tuple(newtup, desc, row.values, row.nulls, row.replace));
}

/* A column of a deformed row, for a ZtStageChange. */
static void
take_column(Datum *values, bool *nulls, int i, Datum *value, bool *isnull)
{
	*value = values[i];
	*isnull = nulls[i];
}

/*
 * True when more than one trigger of the table calls this function, so that
 * one change reaches it more than once.
 */
static bool
enqueue_attached_twice(Relation rel, Oid fn_oid)
{
	int			n = 0;

	if (rel->trigdesc == NULL)
		return false;
	for (int i = 0; i < rel->trigdesc->numtriggers; i++)
		if (rel->trigdesc->triggers[i].tgfoid == fn_oid)
			n++;
	return n > 1;
}

/*
 * Keep the receipt slip of a dossier that has just entered the received
 * stage: zalo_tthc.take_receipt_snapshot(dossier), which reads the event
 * row written just before.  This is not a trigger of its own because a
 * row trigger's WHEN clause is parsed and prepared again by every
 * statement that changes a dossier, which cost more than the check here.
 */
static void
take_receipt_snapshot(Relation rel, HeapTuple row)
{
	List	   *name = list_make2(makeString(get_namespace_name(RelationGetNamespace(rel))),
								  makeString("take_receipt_snapshot"));
	Oid			argtype = rel->rd_rel->reltype;
	Oid			fn = LookupFuncName(name, 1, &argtype, false);
	LOCAL_FCINFO(fcinfo, 1);
	FmgrInfo	flinfo;

	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = heap_copy_tuple_as_datum(row, RelationGetDescr(rel));
	fcinfo->args[0].isnull = false;
	(void) FunctionCallInvoke(fcinfo);
}

PG_FUNCTION_INFO_V1(zt_dossier_enqueue);

/* AFTER INSERT OR UPDATE OF stage row trigger on zalo_tthc.dossier. */
Datum
zt_dossier_enqueue(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = trigger_data(fcinfo, "zalo_tthc.dossier_enqueue()", false);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	const DossierLayout *l = dossier_layout(rel);
	bool		is_insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	HeapTuple	newtup = is_insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;
	Datum	   *values = palloc(desc->natts * sizeof(Datum));
	bool	   *nulls = palloc(desc->natts * sizeof(bool));
	Datum	   *old_values = NULL;
	bool	   *old_nulls = NULL;
	const ZtStageRule *rule;
	ZtStageChange change;
	Datum		value;
	bool		isnull;

	heap_deform_tuple(newtup, desc, values, nulls);
	if (!is_insert)
	{
		old_values = palloc(desc->natts * sizeof(Datum));
		old_nulls = palloc(desc->natts * sizeof(bool));
		heap_deform_tuple(trigdata->tg_trigtuple, desc, old_values, old_nulls);
		if (!column_changed(l, desc, DC_STAGE, old_values, old_nulls, values, nulls))
			return PointerGetDatum(NULL);
	}

	memset(&change, 0, sizeof(change));
	change.dossier_id = DatumGetInt64(values[col(l, DC_ID)]);
	change.seq = DatumGetInt32(values[col(l, DC_STAGE_SEQ)]);
	change.stage_after = DatumGetObjectId(values[col(l, DC_STAGE)]);
	change.status_after = DatumGetInt16(values[col(l, DC_STATUS_CODE)]);
	if (is_insert)
	{
		change.stage_before = InvalidOid;
		change.status_before_null = change.due_before_null = true;
	}
	else
	{
		change.stage_before = DatumGetObjectId(old_values[col(l, DC_STAGE)]);
		take_column(old_values, old_nulls, col(l, DC_STATUS_CODE), &value, &isnull);
		change.status_before = isnull ? 0 : DatumGetInt16(value);
		change.status_before_null = isnull;
		take_column(old_values, old_nulls, col(l, DC_DUE_AT), &change.due_before, &change.due_before_null);
	}
	take_column(values, nulls, col(l, DC_STAGE_ACTOR), &change.actor, &change.actor_null);
	take_column(values, nulls, col(l, DC_STAGE_NOTE), &change.note, &change.note_null);
	take_column(values, nulls, col(l, DC_DUE_AT), &change.due_after, &change.due_after_null);
	take_column(values, nulls, col(l, DC_APPLICANT_PHONE), &change.phone, &change.phone_null);
	take_column(values, nulls, col(l, DC_APPLICANT_ID_NUMBER), &change.id_number, &change.id_number_null);

	rule = zt_stage_rule(change.stage_after);
	if (!rule->notifies)
		change.notify = "not_notifying_stage";
	else if (zt_bulk_import)
		change.notify = "skipped_bulk_import";
	else if (!DatumGetBool(values[col(l, DC_NOTIFY_ZALO)]))
		change.notify = "skipped_opt_out";
	else
		change.notify = "enqueued";
	change.enqueue = strcmp(change.notify, "enqueued") == 0;
	change.may_repeat = enqueue_attached_twice(rel, fcinfo->flinfo->fn_oid);

	zt_record_stage_change(&change);
	if (rule->takes_receipt)
		take_receipt_snapshot(rel, newtup);

	return PointerGetDatum(NULL);
}
