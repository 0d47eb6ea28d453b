#!/usr/bin/env bash
# Attach overhead: TPS of a one-stop application's own stage-changing
# UPDATE on its dossier table (motcua.ho_so of test/onestop: a clerk's save
# moving a random open dossier to its next national status, one UPDATE per
# transaction) with
#   (a) no trigger,
#   (b) a hand-written PL/pgSQL sync into zalo_tthc.dossier
#       (bench/attach/plpgsql_sync.sql), after its one-off load,
#   (c) zalo_tthc.attach() as in test/onestop/attach.sql, with backfill;
# on identical data: the database is seeded again (and checked to be the
# same) before every run.  Rounds run a-b-c, a-b-c, ... on one cluster, and
# each round's ratios are reported, since the machine is shared.  Also
# times motcua.seed() and the two loads of the existing dossiers (b's
# nap_ban_dau(), c's backfill).  Skips (c) when this build has no
# zalo_tthc.attach().
#
#   BENCH_ATTACH_ROWS (100000)  BENCH_ATTACH_SECONDS (20 per run)
#   BENCH_ATTACH_CLIENTS (2)    BENCH_ATTACH_ROUNDS (2)
#   BENCH_SYNC (on: synchronous_commit)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

ROWS=${BENCH_ATTACH_ROWS:-100000}
SECONDS_PER_RUN=${BENCH_ATTACH_SECONDS:-20}
CLIENTS=${BENCH_ATTACH_CLIENTS:-2}
ROUNDS=${BENCH_ATTACH_ROUNDS:-2}
SYNC=${BENCH_SYNC:-on}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/attach.txt
RUNS_LOG=$OUT_DIR/attach-runs.log

start_bench_work
cp "$ZT_ROOT"/test/onestop/*.sql "$ZT_ROOT"/bench/attach/*.sql "$WORK/"
chmod 644 "$WORK"/*.sql
cluster_init "$WORK/pg" "shared_buffers = 512MB" "synchronous_commit = $SYNC" \
	"max_wal_size = 4GB" "checkpoint_timeout = 30min" "timezone = 'Asia/Ho_Chi_Minh'" \
	"zalo_tthc.database_name = 'postgres'"
cluster_start "$WORK/pg"
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE bench"
q() { zt_psql "$WORK/pg" bench "$@"; }
# seconds since the epoch, to time a step
now() { date +%s.%N; }
elapsed() { printf '%.1f' "$(echo "$(now) - $1" | bc -l)"; }

q -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE" >/dev/null
q -f "$WORK/schema.sql" -f "$WORK/seed.sql" >/dev/null
say "seeding $ROWS one-stop dossiers"
t0=$(now)
q -c "SELECT motcua.seed($ROWS)" >/dev/null
seed_seconds=$(elapsed "$t0")
checksum=$(q -tA -c "SELECT md5(string_agg(h::text, '' ORDER BY id)) FROM motcua.ho_so h")
steps=$(q -tA -c "SELECT count(*) FROM motcua.qua_trinh_xu_ly")
say "seed($ROWS): ${seed_seconds}s ($steps steps)"
q -f "$WORK/setup.sql" >/dev/null
# (c) runs the attach() statement of test/onestop/attach.sql itself; the
# UPDATE never writes a step, so attach_steps() is left out
sed -n '/^SELECT zalo_tthc.attach(/,/);$/p' "$WORK/attach.sql" >"$WORK/attach_ho_so.sql"
[[ -s $WORK/attach_ho_so.sql ]] || { echo "no attach() statement in test/onestop/attach.sql" >&2; exit 1; }

variants=(plain plpgsql)
if [[ $(q -tA -c "SELECT to_regprocedure('zalo_tthc.attach(regclass,jsonb,jsonb,boolean)') IS NOT NULL") == t ]]; then
	variants+=(attach)
else
	say "SKIPPED (c): this build has no zalo_tthc.attach(regclass, jsonb, jsonb, boolean); measuring (a) and (b) only"
fi
attached=no

# The database as seeded, with no sync of any kind and nothing in zalo_tthc
# but the followers and the stage rules.
reset_data() {
	if [[ $attached == yes ]]; then
		q -c "SELECT zalo_tthc.detach('motcua.ho_so')" >/dev/null
		attached=no
	fi
	q -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS motcua_zalo CASCADE" \
		-c "TRUNCATE zalo_tthc.dossier CASCADE" \
		-c "TRUNCATE motcua.ho_so, motcua.qua_trinh_xu_ly RESTART IDENTITY" \
		-c "SELECT motcua.seed($ROWS)" >/dev/null
	[[ $(q -tA -c "SELECT md5(string_agg(h::text, '' ORDER BY id)) FROM motcua.ho_so h") == "$checksum" ]] ||
		{ echo "motcua.seed($ROWS) gave other rows than the first time" >&2; exit 1; }
}

# set_up VARIANT: its triggers, and the load of the existing dossiers
# (timed, in load_seconds)
set_up() {
	local t0 out
	load_seconds=
	case $1 in
		plpgsql)
			q -f "$WORK/plpgsql_sync.sql" >/dev/null
			t0=$(now)
			q -c "SELECT motcua_zalo.nap_ban_dau()" >/dev/null
			load_seconds=$(elapsed "$t0")
			;;
		attach)
			# the attach() of test/onestop/attach.sql, with its backfill
			out=$(q -c '\timing on' -f "$WORK/attach_ho_so.sql")
			attached=yes
			load_seconds=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
			load_seconds=$(printf '%.1f' "$(echo "$load_seconds / 1000" | bc -l)")
			;;
	esac
	q -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
}

# run VARIANT ROUND: one pgbench run; prints its TPS, logs the details
run() {
	local out tps failed events
	local first_event
	first_event=$(q -tA -c "SELECT coalesce(max(id), 0) FROM zalo_tthc.dossier_event")
	out=$("$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c "$CLIENTS" -j "$((CLIENTS < 2 ? CLIENTS : 2))" \
		-T "$SECONDS_PER_RUN" -D rows="$ROWS" -f "$WORK/update_status.sql" bench 2>&1) || true
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
	failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
	[[ -n $tps ]] || { echo "$out" >&2; echo "pgbench failed in set-up $1" >&2; exit 1; }
	if grep -q aborted <<<"$out" || [[ ${failed:-0} != 0 ]]; then
		echo "$out" >&2
		echo "the application's UPDATE failed in set-up $1: a sync must never make it fail" >&2
		exit 1
	fi
	events=$(q -tA -c "SELECT count(*) FROM zalo_tthc.dossier_event WHERE id > $first_event")
	{
		echo "round $2, $1: $tps tps, $(echo "$out" | sed -n 's/^number of transactions actually processed: //p') transactions," \
			"$events stage changes recorded${load_seconds:+, load of the existing dossiers ${load_seconds}s}"
		if [[ $1 == plpgsql ]]; then
			q -tA -F ' ' -c "SELECT '  loi_dong_bo:', ma_loi, count(*) FROM motcua_zalo.loi_dong_bo GROUP BY ma_loi ORDER BY ma_loi"
		elif [[ $1 == attach && $(q -tA -c "SELECT to_regclass('zalo_tthc.attachments') IS NOT NULL") == t ]]; then
			q -c "SELECT * FROM zalo_tthc.attachments" | sed 's/^/  /'
		fi
	} >>"$RUNS_LOG"
	echo "$tps"
}

{
	echo "attach overhead, $(date -u +%F), $(nproc) cores, $ROWS dossiers, $CLIENTS clients," \
		"${SECONDS_PER_RUN}s x $ROUNDS rounds, synchronous_commit=$SYNC"
} >"$RUNS_LOG"

declare -A tps load
for round in $(seq 1 "$ROUNDS"); do
	for variant in "${variants[@]}"; do
		reset_data
		set_up "$variant"
		result=$(run "$variant" "$round")
		tps[$variant,$round]=$result
		[[ -n $load_seconds ]] && load[$variant]="${load[$variant]:-} ${load_seconds}s"
		say "round $round/$ROUNDS: $variant $result tps${load_seconds:+ (load ${load_seconds}s)}"
	done
done

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
{
	head -n 1 "$RUNS_LOG"
	echo "seed($ROWS): ${seed_seconds}s ($steps steps)"
	[[ " ${variants[*]} " == *" attach "* ]] ||
		echo "(c) SKIPPED: zalo_tthc.attach(regclass, jsonb, jsonb, boolean) does not exist in this build"
	printf '%-6s %12s %12s %12s %8s %8s %8s\n' round "(a) no trig" "(b) plpgsql" "(c) attach" "b/a" "c/a" "c/b"
	for round in $(seq 1 "$ROUNDS"); do
		a=${tps[plain,$round]} b=${tps[plpgsql,$round]} c=${tps[attach,$round]:-}
		printf '%-6s %12.0f %12.0f %12s %8s %8s %8s\n' "$round" "$a" "$b" "${c:+$(printf '%.0f' "$c")}" \
			"$(ratio "$b" "$a")" "${c:+$(ratio "$c" "$a")}" "${c:+$(ratio "$c" "$b")}"
	done
	echo "load of the existing dossiers: (b) nap_ban_dau()${load[plpgsql]:-}${load[attach]:+ | (c) attach() backfill${load[attach]}}"
	echo "per run:"
	tail -n +2 "$RUNS_LOG"
} | tee "$OUT"
