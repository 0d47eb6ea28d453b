/*
 * test_validate.c
 *		TAP tests of the dossier code, CCCD/CMND and phone rules in
 *		src/validate.c, including the examples of tthc-domain.md (b) and (d).
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "validate.h"

/* A code normalises to want with result r. */
static void
code_is(const char *in, ZtCodeResult r, const char *want)
{
	char		out[256];
	size_t		outlen;
	char		what[512];
	ZtCodeResult got = zt_check_dossier_code(in, strlen(in), out, &outlen);

	snprintf(what, sizeof(what), "code \"%s\" -> %d \"%s\"", in, (int) r, want ? want : "");
	ok(got == r && (want == NULL || (strcmp(out, want) == 0 && outlen == strlen(want))), what);
}

/* An ID number gives result r. */
static void
id_is(const char *in, ZtIdResult r, const char *want)
{
	char		out[256];
	size_t		outlen;
	char		what[512];
	ZtIdResult	got = zt_check_id_number(in, strlen(in), out, &outlen);

	snprintf(what, sizeof(what), "id \"%s\" -> %d", in, (int) r);
	ok(got == r && (want == NULL || strcmp(out, want) == 0), what);
}

/* A phone normalises to want with result r. */
static void
phone_is(const char *in, ZtPhoneResult r, const char *want)
{
	char		out[ZT_PHONE_LEN + 1];
	size_t		outlen;
	char		what[512];
	ZtPhoneResult got = zt_check_phone(in, strlen(in), out, &outlen);

	snprintf(what, sizeof(what), "phone \"%s\" -> %d \"%s\"", in, (int) r, want ? want : "");
	ok(got == r && (want == NULL || strcmp(out, want) == 0), what);
}

int
main(void)
{
	/* dossier codes: tthc-domain.md (b) */
	code_is("000.00.04.H60-230215-0028", ZT_CODE_STANDARD, "000.00.04.H60-230215-0028");
	code_is("000.17.22.H56-210531-0001", ZT_CODE_STANDARD, "000.17.22.H56-210531-0001");
	code_is("000.00.04.h60-230215-0028", ZT_CODE_STANDARD, "000.00.04.H60-230215-0028");
	code_is("  TTHC 000.00.04.h60-230215-0028 ", ZT_CODE_STANDARD, "000.00.04.H60-230215-0028");
	code_is("tthc 000.00.04.H60 - 230215 - 0028", ZT_CODE_STANDARD, "000.00.04.H60-230215-0028");
	code_is("000.00.04.H60-231315-0028", ZT_CODE_BAD_DATE, NULL);
	code_is("000.00.04.H60-230230-0028", ZT_CODE_BAD_DATE, NULL);
	code_is("000.00.04.H60-240229-0001", ZT_CODE_STANDARD, NULL);
	code_is("000.00.04.H60-230229-0001", ZT_CODE_BAD_DATE, NULL);
	code_is("000.00.04.H60-230100-0001", ZT_CODE_BAD_DATE, NULL);
	code_is("03706/2026/07906", ZT_CODE_NONSTANDARD, "03706/2026/07906");
	code_is("000.00.04.H60-230215-12345", ZT_CODE_NONSTANDARD, NULL);
	code_is("", ZT_CODE_EMPTY, NULL);
	code_is("   ", ZT_CODE_EMPTY, NULL);
	code_is("AB12", ZT_CODE_TOO_SHORT, NULL);
	code_is("-00.00.04.H60", ZT_CODE_BAD_CHARACTER, NULL);
	code_is("000.00.04.H60;DROP", ZT_CODE_BAD_CHARACTER, NULL);
	code_is("000.00.04.H60-23021\xc3\xa9-0028", ZT_CODE_BAD_CHARACTER, NULL);
	code_is("012345678901234567890123456789012345678901234567890", ZT_CODE_TOO_LONG, NULL);
	code_is("TTHC", ZT_CODE_TOO_SHORT, NULL);

	/* calendar */
	ok(zt_valid_calendar_date(2000, 2, 29), "2000-02-29 exists");
	ok(!zt_valid_calendar_date(2100, 2, 29), "2100-02-29 does not exist");
	ok(!zt_valid_calendar_date(2023, 4, 31), "2023-04-31 does not exist");

	/* CCCD / CMND: tthc-domain.md (d) */
	id_is("001099012345", ZT_ID_CCCD, "001099012345");
	id_is("001 099 012 345", ZT_ID_CCCD, "001099012345");
	id_is("123456789", ZT_ID_CMND, "123456789");
	id_is("12345678", ZT_ID_BAD_LENGTH, NULL);
	id_is("0010990123456", ZT_ID_BAD_LENGTH, NULL);
	id_is("00109901234A", ZT_ID_NOT_DIGITS, NULL);
	id_is("", ZT_ID_EMPTY, NULL);

	/* phones: tthc-domain.md (d) */
	phone_is("0987654321", ZT_PHONE_MOBILE, "+84987654321");
	phone_is("84987654321", ZT_PHONE_MOBILE, "+84987654321");
	phone_is("+84 987 654 321", ZT_PHONE_MOBILE, "+84987654321");
	phone_is("098.765.4321", ZT_PHONE_MOBILE, "+84987654321");
	phone_is("(+84) 32-123-4567", ZT_PHONE_MOBILE, "+84321234567");
	phone_is("0561234567", ZT_PHONE_MOBILE, "+84561234567");
	phone_is("02438251234", ZT_PHONE_LANDLINE, NULL);
	phone_is("+84 24 3825 1234", ZT_PHONE_LANDLINE, NULL);
	phone_is("01621234567", ZT_PHONE_OLD_11_DIGIT, NULL);
	phone_is("098765432", ZT_PHONE_BAD_LENGTH, NULL);
	phone_is("09876543210", ZT_PHONE_BAD_LENGTH, NULL);
	phone_is("0412345678", ZT_PHONE_NOT_MOBILE, NULL);
	phone_is("12345678901", ZT_PHONE_NOT_MOBILE, NULL);
	phone_is("0987+654321", ZT_PHONE_BAD_CHARACTER, NULL);
	phone_is("0987abc321", ZT_PHONE_BAD_CHARACTER, NULL);
	phone_is("", ZT_PHONE_EMPTY, NULL);
	phone_is("0000000000000000000000000000000000000000", ZT_PHONE_BAD_LENGTH, NULL);

	return done_testing();
}
