/*
 * log_context.c
 *		One event, one line in the server log.  PostgreSQL reports the text
 *		of the SPI statement an error arose in, as a CONTEXT line or as the
 *		QUERY of an error in the statement itself; the delivery worker's
 *		statements (claim, record, next due) are long, so every error of
 *		the worker would carry a screen of SQL.  An emit_log_hook drops the
 *		text of the worker's own statement from its messages; the context of
 *		what ran inside it (a DBA's trigger, the statements that trigger
 *		ran) stays.
 */
#include "postgres.h"

#include "utils/elog.h"

#include "log_context.h"
#include "worker.h"

static emit_log_hook_type prev_emit_log_hook = NULL;

/*
 * Drop the outermost entry of a context when it is the text of an SPI
 * statement.  Context entries are joined by line breaks, innermost first,
 * so the outermost is the last; in the delivery worker, which runs all its
 * SQL through SPI, that is one of the worker's own statements.  SPI words
 * the entry as `SQL statement "%s"` (spi.c, _SPI_error_callback) in the
 * server's message domain.  The statement text may itself hold line breaks,
 * so the entry is the last line that starts with the prefix, and it must
 * end the context with the suffix.
 */
static void
drop_outermost_statement(ErrorData *edata)
{
	const char *format = dgettext(PG_TEXTDOMAIN("postgres"), "SQL statement \"%s\"");
	const char *hole = strstr(format, "%s");
	const char *suffix;
	size_t		prefix_len;
	size_t		suffix_len;
	size_t		context_len;
	char	   *context = edata->context;
	char	   *entry = NULL;

	if (hole == NULL)
		return;
	prefix_len = hole - format;
	suffix = hole + 2;
	suffix_len = strlen(suffix);

	if (strncmp(context, format, prefix_len) == 0)
		entry = context;
	for (char *p = strchr(context, '\n'); p != NULL; p = strchr(p + 1, '\n'))
	{
		if (strncmp(p + 1, format, prefix_len) == 0)
			entry = p + 1;
	}
	if (entry == NULL)
		return;

	context_len = strlen(context);
	if (context_len - (entry - context) < prefix_len + suffix_len ||
		strcmp(context + context_len - suffix_len, suffix) != 0)
		return;

	if (entry == context)
		edata->context = NULL;
	else
		entry[-1] = '\0';
}

/*
 * emit_log_hook: in the delivery worker, leave the text of the worker's
 * own statement out of a message before it is written, then pass the
 * message on.
 */
static void
zt_emit_log(ErrorData *edata)
{
	if (zt_am_delivery_worker)
	{
		if (edata->context != NULL)
			drop_outermost_statement(edata);
		else if (edata->internalquery != NULL)
		{
			/*
			 * An error in the worker's statement itself (a column an ALTER
			 * TABLE took away): SPI reports the statement as the internal
			 * query.  An inner statement's internal query comes with the
			 * context of the function that ran it.
			 */
			edata->internalquery = NULL;
			edata->internalpos = 0;
		}
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/* Install the hook (from shared_preload_libraries: the worker's only way). */
void
zt_log_context_install_hook(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = zt_emit_log;
}
