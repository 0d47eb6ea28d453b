/*
 * tap.h
 *		The TAP output of the C unit tests: one "ok"/"not ok" line per
 *		check, the plan at the end.
 */
#ifndef ZT_TAP_H
#define ZT_TAP_H

#include <stdio.h>

static int	test_count = 0;
static int	failures = 0;

/* Print one TAP line. */
static void
ok(int cond, const char *what)
{
	test_count++;
	if (!cond)
		failures++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", test_count, what);
}

/* Print the plan; the exit status of the test program. */
static int
done_testing(void)
{
	printf("1..%d\n", test_count);
	return failures == 0 ? 0 : 1;
}

#endif							/* ZT_TAP_H */
