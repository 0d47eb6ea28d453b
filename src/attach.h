/*
 * attach.h
 *		Attached application tables (attach.c): their trigger copies a
 *		changed row into zalo_tthc.dossier, whose own triggers then run in
 *		the attached mode this header tells them about.
 */
#ifndef ZT_ATTACH_H
#define ZT_ATTACH_H

#include "postgres.h"

/*
 * True while the trigger of an attached table writes zalo_tthc.dossier:
 * the application is the authority, so the dossier triggers record what
 * they would refuse (a transition the model does not list, a missing
 * note, a text too long) as a problem and go on.
 */
extern bool zt_attached_write;

extern void zt_attach_note_problem(const char *field, const char *fmt,...) pg_attribute_printf(2, 3);

#endif							/* ZT_ATTACH_H */
