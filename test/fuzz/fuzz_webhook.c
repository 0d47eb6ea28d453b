/*
 * fuzz_webhook.c
 *		libFuzzer target of the webhook check (src/webhook_core.c).
 *
 * Each input is tried twice: as a body with a signature taken from its
 * own first bytes (the refusal paths, and the signature decoder), and as a
 * body correctly signed over whatever timestamp the scanner finds in it,
 * so that the parser and every event's field checks see arbitrary JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook_core.h"

#define APP_ID "1234567890123456789"
#define SECRET "OAKEY"

/* The fuzzer's entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *) data;
	ZwConfig	cfg = {APP_ID, SECRET, 0, INT64_C(3600000), 64 * 1024, INT64_C(300000)};
	ZwEvent		ev;
	char		detail[256];
	char		sig[70] = "mac=";
	const char *ts;
	size_t		ts_len;

	/* a signature made of the input's first bytes */
	{
		size_t		n = size < 68 ? size : 68;
		char		given[69];

		memcpy(given, data, n);
		given[n] = '\0';
		cfg.now_ms = 1714529559833;
		(void) zw_process(&cfg, body, size, given, &ev, detail, sizeof(detail));
		zw_event_free(&ev);
	}

	/* correctly signed: verification passes, parsing decides */
	if (zw_find_timestamp(body, size, &ts, &ts_len))
	{
		char		digits[20];

		memcpy(digits, ts, ts_len);
		digits[ts_len] = '\0';
		cfg.now_ms = strtoll(digits, NULL, 10);
		zw_sign(APP_ID, body, size, ts, ts_len, SECRET, sig + 4);
		if (zw_process(&cfg, body, size, sig, &ev, detail, sizeof(detail)) == ZW_OK &&
			(ev.kind == ZWE_USER_SEND_TEXT) != (ev.text != NULL))
			abort();
		zw_event_free(&ev);
	}
	return 0;
}
