#!/usr/bin/env bash
# Trigger cost of this checkout's library against another commit's, on one
# cluster and one data set.  The two builds take turns (the server restarts
# between them); each turn runs the no-trigger UPDATE and the C-trigger
# UPDATE of trigger_overhead.sh, so each round gives both builds' ratio to
# the same baseline minutes apart; the order alternates between rounds.  trigger_overhead.sh answers "how far
# from no trigger"; this answers "did a change of the C code help", which
# the spread between separate runs on a shared machine hides.  The schema
# is this checkout's for both builds: only the C code is compared.
#
#   BENCH_BASE (HEAD~1)  BENCH_ROWS (100000)  BENCH_SECONDS (10 per run)
#   BENCH_ROUNDS (4)     BENCH_CLIENTS (4)    BENCH_SYNC (on)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/trigger/common.sh"

BASE=${BENCH_BASE:-HEAD~1}
ROWS=${BENCH_ROWS:-100000}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-4}
CLIENTS=${BENCH_CLIENTS:-4}
SYNC=${BENCH_SYNC:-on}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"

base_rev=$(git -C "$ZT_ROOT" rev-parse --short "$BASE")
start_bench_work
LIBDIR=$ZT_INSTALL/usr/lib/postgresql/15/lib
trap 'cluster_stop "$WORK/pg" immediate; git -C "$ZT_ROOT" worktree remove --force "$WORK/base" 2>/dev/null || true; rm -rf "$WORK"' EXIT

say "building $BASE ($base_rev)"
git -C "$ZT_ROOT" worktree add --detach "$WORK/base" "$base_rev" >/dev/null 2>&1
make -C "$WORK/base" -s -j2 PG_CONFIG="$PG_CONFIG" zalo_tthc.so >/dev/null
cp "$WORK/base/zalo_tthc.so" "$WORK/base.so"
cp "$LIBDIR/zalo_tthc.so" "$WORK/this.so"

trigger_bench_load

# use_library BUILD: the server restarted with that build's library (a new
# file, never rewritten under a running server)
use_library() {
	cluster_stop "$WORK/pg" fast
	cp "$WORK/$1.so" "$LIBDIR/zalo_tthc.so.new"
	mv "$LIBDIR/zalo_tthc.so.new" "$LIBDIR/zalo_tthc.so"
	cluster_start "$WORK/pg"
}
tps_of() {
	zt_psql "$WORK/pg" bench -c "VACUUM" -c "CHECKPOINT" >/dev/null
	trigger_bench_tps "$1"
}

declare -A ratios
for round in $(seq 1 "$ROUNDS"); do
	# base first in odd rounds, second in even ones: the tables grow with
	# every run, and that drift falls on both builds alike
	order="base this"
	((round % 2 == 0)) && order="this base"
	for build in $order; do
		use_library "$build"
		plain=$(tps_of plain)
		c=$(tps_of c)
		ratio=$(echo "$c / $plain" | bc -l)
		ratios[$build]="${ratios[$build]:-} $ratio"
		say "round $round/$ROUNDS: $build no trigger $plain tps, C triggers $c tps, ratio $(printf '%.3f' "$ratio")"
	done
done
use_library this

base_median=$(echo "${ratios[base]}" | median)
this_median=$(echo "${ratios[this]}" | median)
{
	echo "trigger cost, this checkout ($(git -C "$ZT_ROOT" rev-parse --short HEAD)$(git -C "$ZT_ROOT" diff --quiet || echo '+changes'))" \
		"against $BASE ($base_rev), $(date -u +%F), $(nproc) cores, $ROWS dossiers, $CLIENTS clients," \
		"${SECONDS_PER_RUN}s x $ROUNDS rounds, synchronous_commit=$SYNC"
	printf 'C triggers / no trigger, median of rounds: base %.3f, this %.3f (this / base %.3f)\n' \
		"$base_median" "$this_median" "$(echo "$this_median / $base_median" | bc -l)"
	echo "per round: base${ratios[base]} | this${ratios[this]}" |
		awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) $i = sprintf("%.3f", $i); print}'
} | tee "$OUT_DIR/trigger_compare_sync_$SYNC.txt"
