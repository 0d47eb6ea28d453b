#!/usr/bin/env bash
# make demo: install what is missing, build, start a throwaway cluster with
# the extension, and move sample dossiers through their stages so the
# notifications can be watched as they are enqueued.  Cleans up on exit
# and on Ctrl-C.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

prepare_machine

WORK=$(make_work_dir demo)
cleanup() {
	say "stopping the demo cluster and removing $WORK"
	cluster_stop "$WORK/pg" immediate
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"
say "starting a throwaway PostgreSQL 15 cluster in $WORK/pg"
cluster_init "$WORK/pg" "zalo_tthc.database_name = 'tthc'"
cluster_start "$WORK/pg"

say "creating database tthc with CREATE EXTENSION zalo_tthc CASCADE"
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE tthc"
zt_psql "$WORK/pg" tthc -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE"

say "loading 3 Zalo followers and 5 sample dossiers"
zt_psql "$WORK/pg" tthc -f "$ZT_ROOT/demo/seed.sql"

say "moving the dossiers through their stages"
zt_psql "$WORK/pg" tthc -f "$ZT_ROOT/demo/flow.sql"
