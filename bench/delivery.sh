#!/usr/bin/env bash
# Delivery benchmark of the worker against zalo-mock, in one run:
#  1. commit-to-request latency on an idle system, first, on the fresh
#     cluster: the time the mock received the request minus the commit time
#     of the stage change (track_commit_timestamp of its dossier_event row);
#  2. the mock's own ceiling: wrk posting transaction messages with as many
#     connections as the worker may keep in flight, mock answering in 0 ms
#     and in 50 ms;
#  3. the worker's throughput on a full queue, same mock settings, as a
#     fraction of that ceiling;
#  4. with BENCH_MEMORY_N > 0, the worker's private memory (RssAnon) after
#     a warm-up and after BENCH_MEMORY_N more notifications.
#
#   BENCH_N (50000 per throughput run)  BENCH_IN_FLIGHT (256)
#   BENCH_LATENCY_SAMPLES (300)  BENCH_MEMORY_N (0; 1000000 for the full run)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/delivery/common.sh"

N=${BENCH_N:-50000}
IN_FLIGHT=${BENCH_IN_FLIGHT:-256}
SAMPLES=${BENCH_LATENCY_SAMPLES:-300}
MEMORY_N=${BENCH_MEMORY_N:-0}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/delivery.txt

prepare_machine
WORK=$(make_work_dir bench)
MOCK_PID=
cleanup() {
	cluster_stop "$WORK/pg" immediate
	[[ -n $MOCK_PID ]] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the mock ---------------------------------------------------------------
start_mock "$WORK"
URL=$MOCK_URL
mock() { mock_post "/_mock/$1" "$2"; }
delivery_mock_setup
mock_stats() { curl -sf "$URL/_mock/stats"; }

# --- the cluster --------------------------------------------------------------
mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"
mapfile -t urls < <(delivery_urls "$URL")
cluster_init "$WORK/pg" "shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" \
	"${delivery_conf[@]}" "${urls[@]}" "zalo_tthc.max_in_flight = $IN_FLIGHT" "zalo_tthc.batch_size = 200"
cluster_start "$WORK/pg"
q() { zt_psql "$WORK/pg" tthc -tA "$@"; }
delivery_db_setup "$WORK/pg"

# queue n new dossiers (one notification each), spread over the followers
queue_dossiers() {
	queue_dossiers_from "$1" $(($(dossiers) + 1))
}
dossiers() { q -c "SELECT count(*) FROM zalo_tthc.dossier"; }
pending() { q -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')"; }
wait_drained() {
	local left
	while left=$(pending) && ((left > 0)); do
		printf '\r    %s notifications left ' "$left" >&2
		sleep 1
	done
	printf '\r%40s\r' '' >&2
}

# worker throughput on a full queue: notifications/s
worker_rate() {
	local n=$1
	q -c "UPDATE zalo_tthc.oa_credentials SET reauthorization_required = true" >/dev/null
	sleep 1
	queue_dossiers "$n"
	local t0
	t0=$(q -c "SELECT extract(epoch FROM clock_timestamp())")
	delivery_set_credentials
	wait_drained
	q -c "SELECT round(count(*) / extract(epoch FROM max(sent_at) - to_timestamp($t0)))
		FROM zalo_tthc.outbox WHERE id > (SELECT max(id) - $n FROM zalo_tthc.outbox) AND status = 'sent'"
}

# the mock's ceiling with wrk: requests/s
delivery_post_lua "$WORK/post.lua"
mock_ceiling() {
	local rate
	rate=$(wrk -t2 -c"$IN_FLIGHT" -d8s -s "$WORK/post.lua" "$URL/v3.0/oa/message/transaction" |
		sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
	printf '%.0f' "$rate"
}

# --- commit-to-request latency, idle system --------------------------------------
say "commit-to-request latency: $SAMPLES single stage changes, 50 ms apart"
mock config '{"latency_ms":0,"record":"full"}'
first=$(($(dossiers) + 1))
queue_dossiers "$SAMPLES"
wait_drained
# one session, one stage change every 50 ms
for i in $(seq "$first" "$(dossiers)"); do
	echo "UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = format('000.00.04.H60-261125-B%s', lpad('$i', 7, '0'));"
	echo "SELECT pg_sleep(0.05);"
done | q >/dev/null
wait_drained
latency=$(delivery_latency "$WORK")
read -r lat_n lat_p50 lat_p99 lat_max lat_s50 lat_s99 <<<"$latency"

mock config '{"record":"counts"}'

declare -A ceiling rate
for latency in 0 50; do
	mock config "{\"latency_ms\":$latency}"
	say "latency $latency ms: the mock's ceiling (wrk, $IN_FLIGHT connections)"
	ceiling[$latency]=$(mock_ceiling)
	say "latency $latency ms: the worker on $N queued notifications"
	rate[$latency]=$(worker_rate "$N")
	say "latency $latency ms: mock ${ceiling[$latency]} req/s, worker ${rate[$latency]} notifications/s"
done

# --- memory --------------------------------------------------------------------------
mem_line="memory: not measured (BENCH_MEMORY_N=0)"
if ((MEMORY_N > 0)); then
	pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'")
	rss() { awk '/^RssAnon/ {print $2}' "/proc/$pid/status"; }
	before=$(rss)
	say "memory: worker $pid RssAnon ${before} kB after $(dossiers) notifications; sending $MEMORY_N more"
	left=$MEMORY_N
	while ((left > 0)); do
		chunk=$((left < 100000 ? left : 100000))
		queue_dossiers "$chunk"
		wait_drained
		left=$((left - chunk))
		say "memory: $((MEMORY_N - left)) sent, RssAnon $(rss) kB"
	done
	after=$(rss)
	mem_line=$(printf 'memory (RssAnon of the worker): %s kB before, %s kB after %s more notifications (ratio %.2f)' \
		"$before" "$after" "$MEMORY_N" "$(echo "$after / $before" | bc -l)")
fi

{
	echo "delivery, $(date -u +%F), $(nproc) cores, max_in_flight $IN_FLIGHT, $N notifications per run, rate_limit 0"
	printf '%-16s %14s %16s %10s\n' "mock latency" "mock req/s" "worker notif/s" "fraction"
	for latency in 0 50; do
		printf '%-16s %14s %16s %10.2f\n' "$latency ms" "${ceiling[$latency]}" "${rate[$latency]}" \
			"$(echo "${rate[$latency]} / ${ceiling[$latency]}" | bc -l)"
	done
	echo "commit-to-request latency, idle, $lat_n samples: p50 $lat_p50 ms, p99 $lat_p99 ms, max $lat_max ms (request started: p50 $lat_s50 ms, p99 $lat_s99 ms)"
	echo "$mem_line"
	echo "mock: $(mock_stats | jq -c '{ok, errors, requests}')"
	echo "delivery log (outcome attempts avg_ms max_ms):" $(q -c "SELECT string_agg(outcome || ' ' || n || ' ' || a || ' ' || m, '; ')
		FROM (SELECT outcome, count(*) n, round(avg(latency_ms)) a, round(max(latency_ms)) m
			  FROM zalo_tthc.delivery_attempt GROUP BY 1) s")
} | tee "$OUT"
