/*
 * enqueue.h
 *		Writing a stage change's event and notification rows (enqueue.c).
 */
#ifndef ZALO_TTHC_ENQUEUE_H
#define ZALO_TTHC_ENQUEUE_H

#include "postgres.h"

#include "utils/timestamp.h"

/* One stage change of a dossier, as the enqueue trigger saw it. */
typedef struct ZtStageChange
{
	int64		dossier_id;
	int32		seq;			/* dossier.stage_seq after the change */
	Oid			stage_before;	/* InvalidOid for a new dossier */
	Oid			stage_after;
	int16		status_before;
	bool		status_before_null;
	int16		status_after;
	Datum		actor;			/* text */
	bool		actor_null;
	Datum		note;			/* text */
	bool		note_null;
	Datum		due_before;		/* timestamptz */
	bool		due_before_null;
	Datum		due_after;		/* timestamptz */
	bool		due_after_null;
	const char *notify;			/* a zalo_tthc.notify_decision label */
	bool		enqueue;		/* write the outbox row too */
	bool		may_repeat;		/* the same change may arrive twice */
	Datum		phone;			/* text, normalised +84… */
	bool		phone_null;
	Datum		id_number;		/* text */
	bool		id_number_null;
} ZtStageChange;

extern void zt_record_stage_change(const ZtStageChange *change);

#endif							/* ZALO_TTHC_ENQUEUE_H */
