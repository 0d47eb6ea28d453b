/*
 * lookup.c
 *		Reading what a citizen typed into the "Tra cứu hồ sơ" box.
 *
 * lookup_classify() tells a dossier code, a CCCD/CMND number and a name
 * apart (a name may end with a birth year or the last four digits of the
 * CCCD/CMND or phone, its second factor), with the same code and number
 * rules as the dossier trigger (validate.c).  lookup_second_factor() reads
 * the second factor given on its own.  vn_lower() folds the case of
 * Vietnamese letters for the exact-spelling rank.  name_terms() and
 * name_terms_query() give the terms of the name index and the queries on
 * them.  Searching, masking and auditing are done in SQL
 * (sql/lookup.sql); nothing here reads a table.
 *
 * Error messages never repeat the query: it may be an ID number or a name,
 * and messages reach the server log.  Only a dossier code is quoted.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "sql_validate.h"
#include "validate.h"

/* Longest query accepted, in characters (a name holds at most 200). */
#define ZT_LOOKUP_MAX_CHARS 256

/* Length of the digits of a second factor: birth year or last digits. */
#define ZT_FACTOR_DIGITS 4

static bool
is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A letter, as far as telling names apart goes: ASCII or any non-ASCII. */
static bool
is_letter_byte(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* True when s holds a letter. */
static bool
has_letter(const char *s)
{
	for (; *s; s++)
		if (is_letter_byte((unsigned char) *s))
			return true;
	return false;
}

/*
 * Refuse text longer than ZT_LOOKUP_MAX_CHARS characters or holding a
 * control character other than a tab or a line break (C0, DEL, C1).
 */
static void
check_query_text(const char *what, const char *s, int len)
{
	int			nchars = pg_mbstrlen_with_len(s, len);

	if (nchars > ZT_LOOKUP_MAX_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is too long (%d characters)", what, nchars),
				 errdetail("A lookup takes at most %d characters.", ZT_LOOKUP_MAX_CHARS)));

	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		int			code = -1;

		if ((c < 0x20 && !is_ascii_space((char) c)) || c == 0x7f)
			code = c;
		else if (c == 0xc2 && i + 1 < len &&
				 (unsigned char) s[i + 1] >= 0x80 && (unsigned char) s[i + 1] <= 0x9f)
			code = (unsigned char) s[i + 1];
		if (code >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s contains the control character U+%04X", what, code),
					 errhint("Type a dossier code, a CCCD/CMND number or a name as printable text.")));
	}
}

/*
 * A copy of s with leading and trailing white space removed and every run
 * of inner white space made one space.
 */
static char *
collapse_spaces(const char *s, int len, int *outlen)
{
	char	   *out = palloc(len + 1);
	int			n = 0;
	bool		pending_space = false;

	for (int i = 0; i < len; i++)
	{
		if (is_ascii_space(s[i]))
		{
			pending_space = n > 0;
			continue;
		}
		if (pending_space)
			out[n++] = ' ';
		pending_space = false;
		out[n++] = s[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Start of s after a leading "TTHC " keyword (any case), as typed in SMS. */
static const char *
skip_tthc_keyword(const char *s)
{
	if (pg_strncasecmp(s, "TTHC ", 5) == 0)
		return s + 5;
	return s;
}

/*
 * Whether a query that passes as a non-standard code was typed as one: a
 * single word (after the TTHC keyword), or words joined by the separators
 * of codes.  "nguyen van an 1985" would pass the code rule once its
 * spaces are dropped, but is a name with a birth year.
 */
static bool
typed_as_code(const char *s)
{
	s = skip_tthc_keyword(s);
	return strpbrk(s, "./_-") != NULL || strchr(s, ' ') == NULL;
}

/* True when the n characters at s are ASCII digits. */
static bool
all_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!is_ascii_digit(s[i]))
			return false;
	return true;
}

/* The function's result record of n text fields; a NULL field is NULL. */
static Datum
text_record(FunctionCallInfo fcinfo, int n, const char *const *fields)
{
	TupleDesc	desc;
	Datum	   *values = palloc(n * sizeof(Datum));
	bool	   *nulls = palloc(n * sizeof(bool));

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE || desc->natts != n)
		elog(ERROR, "function returning a record of %d text fields called in a wrong context", n);
	for (int i = 0; i < n; i++)
	{
		nulls[i] = fields[i] == NULL;
		values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(fields[i]);
	}
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

/* The (kind, key, second_factor) record of lookup_classify. */
static Datum
classification(FunctionCallInfo fcinfo, const char *kind, const char *key,
			   const char *second_factor)
{
	const char *fields[3] = {kind, key, second_factor};

	return text_record(fcinfo, 3, fields);
}

/*
 * A dossier code of the query, normalised, or NULL when the query is not
 * one.  A standard code with an impossible date raises (22007), since
 * nothing else is written that way.
 */
static char *
query_as_code(const char *q, int len)
{
	char	   *out = palloc(len + 1);
	size_t		outlen;
	ZtCodeResult r = zt_check_dossier_code(q, len, out, &outlen);

	if (r == ZT_CODE_STANDARD)
		return out;
	if (r == ZT_CODE_BAD_DATE)
		zt_require_dossier_code("dossier code", q, len, out, &outlen);
	if (r == ZT_CODE_NONSTANDARD && typed_as_code(q))
		return out;
	return NULL;
}

PG_FUNCTION_INFO_V1(zt_lookup_classify);

/*
 * SQL: lookup_classify(query text, OUT kind text, OUT key text,
 * OUT second_factor text).  kind is 'code' (key: the normalised code),
 * 'id_number' (key: the digits) or 'name' (key: the name with white space
 * collapsed; second_factor: a trailing 4-digit word, if any).  Raises for
 * empty, over-long or unprintable queries and for text that is none of
 * the three.
 */
Datum
zt_lookup_classify(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len;
	char	   *q;
	bool		digits_only = true;
	bool		has_digit = false;
	bool		ascii = true;
	char	   *code;

	check_query_text("lookup query", VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	q = collapse_spaces(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lookup query is empty"),
				 errhint("Type a dossier code, a 9- or 12-digit CCCD/CMND number or a name.")));

	for (const char *p = q; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (is_ascii_digit(*p))
			has_digit = true;
		else if (*p != ' ')
			digits_only = false;
		if (c >= 0x80)
			ascii = false;
	}

	if (digits_only)
	{
		char	   *out = palloc(len + 1);
		size_t		outlen;

		zt_require_id_number("lookup query", q, len, out, &outlen);
		return classification(fcinfo, "id_number", out, NULL);
	}

	if (ascii && has_digit && (code = query_as_code(q, len)) != NULL)
		return classification(fcinfo, "code", code, NULL);

	if (!has_letter(q))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lookup query is not a dossier code, a CCCD/CMND number or a name"),
				 errhint("Type a dossier code such as 000.00.04.H60-230215-0028, a 9- or 12-digit CCCD/CMND number or a name.")));

	/* "Nguyễn Văn An 1985": a name with its second factor */
	if (len > ZT_FACTOR_DIGITS + 1 && q[len - ZT_FACTOR_DIGITS - 1] == ' ')
	{
		const char *tail = q + len - ZT_FACTOR_DIGITS;

		if (all_digits(tail, ZT_FACTOR_DIGITS))
		{
			char	   *name = pnstrdup(q, len - ZT_FACTOR_DIGITS - 1);

			if (has_letter(name))
				return classification(fcinfo, "name", name, tail);
		}
	}
	return classification(fcinfo, "name", q, NULL);
}

PG_FUNCTION_INFO_V1(zt_lookup_clean_name);

/*
 * SQL: lookup_clean_name(name text) returns text.  The name of a name
 * search with white space collapsed; raises when it is empty, over-long,
 * unprintable or holds no letter.
 */
Datum
zt_lookup_clean_name(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len;
	char	   *name;

	check_query_text("name", VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	name = collapse_spaces(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);
	if (!has_letter(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 len == 0 ? errmsg("name is empty") : errmsg("name contains no letter"),
				 errhint("Type the applicant's name, e.g. Nguyễn Văn An; accents are optional.")));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(name, len));
}

PG_FUNCTION_INFO_V1(zt_lookup_second_factor);

/*
 * SQL: lookup_second_factor(factor text, OUT kind text, OUT value text).
 * kind is 'digits' (a birth year or the last 4 digits of the CCCD/CMND or
 * phone: they are compared with all three) or 'code' (value: the
 * normalised dossier code).  Raises for anything else.
 */
Datum
zt_lookup_second_factor(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len;
	char	   *f;
	char	   *code;
	const char *fields[2] = {NULL, NULL};

	check_query_text("second factor", VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	f = collapse_spaces(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);
	if (len == ZT_FACTOR_DIGITS && all_digits(f, ZT_FACTOR_DIGITS))
	{
		fields[0] = "digits";
		fields[1] = f;
	}
	else if (len > 0 && (code = query_as_code(f, len)) != NULL)
	{
		fields[0] = "code";
		fields[1] = code;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("second factor is not a dossier code, a birth year or 4 digits"),
				 errdetail("A name search is confirmed by the dossier code, the applicant's birth year, or the last 4 digits of the CCCD/CMND or phone number."),
				 errhint("Pass NULL to search by name alone; the procedure is then not shown.")));

	return text_record(fcinfo, 2, fields);
}

/*
 * The lower-case form of a non-ASCII Latin letter, for every letter
 * Vietnamese uses (Latin-1, Latin Extended-A and Extended Additional, Ơ
 * and Ư); other characters are returned unchanged.  Upper and lower case
 * of each pair have UTF-8 encodings of the same length.
 */
static pg_wchar
vn_fold_case(pg_wchar c)
{
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 0x20;
	/* pairs with the capital at the even code point */
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177) ||
		(c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
		return c | 1;
	if (c == 0x1A0 || c == 0x1AF)	/* Ơ, Ư */
		return c + 1;
	return c;
}

PG_FUNCTION_INFO_V1(zt_vn_lower);

/*
 * SQL: vn_lower(text) returns text.  Lower case that folds Vietnamese
 * capitals whatever the collation (lower() folds only ASCII under "C"),
 * and fast enough to rank thousands of names.
 */
Datum
zt_vn_lower(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const unsigned char *in = (const unsigned char *) VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	text	   *result = (text *) palloc(len + VARHDRSZ);
	unsigned char *out = (unsigned char *) VARDATA(result);
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;

	SET_VARSIZE(result, len + VARHDRSZ);
	for (int i = 0; i < len;)
	{
		int			w = utf8 ? pg_utf_mblen(in + i) : 1;

		if (w == 1 || i + w > len)
		{
			out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] + ('a' - 'A') : in[i];
			i++;
			continue;
		}
		memcpy(out + i, in + i, w);
		if (w <= 3)
		{
			pg_wchar	c = utf8_to_unicode(in + i);
			pg_wchar	folded = vn_fold_case(c);

			if (folded != c)
				unicode_to_utf8(folded, out + i);
		}
		i += w;
	}
	PG_RETURN_TEXT_P(result);
}

/* The words of a folded name: runs of characters between spaces. */
typedef struct NameWords
{
	int			n;
	const char **start;
	int		   *len;
} NameWords;

/* Split a folded name (or query) into its words, pointing into s. */
static void
split_words(const char *s, int len, NameWords *w)
{
	w->n = 0;
	w->start = palloc((len / 2 + 1) * sizeof(char *));
	w->len = palloc((len / 2 + 1) * sizeof(int));
	for (int i = 0; i < len;)
	{
		int			j = i;

		while (j < len && s[j] != ' ')
			j++;
		if (j > i)
		{
			w->start[w->n] = s + i;
			w->len[w->n] = j - i;
			w->n++;
		}
		i = j + 1;
	}
}

/*
 * Terms of a name, as lexemes: each word; each two neighbouring words
 * ("van an"); and the first word with the last ("nguyen .. an", for names
 * of three words or more).  A word never holds a space, so the three kinds
 * cannot be mistaken for each other.
 */
static void
append_term(StringInfo buf, const NameWords *w, int a, int b, bool first_last)
{
	resetStringInfo(buf);
	appendBinaryStringInfo(buf, w->start[a], w->len[a]);
	if (b >= 0)
	{
		appendStringInfoString(buf, first_last ? " .. " : " ");
		appendBinaryStringInfo(buf, w->start[b], w->len[b]);
	}
}

PG_FUNCTION_INFO_V1(zt_name_terms);

/*
 * SQL: name_terms(folded_name text) returns tsvector.  The terms of a name
 * already folded by lower(f_unaccent()), for the GIN index of name search:
 * a query of a family and a given name ("nguyen an") or of neighbouring
 * words ("thanh man") then reads one short posting list instead of
 * intersecting two long ones.
 */
Datum
zt_name_terms(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	NameWords	w;
	Datum	   *lexemes;
	int			n = 0;
	StringInfoData buf;

	split_words(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &w);
	lexemes = palloc((2 * w.n + 1) * sizeof(Datum));
	initStringInfo(&buf);
	for (int i = 0; i < w.n; i++)
	{
		append_term(&buf, &w, i, -1, false);
		lexemes[n++] = PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
		if (i + 1 < w.n)
		{
			append_term(&buf, &w, i, i + 1, false);
			lexemes[n++] = PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
		}
	}
	if (w.n > 2)
	{
		append_term(&buf, &w, 0, w.n - 1, true);
		lexemes[n++] = PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
	}
	PG_RETURN_DATUM(DirectFunctionCall1(array_to_tsvector,
										PointerGetDatum(construct_array(lexemes, n, TEXTOID, -1,
																		false, TYPALIGN_INT))));
}

/* Append a term to a tsquery being written, quoted. */
static void
append_query_term(StringInfo q, const NameWords *w, int a, int b, bool first_last)
{
	StringInfoData term;

	initStringInfo(&term);
	append_term(&term, w, a, b, first_last);
	appendStringInfoChar(q, '\'');
	for (int i = 0; i < term.len; i++)
	{
		if (term.data[i] == '\'' || term.data[i] == '\\')
			appendStringInfoChar(q, '\\');
		appendStringInfoChar(q, term.data[i]);
	}
	appendStringInfoChar(q, '\'');
	pfree(term.data);
}

PG_FUNCTION_INFO_V1(zt_name_terms_query);

/*
 * SQL: name_terms_query(folded_query text, pairs boolean) returns tsquery.
 * Without pairs: every word of the query (a name with these words, in any
 * place).  With pairs, for a query of two words or more: the names whose
 * terms say the words are neighbours ("van an") or are the first and last
 * words with the others in between ("nguyen .. an" and each middle word);
 * NULL for a single word.  Both only preselect: the caller's regular
 * expression checks the order.
 */
Datum
zt_name_terms_query(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	bool		pairs = PG_GETARG_BOOL(1);
	NameWords	w;
	StringInfoData q;

	split_words(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &w);
	if (w.n == 0 || (pairs && w.n < 2))
		PG_RETURN_NULL();

	initStringInfo(&q);
	if (!pairs)
	{
		for (int i = 0; i < w.n; i++)
		{
			if (i > 0)
				appendStringInfoString(&q, " & ");
			append_query_term(&q, &w, i, -1, false);
		}
	}
	else
	{
		appendStringInfoChar(&q, '(');
		for (int i = 0; i + 1 < w.n; i++)
		{
			if (i > 0)
				appendStringInfoString(&q, " & ");
			append_query_term(&q, &w, i, i + 1, false);
		}
		appendStringInfoString(&q, ") | (");
		append_query_term(&q, &w, 0, w.n - 1, true);
		for (int i = 1; i + 1 < w.n; i++)
		{
			appendStringInfoString(&q, " & ");
			append_query_term(&q, &w, i, -1, false);
		}
		appendStringInfoChar(&q, ')');
	}
	PG_RETURN_DATUM(DirectFunctionCall1(tsqueryin, CStringGetDatum(q.data)));
}
