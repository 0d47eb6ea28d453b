#!/usr/bin/env bash
# The dossier lookup under valgrind memcheck: a throwaway cluster whose
# postmaster (and so every backend it forks) runs under valgrind, the
# pg_regress lookup tests against it (VALGRIND_TESTS, a glob of test/sql,
# picks others: VALGRIND_TESTS='attach_*' for attached tables), then the
# memcheck errors and definite leaks of every backend whose stack passes
# through zalo_tthc.so.  Exits non-zero if there is any.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

prepare_machine
command -v valgrind >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
WORK=$(make_work_dir valgrind-lookup)
PG_PID=
stop_server() {
	local pm
	pm=$(head -n 1 "$WORK/pg/data/postmaster.pid" 2>/dev/null) || return 0
	kill -INT "$pm" 2>/dev/null || return 0
	wait "$PG_PID" 2>/dev/null || true
	PG_PID=
}
cleanup() {
	[[ -n $PG_PID ]] && stop_server
	if [[ ${KEEP_VALGRIND_DIR:-} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/pg" "$WORK/vg" "$WORK/regress"
cp -r "$ZT_ROOT/test" "$WORK/test"
[[ $(id -u) == 0 ]] && chown -R "$ZT_USER:" "$WORK/pg" "$WORK/vg" "$WORK/regress" "$WORK/test"
cluster_init "$WORK/pg" "max_connections = 20" "autovacuum = off" "jit = off"

say "starting PostgreSQL under valgrind (slow)"
as_run_user valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--num-callers=40 --log-file="$WORK/vg/%p.log" \
	"$PGBIN/postgres" -D "$WORK/pg/data" >"$WORK/pg/server.log" 2>&1 &
PG_PID=$!
for _ in $(seq 240); do zt_psql "$WORK/pg" postgres -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done

tests=()
for f in "$WORK"/test/sql/${VALGRIND_TESTS:-lookup_*}.sql; do tests+=("$(basename "$f" .sql)"); done
pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")
status=0
"$pgxs_dir/../test/regress/pg_regress" --bindir="$PGBIN" --inputdir="$WORK/test" --outputdir="$WORK/regress" \
	--host="$WORK/pg" --port=5432 --user=postgres --dbname=zalo_tthc_valgrind \
	--load-extension=unaccent --load-extension=zalo_tthc "${tests[@]}" || status=$?
say "stopping the server"
stop_server

records=$(cat "$WORK"/vg/*.log | awk -v RS='==[0-9]+== \n' '/zalo_tthc\.so/ {n++} END {print n+0}')
echo "valgrind logs: $(ls "$WORK"/vg | wc -l) processes; records whose stack passes through zalo_tthc.so: $records"
if ((records > 0)); then
	cat "$WORK"/vg/*.log | awk -v RS='==[0-9]+== \n' '/zalo_tthc\.so/' | head -80
	exit 1
fi
((status == 0)) || { echo "pg_regress failed under valgrind" >&2; exit 1; }
echo "valgrind: clean (no error or definite leak in zalo_tthc code)"
