/*
 * zbs_templates.c
 *		What the delivery worker knows of the ZBS templates the stages use:
 *		Zalo's status, parameters and prices of each, kept in
 *		zalo_tthc.zbs_template and cached in the worker.
 *
 * The worker reads each template's detail from Zalo at start, every
 * zalo_tthc.template_check_interval, and soon after a change_template_status
 * webhook or a send that met a template problem.  A template whose status
 * is not ENABLE, or whose last send met a template problem, is held: the
 * notices of its stages wait (worker.c), the other stages keep going.  A
 * template not read yet is not held; Zalo's answer to the first send says
 * what is wrong with it.  The cache is read whole at each round of reads
 * and then kept in step with what each answer records.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "worker_txn.h"
#include "zbs_templates.h"

static ZtTemplateState *templates = NULL;
static int	n_templates = 0;

/* Forget the cache. */
static void
clear_cache(void)
{
	for (int i = 0; i < n_templates; i++)
		if (templates[i].params)
			pfree(templates[i].params);
	if (templates)
		pfree(templates);
	templates = NULL;
	n_templates = 0;
}

/*
 * Read the templates the stages name, with what zbs_template says of each,
 * in a transaction of its own.  Rows of templates no stage names any more
 * are deleted.
 */
void
zt_templates_load(void)
{
	int			n;

	zt_worker_begin("zalo_tthc: reading the ZBS templates");
	if (SPI_execute("DELETE FROM zalo_tthc.zbs_template z "
					"WHERE NOT EXISTS (SELECT FROM zalo_tthc.template t WHERE t.zbs_template_id = z.template_id)",
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not tidy zalo_tthc.zbs_template");
	if (SPI_execute("SELECT t.id, z.status, z.params::text, z.problem "
					"FROM (SELECT DISTINCT zbs_template_id AS id FROM zalo_tthc.template"
					"      WHERE zbs_template_id IS NOT NULL) t "
					"LEFT JOIN zalo_tthc.zbs_template z ON z.template_id = t.id "
					"ORDER BY t.id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the ZBS templates");
	clear_cache();
	n = (int) SPI_processed;
	templates = MemoryContextAllocZero(TopMemoryContext, sizeof(ZtTemplateState) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ZtTemplateState *t = &templates[i];
		char	   *s;

		s = zt_spi_copy_text(tup, desc, 1, CurrentMemoryContext);
		strlcpy(t->template_id, s, sizeof(t->template_id));
		s = zt_spi_copy_text(tup, desc, 2, CurrentMemoryContext);
		strlcpy(t->status, s ? s : "", sizeof(t->status));
		t->params = zt_spi_copy_text(tup, desc, 3, TopMemoryContext);
		s = zt_spi_copy_text(tup, desc, 4, CurrentMemoryContext);
		strlcpy(t->problem, s ? s : "", sizeof(t->problem));
		t->held = t->status[0] != '\0' && strcmp(t->status, "ENABLE") != 0;
		if (t->held && t->problem[0] == '\0')
			snprintf(t->problem, sizeof(t->problem), "template %s is %s at Zalo", t->template_id, t->status);
		/* a problem a send met holds until a read says ENABLE */
		if (!t->held && t->problem[0] != '\0')
			t->held = true;
	}
	n_templates = n;
	zt_worker_end();
}

/* The cached state of a template, NULL if no stage names it. */
static ZtTemplateState *
find_template(const char *template_id)
{
	for (int i = 0; template_id && i < n_templates; i++)
		if (strcmp(templates[i].template_id, template_id) == 0)
			return &templates[i];
	return NULL;
}

const ZtTemplateState *
zt_template_state(const char *template_id)
{
	return find_template(template_id);
}

/* How many templates the stages name; zt_template_at(i) is each. */
int
zt_template_count(void)
{
	return n_templates;
}

const ZtTemplateState *
zt_template_at(int i)
{
	return &templates[i];
}

/*
 * Bring the cached state of a template in line with what was just
 * recorded: a new status and parameter list (NULL keeps them), and the
 * problem that holds its stages ("" for none).  The same rule as
 * zt_templates_load: held when not ENABLE or when a problem is known.
 */
static void
set_cached(const char *template_id, const char *status, const char *params, const char *problem)
{
	ZtTemplateState *t = find_template(template_id);

	if (t == NULL)
		return;					/* no stage names it: the next load decides */
	if (status)
		strlcpy(t->status, status, sizeof(t->status));
	if (params)
	{
		if (t->params)
			pfree(t->params);
		t->params = MemoryContextStrdup(TopMemoryContext, params);
	}
	strlcpy(t->problem, problem, sizeof(t->problem));
	t->held = t->problem[0] != '\0';
}

/* Run one statement with text parameters (NULL = SQL NULL). */
static void
execute_with(const char *sql, int n, const char **values)
{
	Oid			types[8];
	Datum		args[8];
	char		nulls[8];

	for (int i = 0; i < n; i++)
	{
		types[i] = TEXTOID;
		args[i] = values[i] ? CStringGetTextDatum(values[i]) : (Datum) 0;
		nulls[i] = values[i] ? ' ' : 'n';
	}
	if (SPI_execute_with_args(sql, n, types, args, nulls, false, 0) < 0)
		elog(ERROR, "could not record the state of a ZBS template");
}

/*
 * Record Zalo's answer about a template: its status, name, parameters and
 * prices, or UNKNOWN when Zalo knows no such id.  The cache follows.
 */
void
zt_template_record_detail(const char *template_id, const char *status, const char *name,
						  const char *params, const char *price_uid, const char *price_phone)
{
	const char *values[6] = {template_id, status, name, params ? params : "[]",
		price_uid && price_uid[0] ? price_uid : NULL,
	price_phone && price_phone[0] ? price_phone : NULL};

	zt_worker_begin("zalo_tthc: recording a ZBS template's status");
	execute_with("INSERT INTO zalo_tthc.zbs_template AS z (template_id, status, name, params, price_uid,"
				 "                                       price_phone, problem, checked_at, status_changed_at)"
				 "VALUES ($1, $2, $3, $4::jsonb, $5::numeric, $6::numeric,"
				 "        CASE WHEN $2 <> 'ENABLE' THEN 'template ' || $1 || ' is ' || $2 || ' at Zalo' END,"
				 "        now(), now()) "
				 "ON CONFLICT (template_id) DO UPDATE SET status = excluded.status,"
				 "  name = coalesce(excluded.name, z.name), params = excluded.params,"
				 "  price_uid = excluded.price_uid, price_phone = excluded.price_phone,"
				 "  problem = excluded.problem, checked_at = now(),"
				 "  status_changed_at = CASE WHEN z.status IS DISTINCT FROM excluded.status"
				 "                           THEN now() ELSE z.status_changed_at END",
				 6, values);
	if (strcmp(status, "ENABLE") != 0)
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("zalo_tthc worker: ZBS template %s is %s at Zalo; the stages that use it are held",
						template_id, status),
				 errhint("Fix the template at Zalo, or point those stages at an approved template in zalo_tthc.template.")));
	zt_worker_end();
	set_cached(template_id, status, values[3],
			   strcmp(status, "ENABLE") != 0 ? psprintf("template %s is %s at Zalo", template_id, status) : "");
}

/*
 * Record a problem a send met with a template (not approved, unknown,
 * disabled): its stages are held until a read says ENABLE.
 */
void
zt_template_record_problem(const char *template_id, const char *problem)
{
	const char *values[2] = {template_id, problem};

	zt_worker_begin("zalo_tthc: recording a ZBS template's problem");
	execute_with("INSERT INTO zalo_tthc.zbs_template AS z (template_id, problem) VALUES ($1, $2) "
				 "ON CONFLICT (template_id) DO UPDATE SET problem = excluded.problem",
				 2, values);
	zt_worker_end();
	ereport(WARNING,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("zalo_tthc worker: the stages that use ZBS template %s are held", template_id),
			 errdetail("%s", problem)));
	set_cached(template_id, NULL, NULL, problem);
}
