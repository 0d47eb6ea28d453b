/*
 * sql_validate.c
 *		The server side of validate.c: an error with its SQLSTATE, message,
 *		detail and hint for every rule a value can break, and the SQL
 *		functions normalize_dossier_code, is_standard_dossier_code,
 *		normalize_phone and normalize_id_number.
 *
 * Messages never repeat a full ID number or phone number: they are
 * personal data and error messages reach the server log.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "sql_validate.h"
#include "validate.h"

/*
 * A copy of value with its middle characters hidden: "091****678".  Works
 * on characters, so that a multibyte character is never cut.
 */
static char *
mask_middle(const char *value, size_t len)
{
	StringInfoData buf;
	int			nchars = pg_mbstrlen_with_len(value, (int) len);
	int			i = 0;

	initStringInfo(&buf);
	for (const char *p = value; p < value + len; i++)
	{
		int			w = pg_mblen(p);

		if (i < 3 || i >= nchars - 3 || nchars <= 6)
			appendBinaryStringInfo(&buf, p, w);
		else
			appendStringInfoChar(&buf, '*');
		p += w;
	}
	return buf.data;
}

/* A short, printable, valid-UTF-8 copy of value for a message. */
static char *
quote_for_message(const char *value, size_t len)
{
	size_t		n = Min(len, (size_t) 60);

	n = pg_mbcliplen(value, (int) n, (int) n);
	return psprintf("%.*s%s", (int) n, value, n < len ? "…" : "");
}

/*
 * Normalise a dossier code into out (len + 1 bytes) or raise the error of
 * the rule it breaks.  Returns true for a standard code.
 */
bool
zt_require_dossier_code(const char *column, const char *value, size_t len,
						char *out, size_t *outlen)
{
	ZtCodeResult r = zt_check_dossier_code(value, len, out, outlen);
	const char *shown = quote_for_message(value, len);

	switch (r)
	{
		case ZT_CODE_STANDARD:
			return true;
		case ZT_CODE_NONSTANDARD:
			return false;
		case ZT_CODE_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be empty", column),
					 errhint("A dossier code looks like 000.00.04.H60-230215-0028.")));
			break;
		case ZT_CODE_TOO_LONG:
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("%s \"%s\" is too long", column, shown),
					 errdetail("A dossier code has at most %d characters; this one has %zu.",
							   ZT_CODE_MAX_LEN, *outlen)));
			break;
		case ZT_CODE_TOO_SHORT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is too short", column, shown),
					 errdetail("A dossier code has at least 6 characters."),
					 errhint("A dossier code looks like 000.00.04.H60-230215-0028.")));
			break;
		case ZT_CODE_BAD_CHARACTER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is not a dossier code", column, shown),
					 errdetail("A dossier code starts with a letter or digit and contains only letters, digits and the characters . / _ -."),
					 errhint("A dossier code looks like 000.00.04.H60-230215-0028.")));
			break;
		case ZT_CODE_BAD_DATE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
					 errmsg("%s \"%s\" contains an impossible date \"%.6s\"", column, out, out + 14),
					 errdetail("The middle part of a standard dossier code is the receipt date as YYMMDD."),
					 errhint("Check the day and month of the code.")));
			break;
	}
	return false;
}

/* Normalise a CCCD/CMND number into out (len + 1 bytes) or raise. */
void
zt_require_id_number(const char *column, const char *value, size_t len,
					 char *out, size_t *outlen)
{
	ZtIdResult	r = zt_check_id_number(value, len, out, outlen);

	switch (r)
	{
		case ZT_ID_CCCD:
		case ZT_ID_CMND:
			return;
		case ZT_ID_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be empty", column),
					 errhint("Use NULL when the CCCD/CMND number is not known.")));
			break;
		case ZT_ID_NOT_DIGITS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is not a CCCD/CMND number", column),
					 errdetail("It contains a character other than a digit."),
					 errhint("A CCCD number has 12 digits and a CMND number 9 digits.")));
			break;
		case ZT_ID_BAD_LENGTH:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is not a CCCD/CMND number", column),
					 errdetail("It has %zu digits.", *outlen),
					 errhint("A CCCD number has 12 digits and a CMND number 9 digits.")));
			break;
	}
}

/* Normalise a mobile number into out (ZT_PHONE_LEN + 1 bytes) or raise. */
void
zt_require_phone(const char *column, const char *value, size_t len,
				 char *out, size_t *outlen)
{
	ZtPhoneResult r = zt_check_phone(value, len, out, outlen);
	const char *shown = mask_middle(value, pg_mbcliplen(value, (int) len, 40));

	switch (r)
	{
		case ZT_PHONE_MOBILE:
			return;
		case ZT_PHONE_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be empty", column),
					 errhint("Use NULL when the phone number is not known.")));
			break;
		case ZT_PHONE_BAD_CHARACTER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is not a phone number", column, shown),
					 errdetail("Only digits, a leading +, spaces, dots, hyphens and parentheses are allowed."),
					 errhint("Write a mobile number as 0912345678 or +84 912 345 678.")));
			break;
		case ZT_PHONE_LANDLINE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is a landline number", column, shown),
					 errdetail("Zalo and ZNS notifications reach mobile numbers only."),
					 errhint("Store the applicant's mobile number, or NULL.")));
			break;
		case ZT_PHONE_OLD_11_DIGIT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is a retired 11-digit mobile number", column, shown),
					 errdetail("Vietnamese 11-digit mobile numbers were converted to 10 digits in 2018."),
					 errhint("Use the 10-digit number, e.g. 0162… became 032….")));
			break;
		case ZT_PHONE_BAD_LENGTH:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" has the wrong number of digits", column, shown),
					 errdetail("A Vietnamese mobile number has 10 digits with the leading 0 (0912345678)."),
					 errhint("Write a mobile number as 0912345678 or +84 912 345 678.")));
			break;
		case ZT_PHONE_NOT_MOBILE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is not a Vietnamese mobile number", column, shown),
					 errdetail("A Vietnamese mobile number starts with 03, 05, 07, 08 or 09 (or +84 3, 5, 7, 8, 9)."),
					 errhint("Write a mobile number as 0912345678 or +84 912 345 678.")));
			break;
	}
}

PG_FUNCTION_INFO_V1(zt_normalize_dossier_code);

/* SQL: normalize_dossier_code(text) returns text */
Datum
zt_normalize_dossier_code(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(in);
	char	   *out = palloc(len + 1);
	size_t		outlen;

	zt_require_dossier_code("code", VARDATA_ANY(in), len, out, &outlen);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, (int) outlen));
}

PG_FUNCTION_INFO_V1(zt_is_standard_dossier_code);

/* SQL: is_standard_dossier_code(text) returns boolean; never raises */
Datum
zt_is_standard_dossier_code(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(in);
	char	   *out = palloc(len + 1);
	size_t		outlen;

	PG_RETURN_BOOL(zt_check_dossier_code(VARDATA_ANY(in), len, out, &outlen) == ZT_CODE_STANDARD);
}

PG_FUNCTION_INFO_V1(zt_normalize_phone);

/* SQL: normalize_phone(text) returns text */
Datum
zt_normalize_phone(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	char		out[ZT_PHONE_LEN + 1];
	size_t		outlen;

	zt_require_phone("phone", VARDATA_ANY(in), VARSIZE_ANY_EXHDR(in), out, &outlen);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, (int) outlen));
}

PG_FUNCTION_INFO_V1(zt_normalize_id_number);

/* SQL: normalize_id_number(text) returns text */
Datum
zt_normalize_id_number(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(in);
	char	   *out = palloc(len + 1);
	size_t		outlen;

	zt_require_id_number("id_number", VARDATA_ANY(in), len, out, &outlen);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, (int) outlen));
}
