#!/usr/bin/env bash
# Trigger overhead: TPS of a stage-changing UPDATE on zalo_tthc.dossier
# (C triggers) against the same table with no trigger and with PL/pgSQL
# triggers doing the same work, in one run.  Rounds interleave the three
# variants and the median of each is reported, since the machine is shared.
#
#   BENCH_ROWS (100000)  BENCH_SECONDS (15 per run)  BENCH_ROUNDS (3)
#   BENCH_CLIENTS (4)    BENCH_SYNC (on: synchronous_commit)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/trigger/common.sh"

ROWS=${BENCH_ROWS:-100000}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-4}
SYNC=${BENCH_SYNC:-on}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"

start_bench_work
trigger_bench_load

declare -A tps round_tps
round_ratios=
for round in $(seq 1 "$ROUNDS"); do
	for variant in plain c plpgsql; do
		result=$(trigger_bench_tps "$variant")
		tps[$variant]="${tps[$variant]:-} $result"
		round_tps[$variant]=$result
		say "round $round/$ROUNDS: $variant $result tps"
		zt_psql "$WORK/pg" bench -c "VACUUM" -c "CHECKPOINT" >/dev/null
	done
	round_ratios="$round_ratios $(printf '%.3f' "$(echo "${round_tps[c]} / ${round_tps[plain]}" | bc -l)")"
done

plain=$(echo "${tps[plain]}" | median)
c=$(echo "${tps[c]}" | median)
plpgsql=$(echo "${tps[plpgsql]}" | median)
events=$(zt_psql "$WORK/pg" bench -tA -c "SELECT count(*) FROM zalo_tthc.outbox")

{
	echo "trigger overhead, $(date -u +%F), $(nproc) cores, $ROWS dossiers, $CLIENTS clients," \
		"${SECONDS_PER_RUN}s x $ROUNDS rounds, synchronous_commit=$SYNC"
	printf '%-28s %10s %14s\n' variant "tps(median)" "vs no trigger"
	printf '%-28s %10.0f %14s\n' "no trigger" "$plain" "1.00"
	printf '%-28s %10.0f %14.2f\n' "zalo_tthc C triggers" "$c" "$(echo "$c / $plain" | bc -l)"
	printf '%-28s %10.0f %14.2f\n' "PL/pgSQL triggers" "$plpgsql" "$(echo "$plpgsql / $plain" | bc -l)"
	printf 'C / PL/pgSQL: %.2f   (outbox rows written by the C trigger: %s)\n' \
		"$(echo "$c / $plpgsql" | bc -l)" "$events"
	echo "all runs (tps): plain${tps[plain]} | c${tps[c]} | plpgsql${tps[plpgsql]}"
	# each round's C run against the no-trigger run just before it: the
	# machine's slow drifts cancel out within a round
	printf 'C / no trigger, round by round:%s (median %.2f)\n' "$round_ratios" \
		"$(echo "$round_ratios" | median)"
} | tee "$OUT_DIR/trigger_overhead_sync_$SYNC.txt"
