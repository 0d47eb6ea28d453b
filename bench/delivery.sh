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
mock config '{"app_id":"1234567890123456789","app_secret":"S3CR3T","oa_secret_key":"OAKEY","record":"counts"}'
mock tokens '{"access_token":"AT_0","refresh_token":"RT_0","expires_in":90000}'
# 1000 followers, user ids 5000000000000000001..
mock users "$(seq 1 1000 | jq -sc 'map({user_id: ("5" + (tostring | ("000000000000000000" + .)[-18:])), follower: true})')"
mock_stats() { curl -sf "$URL/_mock/stats"; }

# --- the cluster --------------------------------------------------------------
mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"
cluster_init "$WORK/pg" "shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" \
	"zalo_tthc.database_name = 'tthc'" "zalo_tthc.api_base_url = '$URL'" \
	"zalo_tthc.oauth_base_url = '$URL'" "zalo_tthc.zns_base_url = '$URL'" \
	"zalo_tthc.allow_insecure_http = on" \
	"zalo_tthc.rate_limit = 0" "zalo_tthc.max_in_flight = $IN_FLIGHT" "zalo_tthc.batch_size = 200" \
	"track_commit_timestamp = on"
cluster_start "$WORK/pg"
q() { zt_psql "$WORK/pg" tthc -tA "$@"; }
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE tthc"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE" >/dev/null
q -c "INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
	SELECT '5' || lpad(i::text, 18, '0'), '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i
	FROM generate_series(1, 1000) i" >/dev/null
q -c "SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
	now() + interval '25 hours', 'OAKEY')" >/dev/null

# queue n new dossiers (one notification each), spread over the followers
queue_dossiers() {
	q -c "INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
		SELECT format('000.00.04.H60-261125-B%s', lpad(i::text, 7, '0')), 'Đăng ký hộ kinh doanh',
			   'Công dân ' || (i % 1000 + 1), '+8491' || lpad((i % 1000 + 1)::text, 7, '0'),
			   now() + interval '10 days'
		FROM (SELECT count(*) AS done FROM zalo_tthc.dossier) d, generate_series(d.done + 1, d.done + $1) i" >/dev/null
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
	q -c "SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
		now() + interval '25 hours', 'OAKEY')" >/dev/null
	wait_drained
	q -c "SELECT round(count(*) / extract(epoch FROM max(sent_at) - to_timestamp($t0)))
		FROM zalo_tthc.outbox WHERE id > (SELECT max(id) - $n FROM zalo_tthc.outbox) AND status = 'sent'"
}

# the mock's ceiling with wrk: requests/s
cat >"$WORK/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["access_token"] = "AT_0"
wrk.body = '{"recipient":{"user_id":"5000000000000000001"},"message":{"attachment":{"type":"template","payload":{"template_type":"transaction_event","language":"VI","elements":[{"type":"header","content":"Hồ sơ đã được tiếp nhận","align":"left"},{"type":"table","content":[{"key":"Mã hồ sơ","value":"000.00.04.H60-261125-B0000001"},{"key":"Trạng thái","value":"Đã tiếp nhận","style":"blue"}]}]}}}}'
EOF
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
curl -sf "$URL/_mock/requests?path=/v3.0/oa/message/transaction" |
	jq -r '.[] | [(.body.message.attachment.payload.elements[] | select(.type == "table") | .content[0].value), .time_us] | @tsv' \
		>"$WORK/received.tsv"
chmod 644 "$WORK/received.tsv"
latency=$(q -c "CREATE TEMP TABLE rx0 (code text, time_us bigint)" \
	-c "\\copy rx0 FROM '$WORK/received.tsv'" \
	-c "CREATE TEMP TABLE rx AS SELECT code, max(time_us) AS time_us FROM rx0 GROUP BY code" \
	-c "WITH l AS (
		SELECT (rx.time_us - extract(epoch FROM pg_xact_commit_timestamp(e.xmin)) * 1e6) / 1000.0 AS ms
		FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
		JOIN zalo_tthc.dossier_event e ON e.id = o.event_id
		JOIN rx ON rx.code = d.code WHERE o.stage = 'received')
	SELECT count(*) || ' ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' ||
		round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' || round(max(ms)::numeric, 1) FROM l")
read -r lat_n lat_p50 lat_p99 lat_max <<<"$latency"

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
	echo "commit-to-request latency, idle, $lat_n samples: p50 $lat_p50 ms, p99 $lat_p99 ms, max $lat_max ms"
	echo "$mem_line"
	echo "mock: $(mock_stats | jq -c '{ok, errors, requests}')"
	echo "delivery log (outcome attempts avg_ms max_ms):" $(q -c "SELECT string_agg(outcome || ' ' || n || ' ' || a || ' ' || m, '; ')
		FROM (SELECT outcome, count(*) n, round(avg(latency_ms)) a, round(max(latency_ms)) m
			  FROM zalo_tthc.delivery_attempt GROUP BY 1) s")
} | tee "$OUT"
