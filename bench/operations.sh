#!/usr/bin/env bash
# Cost of a scrape: p50/p99 latency of metrics() and queue_summary against a
# naive count(*) ... GROUP BY over the whole outbox, in one run, on
# BENCH_ROWS (1,000,000) outbox rows of mixed states (bench/operations/
# setup.sql), in two scenarios:
#   steady:  3 % of the notifications open (pending, failed, sending);
#   backlog: 20 % open, as after hours of Zalo being unreachable.
# Each query runs BENCH_QUERIES times (naive ones BENCH_NAIVE_QUERIES) per
# round from one pgbench client, rounds interleaved; percentiles are taken
# over the per-query latencies of all rounds (pgbench --log).
#
#   BENCH_ROWS (1000000)  BENCH_QUERIES (300)  BENCH_NAIVE_QUERIES (60)  BENCH_ROUNDS (2)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

ROWS=${BENCH_ROWS:-1000000}
QUERIES=${BENCH_QUERIES:-300}
NAIVE_QUERIES=${BENCH_NAIVE_QUERIES:-60}
ROUNDS=${BENCH_ROUNDS:-2}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/operations.txt

start_bench_work
mkdir -p "$WORK/log"
cp "$ZT_ROOT"/bench/operations/*.sql "$WORK/"
chmod 644 "$WORK"/*.sql
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/log"

# the worker serves the benchmark database (it has no credentials, so it
# sends nothing): worker_status() reads a live worker
cluster_init "$WORK/pg" "shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" \
	"zalo_tthc.database_name = 'bench'"
cluster_start "$WORK/pg"
q() { zt_psql "$WORK/pg" bench "$@"; }
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE bench"
say "loading $ROWS outbox rows of mixed states"
q -v rows="$ROWS" -f "$WORK/setup.sql" >/dev/null
q -c "VACUUM ANALYZE" >/dev/null

# p50 and p99 (ms) of the latencies in pgbench logs
percentiles() {
	cat "$@" | awk '{print $3 / 1000.0}' | sort -g |
		awk '{a[NR]=$1} END {i50=int(NR*0.50); i99=int(NR*0.99); if (i50<1) i50=1; if (i99<1) i99=1;
			printf "%.2f %.2f %d", a[i50], a[i99], NR}'
}

declare -A result
run_scenario() {
	local scenario=$1 variant n
	for round in $(seq 1 "$ROUNDS"); do
		for variant in metrics queue_summary naive_status naive_stage; do
			n=$QUERIES
			[[ $variant == naive_* ]] && n=$NAIVE_QUERIES
			as_run_user "$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c 1 -t "$n" \
				-f "$WORK/$variant.sql" --log --log-prefix="$WORK/log/$scenario.$variant.$round" bench >/dev/null 2>&1
		done
		say "$scenario: round $round/$ROUNDS done"
	done
	for variant in metrics queue_summary naive_status naive_stage; do
		result[$scenario.$variant]=$(percentiles "$WORK"/log/"$scenario.$variant".*)
	done
	q -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM zalo_tthc.queue_summary" >"$WORK/explain.$scenario.txt"
}

open_rows() { q -tA -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')"; }
q -c "SELECT zalo_tthc.metrics()" >/dev/null
steady_open=$(open_rows)
run_scenario steady

say "backlog: 17 % of the sent notifications back to pending"
q -c "UPDATE zalo_tthc.outbox SET status = 'pending', sent_at = NULL, attempts = 0
	WHERE status = 'sent' AND id % 1000 < 185" >/dev/null
q -c "VACUUM ANALYZE" >/dev/null
backlog_open=$(open_rows)
run_scenario backlog

ms() { echo "${result[$1]}" | cut -d' ' -f"$2"; }
{
	echo "operations, $(date -u +%F), $(nproc) cores, $ROWS outbox rows, $ROUNDS rounds," \
		"$QUERIES queries per round ($NAIVE_QUERIES for the naive ones), one client"
	for scenario in steady backlog; do
		open=$steady_open
		[[ $scenario == backlog ]] && open=$backlog_open
		echo
		echo "$scenario: $open open notifications"
		printf '%-46s %9s %9s %7s %16s\n' query "p50(ms)" "p99(ms)" samples "p99 naive/this"
		for variant in metrics queue_summary naive_status naive_stage; do
			label=$variant
			case $variant in
				metrics) label="zalo_tthc.metrics()" ;;
				queue_summary) label="SELECT * FROM zalo_tthc.queue_summary" ;;
				naive_status) label="naive: count(*) GROUP BY status, channel" ;;
				naive_stage) label="naive: count(*) GROUP BY stage, channel, status" ;;
			esac
			ratio=""
			if [[ $variant != naive_* ]]; then
				ratio=$(printf '%.1f' "$(echo "$(ms "$scenario.naive_stage" 2) / $(ms "$scenario.$variant" 2)" | bc -l)")
			fi
			printf '%-46s %9s %9s %7s %16s\n' "$label" "$(ms "$scenario.$variant" 1)" \
				"$(ms "$scenario.$variant" 2)" "$(ms "$scenario.$variant" 3)" "$ratio"
		done
	done
	echo
	echo "plan of queue_summary (steady):"
	sed 's/^/    /' "$WORK/explain.steady.txt"
} | tee "$OUT"
