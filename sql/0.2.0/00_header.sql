/* zalo_tthc 0.1.0 -> 0.2.0: dossier lookup, webhooks, operations. */

\echo Use "ALTER EXTENSION zalo_tthc UPDATE TO '0.2.0'" to load this file. \quit

