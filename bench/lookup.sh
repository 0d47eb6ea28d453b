#!/usr/bin/env bash
# Lookup latency: p50/p99 of each kind of lookup() on BENCH_LOOKUP_ROWS
# dossiers with realistic Vietnamese names (bench/lookup/setup.sql), one
# client, each lookup its own transaction (audit row and commit included).
# The full-name queries are run again with index scans turned off, with
# the same random seed, so the same names are looked up by sequential scan
# in the same run: the ratio of the two is the index's gain.
#
#   BENCH_LOOKUP_ROWS (1000000)  BENCH_LOOKUP_N (2000 lookups per kind)
#   BENCH_LOOKUP_SEQ_N (20 sequential-scan lookups)  BENCH_SYNC (on)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

ROWS=${BENCH_LOOKUP_ROWS:-1000000}
N=${BENCH_LOOKUP_N:-2000}
SEQ_N=${BENCH_LOOKUP_SEQ_N:-20}
SYNC=${BENCH_SYNC:-on}
SEED=${BENCH_SEED:-20260101}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"

prepare_machine
WORK=$(make_work_dir bench-lookup)
trap 'cluster_stop "$WORK/pg" immediate; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/pg" "$WORK/logs"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"
cp "$ZT_ROOT"/bench/lookup/*.sql "$WORK/"
chmod 644 "$WORK"/*.sql

cluster_init "$WORK/pg" "shared_buffers = 1GB" "synchronous_commit = $SYNC" "max_wal_size = 4GB" \
	"checkpoint_timeout = 30min" "zalo_tthc.database_name = 'postgres'"
cluster_start "$WORK/pg"
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE bench"
say "loading $ROWS dossiers (bulk import)"
start=$(date +%s)
zt_psql "$WORK/pg" bench -v rows="$ROWS" -f "$WORK/setup.sql" >/dev/null
load_s=$(($(date +%s) - start))
# warm the caches: table and indexes
zt_psql "$WORK/pg" bench -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
	-c "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.relnamespace = 'zalo_tthc'::regnamespace AND c.relkind IN ('r', 'i')" >/dev/null

# run_kind NAME SCRIPT COUNT [PGOPTIONS]: COUNT lookups, latencies (us) in logs/NAME
run_kind() {
	local name=$1 script=$2 count=$3
	rm -f "$WORK/logs/$name".*
	(cd "$WORK/logs" && PGOPTIONS=${4:-} "$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c 1 \
		-t "$count" --random-seed="$SEED" -D rows="$ROWS" -f "$WORK/$script" \
		--log --log-prefix="$name" bench >/dev/null 2>"$WORK/logs/$name.err") ||
		{ cat "$WORK/logs/$name.err" >&2; return 1; }
	cat "$WORK/logs/$name".[0-9]* | awk '{print $3}' | sort -n >"$WORK/logs/$name.us"
}
# percentile NAME P: the P-th percentile latency of NAME in ms
percentile() {
	awk -v p="$2" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; printf "%.3f", a[i]/1000}' "$WORK/logs/$1.us"
}

say "lookups: $N per kind, one client"
run_kind code code.sql "$N"
run_kind id_number id_number.sql "$N"
run_kind name name.sql "$N"
run_kind name_birth_year name_birth_year.sql "$N"
run_kind name_words name_words.sql "$((N / 4))"
say "the first $SEQ_N full-name lookups again, by sequential scan"
run_kind name_seqscan name.sql "$SEQ_N" "-c enable_indexscan=off -c enable_bitmapscan=off -c enable_indexonlyscan=off"
run_kind name_first name.sql "$SEQ_N"

plans=$(zt_psql "$WORK/pg" bench -tA -c "SELECT count(*) FROM zalo_tthc.lookup_audit")
{
	echo "lookup latency, $(date -u +%F), $(nproc) cores, $ROWS dossiers (loaded in ${load_s}s)," \
		"1 client, synchronous_commit=$SYNC, $plans audited lookups"
	printf '%-34s %8s %10s %10s %10s\n' kind lookups "p50 ms" "p99 ms" "max ms"
	for k in code id_number name name_birth_year name_words; do
		printf '%-34s %8s %10s %10s %10s\n' "$k" "$(wc -l <"$WORK/logs/$k.us")" \
			"$(percentile "$k" 50)" "$(percentile "$k" 99)" "$(percentile "$k" 100)"
	done
	printf '%-34s %8s %10s %10s %10s\n' "name, same $SEQ_N names, indexes" "$SEQ_N" \
		"$(percentile name_first 50)" "$(percentile name_first 99)" "$(percentile name_first 100)"
	printf '%-34s %8s %10s %10s %10s\n' "name, same $SEQ_N names, seq scan" "$SEQ_N" \
		"$(percentile name_seqscan 50)" "$(percentile name_seqscan 99)" "$(percentile name_seqscan 100)"
	printf 'seq scan / index, p50 of the same names: %.0f\n' \
		"$(echo "$(percentile name_seqscan 50) / $(percentile name_first 50)" | bc -l)"
} | tee "$OUT_DIR/lookup.txt"
