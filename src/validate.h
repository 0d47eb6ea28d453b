/*
 * validate.h
 *		Checks and normalisation of dossier codes, CCCD/CMND numbers and
 *		Vietnamese mobile numbers.
 *
 * Plain C with no server dependencies, so the same rules serve the dossier
 * trigger, the SQL helper functions and the lookup and webhook code.
 */
#ifndef ZT_VALIDATE_H
#define ZT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest dossier code accepted (non-standard codes included). */
#define ZT_CODE_MAX_LEN 50
/* Length of a standard code, 000.00.04.H60-230215-0028. */
#define ZT_CODE_STANDARD_LEN 25
/* +84 followed by nine digits. */
#define ZT_PHONE_LEN 12

typedef enum ZtCodeResult
{
	ZT_CODE_STANDARD,			/* TT 01/2018 form with a real date */
	ZT_CODE_NONSTANDARD,		/* accepted, flagged code_standard = false */
	ZT_CODE_EMPTY,
	ZT_CODE_TOO_LONG,
	ZT_CODE_BAD_CHARACTER,		/* outside [0-9A-Z./_-], or a bad start */
	ZT_CODE_TOO_SHORT,
	ZT_CODE_BAD_DATE			/* standard shape, impossible YYMMDD */
} ZtCodeResult;

typedef enum ZtIdResult
{
	ZT_ID_CCCD,					/* 12 digits */
	ZT_ID_CMND,					/* 9 digits */
	ZT_ID_EMPTY,
	ZT_ID_NOT_DIGITS,
	ZT_ID_BAD_LENGTH
} ZtIdResult;

typedef enum ZtPhoneResult
{
	ZT_PHONE_MOBILE,
	ZT_PHONE_EMPTY,
	ZT_PHONE_BAD_CHARACTER,
	ZT_PHONE_LANDLINE,
	ZT_PHONE_OLD_11_DIGIT,		/* 01xx numbers retired in 2018 */
	ZT_PHONE_BAD_LENGTH,
	ZT_PHONE_NOT_MOBILE
} ZtPhoneResult;

extern ZtCodeResult zt_check_dossier_code(const char *in, size_t len,
										  char *out, size_t *outlen);
extern ZtIdResult zt_check_id_number(const char *in, size_t len,
									 char *out, size_t *outlen);
extern ZtPhoneResult zt_check_phone(const char *in, size_t len,
									char *out, size_t *outlen);
extern bool zt_valid_calendar_date(int year, int month, int day);

#endif							/* ZT_VALIDATE_H */
