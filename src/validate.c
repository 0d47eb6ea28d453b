/*
 * validate.c
 *		Dossier code, CCCD/CMND and mobile number rules (tthc-domain.md (b),
 *		(d)).  Every function normalises into a caller buffer and says which
 *		rule the input broke; raising errors is the caller's business.
 */
#include "validate.h"

#include <string.h>

/* ASCII white space, the only kind stripped from codes and numbers. */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Value of n digits at s; the caller checked they are digits. */
static int
digits_value(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* True when day/month/year is a date of the Gregorian calendar. */
bool
zt_valid_calendar_date(int year, int month, int day)
{
	static const int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			max_day;

	if (month < 1 || month > 12 || day < 1)
		return false;
	max_day = days_in_month[month - 1];
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		max_day = 29;
	return day <= max_day;
}

/*
 * True when s (exactly ZT_CODE_STANDARD_LEN chars) has the shape
 * ddd.dd.dd.Ldd-dddddd-dddd, whatever the date digits say.
 */
static bool
has_standard_shape(const char *s)
{
	static const char shape[] = "999.99.99.A99-999999-9999";

	for (int i = 0; i < ZT_CODE_STANDARD_LEN; i++)
	{
		char		want = shape[i];

		if (want == '9' ? !is_digit(s[i]) :
			want == 'A' ? !(s[i] >= 'A' && s[i] <= 'Z') :
			s[i] != want)
			return false;
	}
	return true;
}

/* Characters allowed in any dossier code after upper-casing. */
static bool
is_code_char(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '/' || c == '_' || c == '-';
}

/*
 * Normalise a dossier code: drop white space and a leading "TTHC" keyword
 * (as typed in SMS and chat), upper-case ASCII letters.  out must hold
 * len + 1 bytes.  Standard codes must carry a real date (YYMMDD, 20YY);
 * other codes of 6 to 50 characters from [0-9A-Z./_-] are accepted as
 * non-standard.
 */
ZtCodeResult
zt_check_dossier_code(const char *in, size_t len, char *out, size_t *outlen)
{
	size_t		start = 0;
	size_t		n = 0;

	while (start < len && is_space(in[start]))
		start++;
	if (len - start > 5 &&
		(in[start] == 'T' || in[start] == 't') &&
		(in[start + 1] == 'T' || in[start + 1] == 't') &&
		(in[start + 2] == 'H' || in[start + 2] == 'h') &&
		(in[start + 3] == 'C' || in[start + 3] == 'c') &&
		is_space(in[start + 4]))
		start += 5;

	for (size_t i = start; i < len; i++)
	{
		char		c = in[i];

		if (is_space(c))
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		if (!is_code_char(c))
		{
			*outlen = 0;
			out[0] = '\0';
			return ZT_CODE_BAD_CHARACTER;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	*outlen = n;

	if (n == 0)
		return ZT_CODE_EMPTY;
	if (n > ZT_CODE_MAX_LEN)
		return ZT_CODE_TOO_LONG;
	if (n == ZT_CODE_STANDARD_LEN && has_standard_shape(out))
	{
		const char *date = out + 14;

		if (!zt_valid_calendar_date(2000 + digits_value(date, 2),
									digits_value(date + 2, 2),
									digits_value(date + 4, 2)))
			return ZT_CODE_BAD_DATE;
		return ZT_CODE_STANDARD;
	}
	if (!is_digit(out[0]) && !(out[0] >= 'A' && out[0] <= 'Z'))
		return ZT_CODE_BAD_CHARACTER;
	if (n < 6)
		return ZT_CODE_TOO_SHORT;
	return ZT_CODE_NONSTANDARD;
}

/*
 * Check a CCCD (12 digits) or CMND (9 digits) number, ignoring white space.
 * out must hold len + 1 bytes.
 */
ZtIdResult
zt_check_id_number(const char *in, size_t len, char *out, size_t *outlen)
{
	size_t		n = 0;

	for (size_t i = 0; i < len; i++)
	{
		if (is_space(in[i]))
			continue;
		if (!is_digit(in[i]))
		{
			*outlen = 0;
			out[0] = '\0';
			return ZT_ID_NOT_DIGITS;
		}
		out[n++] = in[i];
	}
	out[n] = '\0';
	*outlen = n;
	if (n == 0)
		return ZT_ID_EMPTY;
	if (n == 12)
		return ZT_ID_CCCD;
	if (n == 9)
		return ZT_ID_CMND;
	return ZT_ID_BAD_LENGTH;
}

/*
 * Normalise a Vietnamese mobile number written as 0xxxxxxxxx, 84xxxxxxxxx
 * or +84 xxx with spaces, dots, hyphens or parentheses into +84XXXXXXXXX.
 * The check is the loose structural one (0[35789] and eight digits), since
 * numbers move between carriers.  out must hold ZT_PHONE_LEN + 1 bytes.
 */
ZtPhoneResult
zt_check_phone(const char *in, size_t len, char *out, size_t *outlen)
{
	char		digits[32];
	size_t		n = 0;
	const char *national;
	size_t		national_len;
	bool		seen_digit = false;

	*outlen = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++)
	{
		char		c = in[i];

		if (is_digit(c))
		{
			if (n >= sizeof(digits) - 1)
				return ZT_PHONE_BAD_LENGTH;
			digits[n++] = c;
			seen_digit = true;
		}
		else if (c == '+' && !seen_digit)
			continue;
		else if (is_space(c) || c == '.' || c == '-' || c == '(' || c == ')')
			continue;
		else
			return ZT_PHONE_BAD_CHARACTER;
	}
	digits[n] = '\0';
	if (n == 0)
		return ZT_PHONE_EMPTY;

	/* national significant number, without 0 or 84 */
	if (digits[0] == '0')
	{
		national = digits + 1;
		national_len = n - 1;
	}
	else if (n >= 2 && digits[0] == '8' && digits[1] == '4')
	{
		national = digits + 2;
		national_len = n - 2;
	}
	else
		return ZT_PHONE_NOT_MOBILE;

	if (national_len > 0 && national[0] == '2')
		return ZT_PHONE_LANDLINE;
	if (national_len == 10 && national[0] == '1')
		return ZT_PHONE_OLD_11_DIGIT;
	if (national_len != 9)
		return ZT_PHONE_BAD_LENGTH;
	if (strchr("35789", national[0]) == NULL)
		return ZT_PHONE_NOT_MOBILE;

	memcpy(out, "+84", 3);
	memcpy(out + 3, national, 9);
	out[ZT_PHONE_LEN] = '\0';
	*outlen = ZT_PHONE_LEN;
	return ZT_PHONE_MOBILE;
}
