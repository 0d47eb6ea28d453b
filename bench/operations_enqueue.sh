#!/usr/bin/env bash
# What the operations part costs a stage change: TPS of the enqueueing
# UPDATE (bench/trigger/update_c.sql) with outbox_claim_idx as 0.2.0 builds
# it (key plus the columns queue_summary counts, INCLUDE) against the narrow
# index of 0.1.0, in one run, rounds interleaved (order alternating),
# median of each.  The
# other objects of the operations part are not on the enqueue path: no
# trigger or counter on outbox or dossier_event, and the new outbox index
# (outbox_sent_idx) is partial on sent rows, which enqueueing never writes.
#
#   BENCH_ROWS (100000 dossiers)  BENCH_SECONDS (15 per run)  BENCH_ROUNDS (3)  BENCH_CLIENTS (4)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

ROWS=${BENCH_ROWS:-100000}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-4}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"

start_bench_work
cp "$ZT_ROOT"/bench/trigger/update_c.sql "$WORK/"
chmod 644 "$WORK"/*.sql

cluster_init "$WORK/pg" "shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" \
	"zalo_tthc.database_name = 'postgres'"
cluster_start "$WORK/pg"
q() { zt_psql "$WORK/pg" bench "$@"; }
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE bench"
say "loading $ROWS dossiers"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE" >/dev/null
q -c "INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
	SELECT (7000000000000000000 + i)::text, '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i
	FROM generate_series(1, $ROWS / 2) i" >/dev/null
q -c "SET zalo_tthc.bulk_import = on" -c "INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name,
	applicant_phone, stage, stage_note, due_at)
	SELECT format('000.00.04.H60-%s-%s', to_char(date '2024-01-01' + i / 9999, 'YYMMDD'), lpad((i % 9999 + 1)::text, 4, '0')),
		   'Cấp giấy phép xây dựng', 'Công dân ' || i, '+8491' || lpad(i::text, 7, '0'),
		   'supplement_requested', 'Bổ sung bản sao CCCD', now() + interval '15 days'
	FROM generate_series(1, $ROWS) i" >/dev/null

index_sql() {
	local include=""
	[[ $1 == wide ]] && include="INCLUDE (status, channel, created_at)"
	echo "DROP INDEX zalo_tthc.outbox_claim_idx; CREATE INDEX outbox_claim_idx ON zalo_tthc.outbox (next_attempt_at, id) $include WHERE status IN ('pending', 'failed')"
}

declare -A tps
# the outbox grows run after run: the order alternates so neither variant
# always meets the larger table
for round in $(seq 1 "$ROUNDS"); do
	order="wide narrow"
	((round % 2 == 0)) && order="narrow wide"
	for variant in $order; do
		q -c "$(index_sql $variant)" -c "VACUUM ANALYZE zalo_tthc.outbox" -c "CHECKPOINT" >/dev/null
		result=$(as_run_user "$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c "$CLIENTS" -j 2 \
			-T "$SECONDS_PER_RUN" -D rows="$ROWS" -f "$WORK/update_c.sql" bench 2>&1 |
			sed -n 's/^tps = \([0-9.]*\).*/\1/p')
		tps[$variant]="${tps[$variant]:-} $result"
		say "round $round/$ROUNDS: outbox_claim_idx $variant: $result tps"
	done
done

wide=$(echo "${tps[wide]}" | median)
narrow=$(echo "${tps[narrow]}" | median)
{
	echo "enqueue cost of the operations part, $(date -u +%F), $(nproc) cores, $ROWS dossiers, $CLIENTS clients," \
		"${SECONDS_PER_RUN}s x $ROUNDS rounds"
	printf '%-52s %10s %10s\n' "outbox_claim_idx" "tps(median)" "vs 0.1.0"
	printf '%-52s %10.0f %10s\n' "(next_attempt_at, id), as in 0.1.0" "$narrow" "1.00"
	printf '%-52s %10.0f %10.2f\n' "(next_attempt_at, id) INCLUDE (3 columns), 0.2.0" "$wide" "$(echo "$wide / $narrow" | bc -l)"
	echo "all runs (tps): narrow${tps[narrow]} | wide${tps[wide]}"
} | tee "$OUT_DIR/operations_enqueue.txt"
