#!/usr/bin/env bash
# Trigger cost in CPU instructions: the three variants of
# trigger_overhead.sh (no trigger, the extension's C triggers, PL/pgSQL
# triggers), each as BENCH_UPDATES stage-changing UPDATEs run by one
# single-user backend under callgrind.  Instructions do not depend on what
# else the machine is doing, so this shows a change of the trigger's own
# work that the TPS spread of a shared machine hides; it does not see
# I/O, WAL flushes, locks between clients or cache misses, which the TPS
# benchmark does.  Each variant's instructions per UPDATE are those of the
# run minus those of a run with no UPDATE (start-up and shut-down), after
# a warm-up run.
#
#   BENCH_ROWS (100000)  BENCH_UPDATES (3000)
#   BENCH_REPEAT (2; keep it even: successive runs move the dossiers back
#   and forth between two stages, whose checks differ)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/trigger/common.sh"

ROWS=${BENCH_ROWS:-100000}
UPDATES=${BENCH_UPDATES:-3000}
REPEAT=${BENCH_REPEAT:-2}
SYNC=on # the cluster setting of trigger_bench_load
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"

start_bench_work
command -v valgrind >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
trigger_bench_load
cluster_stop "$WORK/pg"

# updates_sql TABLE RUN: the UPDATEs of update_*.sql with fixed dossier ids
# (the same for every variant) and a note new in every run (a stage that
# needs a note refuses the previous one)
updates_sql() {
	awk -v table="$1" -v run="$2" -v n="$UPDATES" -v rows="$ROWS" 'BEGIN {
		srand(42);
		for (i = 1; i <= n; i++)
			printf "UPDATE %s SET stage = CASE WHEN stage = '\''supplement_requested'\'' THEN '\''supplement_submitted'\'' ELSE '\''supplement_requested'\'' END::zalo_tthc.stage, stage_note = '\''Bổ sung bản sao CCCD, lần %s-%d'\'' WHERE id = %d\n", table, run, i, 1 + int(rand() * rows)
	}'
}

# instructions FILE: callgrind's instruction count of a single-user backend
# running the statements of FILE (one a line); fails on any error
instructions() {
	local log=$WORK/callgrind.log
	as_run_user valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$PGBIN/postgres" --single -D "$WORK/pg/data" bench <"$1" >/dev/null 2>"$log"
	if grep -q ' ERROR: ' "$log"; then
		grep -m 3 ' ERROR: ' "$log" >&2
		return 1
	fi
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}

declare -A table=([plain]=bench.dossier_plain [c]=zalo_tthc.dossier [plpgsql]=bench.dossier_plpgsql)
declare -A per_update
echo "SELECT 1" >"$WORK/none.sql"
chmod 644 "$WORK/none.sql"
# run 0 warms up: the first change of each page after the load also prunes
# it and sets hint bits, the same for all three variants
for run in $(seq 0 "$REPEAT"); do
	base=$(instructions "$WORK/none.sql")
	for variant in plain c plpgsql; do
		updates_sql "${table[$variant]}" "$run" >"$WORK/updates.sql"
		chmod 644 "$WORK/updates.sql"
		total=$(instructions "$WORK/updates.sql")
		n=$(((total - base) / UPDATES))
		if ((run == 0)); then
			say "warm-up: $variant $n instructions per UPDATE"
			continue
		fi
		per_update[$variant]="${per_update[$variant]:-} $n"
		say "run $run/$REPEAT: $variant $n instructions per UPDATE"
	done
done

plain=$(printf '%.0f' "$(echo "${per_update[plain]}" | median)")
c=$(printf '%.0f' "$(echo "${per_update[c]}" | median)")
plpgsql=$(printf '%.0f' "$(echo "${per_update[plpgsql]}" | median)")
{
	echo "trigger instructions, $(date -u +%F), $ROWS dossiers, $UPDATES updates x $REPEAT runs, one single-user backend"
	printf '%-28s %14s %14s %16s\n' variant "instr/update" "added" "no trigger / it"
	printf '%-28s %14.0f %14s %16s\n' "no trigger" "$plain" "" "1.00"
	printf '%-28s %14.0f %14.0f %16.2f\n' "zalo_tthc C triggers" "$c" "$((c - plain))" "$(echo "$plain / $c" | bc -l)"
	printf '%-28s %14.0f %14.0f %16.2f\n' "PL/pgSQL triggers" "$plpgsql" "$((plpgsql - plain))" "$(echo "$plain / $plpgsql" | bc -l)"
	echo "all runs: plain${per_update[plain]} | c${per_update[c]} | plpgsql${per_update[plpgsql]}"
} | tee "$OUT_DIR/trigger_instructions.txt"
