#!/usr/bin/env bash
# The delivery engine, this checkout's build against another commit's
# (BENCH_BASE), on one cluster in one run; the two builds take turns
# (the server restarts between them, and the database is made again with
# the schema of the build that runs).
#
# For each build, each endpoint and each max_in_flight:
#  - notifications/s on a full queue of BENCH_N, as a fraction of what the
#    endpoint's latency allows (max_in_flight / latency) and of the
#    endpoint's own ceiling (wrk with as many connections);
#  - the worker's CPU per notification (utime + stime of the worker from
#    /proc/<pid>/stat over the run, divided by the notifications sent).
# Endpoints: zalo-mock answering in 0 ms and in 50 ms, and a minimal
# Node.js endpoint (bench/engine/endpoint.js) answering in 50 ms.
# For each endpoint and max_in_flight, the least a libcurl client spends
# per request (bench/engine/curl_floor.c: the same message, as many
# requests on the wire, no database, no JSON): the HTTP half of the
# worker's CPU per notification.
# Then, for each build, commit-to-request latency (the mock's receive time
# minus the commit time of the stage change) on an idle system, one change
# every 50 ms, and under a steady BENCH_STEADY_RATE changes/s (pgbench -R).
#
#   BENCH_BASE (HEAD~1)  BENCH_N (10000)  BENCH_IN_FLIGHT ("32 256 1000")
#   BENCH_BATCH (empty: the default batch_size)
#   BENCH_LATENCY_SAMPLES (200)  BENCH_STEADY_RATE (1000)  BENCH_STEADY_SECONDS (10)
#   BENCH_ENDPOINTS ("mock0 mock50 node50")  BENCH_BUILDS ("base this")
#   BENCH_ROUNDS (1; more: the builds take turns that many times, and each
#   figure of rate and CPU is the median of the rounds)
#   BENCH_PERF (empty; 1: perf record -g of this build's worker in each
#   run, reports in bench/out/engine-ENDPOINT-FLIGHT.perf.txt; dwarf: the
#   same with DWARF call graphs, and the share of each step of the loop in
#   bench/out/engine-ENDPOINT-FLIGHT.phases.txt)
#   BENCH_EXPLAIN (empty; 1: auto_explain of 30 % of the statements, with
#   timing and triggers, in bench/out/engine-server.log)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/delivery/common.sh"

BASE=${BENCH_BASE:-HEAD~1}
N=${BENCH_N:-10000}
IN_FLIGHTS=${BENCH_IN_FLIGHT:-32 256 1000}
BATCH=${BENCH_BATCH:-}
SAMPLES=${BENCH_LATENCY_SAMPLES:-200}
STEADY_RATE=${BENCH_STEADY_RATE:-1000}
STEADY_SECONDS=${BENCH_STEADY_SECONDS:-10}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/engine.txt

base_rev=$(git -C "$ZT_ROOT" rev-parse --short "$BASE")
this_rev=$(git -C "$ZT_ROOT" rev-parse --short HEAD)
start_bench_work
command -v node >/dev/null || {
	say "installing nodejs (the second endpoint)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs >/dev/null
}
LIBDIR=$ZT_INSTALL/usr/lib/postgresql/15/lib
MOCK_PID=
EP_PIDS=()
cleanup() {
	cluster_stop "$WORK/pg" immediate
	[[ -n ${BENCH_EXPLAIN:-} && -f $WORK/pg/server.log ]] && cp "$WORK/pg/server.log" "$OUT_DIR/engine-server.log"
	[[ -d $WORK/this.ext ]] && rm -f "$EXTDIR"/zalo_tthc* && cp "$WORK/this.ext"/zalo_tthc* "$EXTDIR/"
	[[ -f $WORK/this.so ]] && cp "$WORK/this.so" "$LIBDIR/zalo_tthc.so"
	[[ -n $MOCK_PID ]] && kill "$MOCK_PID" 2>/dev/null
	((${#EP_PIDS[@]})) && kill "${EP_PIDS[@]}" 2>/dev/null
	git -C "$ZT_ROOT" worktree remove --force "$WORK/base" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

say "building $BASE ($base_rev)"
git -C "$ZT_ROOT" worktree add --detach "$WORK/base" "$base_rev" >/dev/null 2>&1
make -C "$WORK/base" -s -j2 PG_CONFIG="$PG_CONFIG" install DESTDIR="$WORK/base-install" >/dev/null
# each build runs with its own library and its own extension scripts
EXTDIR=$ZT_INSTALL$("$PG_CONFIG" --sharedir)/extension
mkdir -p "$WORK/base.ext" "$WORK/this.ext"
cp "$WORK/base-install$("$PG_CONFIG" --pkglibdir)/zalo_tthc.so" "$WORK/base.so"
cp "$WORK/base-install$("$PG_CONFIG" --sharedir)"/extension/zalo_tthc* "$WORK/base.ext/"
cp "$LIBDIR/zalo_tthc.so" "$WORK/this.so"
cp "$EXTDIR"/zalo_tthc* "$WORK/this.ext/"

# --- endpoints ------------------------------------------------------------------
start_mock "$WORK"
mock() { mock_post "/_mock/$1" "$2"; }
delivery_mock_setup
declare -A URL LATENCY
URL[mock0]=$MOCK_URL
URL[mock50]=$MOCK_URL
LATENCY[mock0]=0
LATENCY[mock50]=50
start_endpoint() {
	DELAY_MS=$2 node "$ZT_ROOT/bench/engine/endpoint.js" >"$WORK/$1.out" 2>"$WORK/$1.err" &
	EP_PIDS+=($!)
	for _ in $(seq 100); do
		grep -q '^listening on' "$WORK/$1.out" 2>/dev/null && break
		sleep 0.1
	done
	URL[$1]="http://$(sed -n 's/^listening on //p' "$WORK/$1.out")"
	LATENCY[$1]=$2
}
start_endpoint node50 50
ENDPOINTS=${BENCH_ENDPOINTS:-mock0 mock50 node50}
set_endpoint() {
	case $1 in
	mock0) mock config '{"latency_ms":0}' ;;
	mock50) mock config '{"latency_ms":50}' ;;
	esac
}

# --- the cluster --------------------------------------------------------------------
mapfile -t urls < <(delivery_urls "$MOCK_URL")
explain_conf=()
# BENCH_EXPLAIN=1: the plans of a sample of the statements, with their timing
# and triggers, in bench/out/engine-server.log
[[ -n ${BENCH_EXPLAIN:-} ]] && explain_conf=("shared_preload_libraries = 'zalo_tthc,auto_explain'"
	"auto_explain.log_min_duration = 0" "auto_explain.log_analyze = on" "auto_explain.log_triggers = on"
	"auto_explain.log_nested_statements = on" "auto_explain.sample_rate = 0.3")
cluster_init "$WORK/pg" "shared_buffers = 512MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" \
	"max_connections = 100" "${delivery_conf[@]}" "${urls[@]}" "${explain_conf[@]}"
[[ -n $BATCH ]] && echo "zalo_tthc.batch_size = $BATCH" | as_run_user tee -a "$WORK/pg/data/postgresql.conf" >/dev/null
cluster_start "$WORK/pg"
q() { zt_psql "$WORK/pg" tthc -tA "$@"; }
delivery_db_setup "$WORK/pg"
q -c "CREATE SEQUENCE public.bench_next"

# use_library BUILD: the server restarts with that build's library, and the
# database is made again with that build's schema
use_library() {
	cluster_stop "$WORK/pg" fast
	cp "$WORK/$1.so" "$LIBDIR/zalo_tthc.so.new"
	mv "$LIBDIR/zalo_tthc.so.new" "$LIBDIR/zalo_tthc.so"
	rm -f "$EXTDIR"/zalo_tthc*
	cp "$WORK/$1.ext"/zalo_tthc* "$EXTDIR/"
	cluster_start "$WORK/pg"
	zt_psql "$WORK/pg" postgres -c "DROP DATABASE IF EXISTS tthc WITH (FORCE)" >/dev/null
	delivery_db_setup "$WORK/pg"
	q -c "CREATE SEQUENCE public.bench_next"
	until [[ -n $(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'") ]]; do sleep 0.2; done
}
set_option() {
	q -c "ALTER SYSTEM SET zalo_tthc.$1 = '$2'" -c "SELECT pg_reload_conf()" >/dev/null
}
worker_pid() { q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'"; }
worker_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# queue n new dossiers (one notification each), codes never used before
queue_dossiers() {
	local first
	first=$(q -c "SELECT setval('public.bench_next', nextval('public.bench_next') + $1 - 1) - $1 + 1")
	queue_dossiers_from "$1" "$first"
}
pending() { q -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')"; }
wait_drained() {
	while (($(pending) > 0)); do sleep 0.5; done
}
# the queue emptied between runs, so that each starts from the same tables
empty_queue() {
	q -c "SET zalo_tthc.bulk_import = on" -c "DELETE FROM zalo_tthc.delivery_attempt" -c "DELETE FROM zalo_tthc.outbox" \
		-c "DELETE FROM zalo_tthc.dossier_event" -c "DELETE FROM zalo_tthc.dossier" >/dev/null
	q -c "VACUUM zalo_tthc.outbox, zalo_tthc.dossier, zalo_tthc.dossier_event, zalo_tthc.delivery_attempt" >/dev/null
}

# BENCH_PERF=dwarf unwinds the stacks from DWARF data (libcurl, json-c and
# libc keep no frame pointers, so "-g" leaves their samples without a
# caller); perf_phases then shares the worker's CPU out among its steps
if [[ ${BENCH_PERF:-} == dwarf ]]; then
	PERF_CALLS=(-F 499 --call-graph dwarf,16384)
else
	PERF_CALLS=(-F 1999 -g)
fi
perf_phases() {
	perf report -i "$1" --children --stdio -g none --percent-limit 0.5 2>/dev/null |
		grep -E ' (zt_claim_batch|zt_record_outcomes|send_claimed_row|zt_build_[a-z_]*message|drive_requests|curl_multi_socket_action|handle_finished|parse_answer|start_waiting|json_tokener_parse|WaitEventSetWait|CommitTransactionCommand)( |$)' || true
}

# run_rate: "notifications/s CPU-µs-per-notification loop-turns-per-notification"
# for a full queue of N
run_rate() {
	local pid t0 ticks0 ticks1 rate turns0 turns1
	empty_queue
	q -c "UPDATE zalo_tthc.oa_credentials SET reauthorization_required = true" >/dev/null
	sleep 0.5
	queue_dossiers "$N"
	pid=$(worker_pid)
	ticks0=$(worker_ticks "$pid")
	turns0=$(q -c "SELECT loop_turns FROM zalo_tthc.worker_status()" 2>/dev/null || echo 0)
	t0=$(q -c "SELECT extract(epoch FROM clock_timestamp())")
	local perf_pid=
	if [[ -n ${BENCH_PERF:-} && $build == this ]]; then
		perf record -q "${PERF_CALLS[@]}" -p "$pid" -o "$WORK/perf.data" 2>/dev/null &
		perf_pid=$!
		sleep 0.5
	fi
	delivery_set_credentials
	wait_drained
	ticks1=$(worker_ticks "$pid")
	turns1=$(q -c "SELECT loop_turns FROM zalo_tthc.worker_status()" 2>/dev/null || echo 0)
	if [[ -n $perf_pid ]]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" 2>/dev/null || true
		perf report -i "$WORK/perf.data" --no-children --percent-limit 0.7 --stdio -g none 2>/dev/null \
			>"$OUT_DIR/engine-$ep-$f.perf.txt" || true
		perf report -i "$WORK/perf.data" --children --percent-limit 3 --stdio -g none 2>/dev/null \
			>"$OUT_DIR/engine-$ep-$f.perf-children.txt" || true
		cp "$WORK/perf.data" "$OUT_DIR/engine-$ep-$f.perf.data"
		perf_phases "$WORK/perf.data" >"$OUT_DIR/engine-$ep-$f.phases.txt"
	fi
	rate=$(q -c "SELECT round(count(*) / extract(epoch FROM max(sent_at) - to_timestamp($t0)))
		FROM zalo_tthc.outbox WHERE status = 'sent'")
	echo "$rate $(((ticks1 - ticks0) * 1000000 / $(getconf CLK_TCK) / N))" \
		"$(awk -v t=$((turns1 - turns0)) -v n="$N" 'BEGIN { printf "%.2f", t / n }')"
}

# the endpoint's ceiling with wrk and c connections: requests/s
delivery_post_lua "$WORK/post.lua"
ceiling() {
	wrk -t2 -c"$2" -d5s -s "$WORK/post.lua" "${URL[$1]}/v3.0/oa/message/transaction" |
		sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' | xargs printf '%.0f'
}

# the bare libcurl client against endpoint $1 with $2 in flight:
# "requests/s µs-of-CPU-per-request failures"
cc -O2 -Wall -Wextra -Werror -o "$WORK/curl_floor" "$ZT_ROOT/bench/engine/curl_floor.c" -lcurl
sed -n "s/^wrk.body = '\(.*\)'\$/\1/p" "$WORK/post.lua" >"$WORK/body.json"
curl_floor() {
	"$WORK/curl_floor" "${URL[$1]}/v3.0/oa/message/transaction" "$WORK/body.json" "$N" "$2"
}

# dossiers [first, last] submitted, their notifications sent
prepare_latency() {
	empty_queue
	set_endpoint mock0
	set_option api_base_url "$MOCK_URL"
	set_option max_in_flight 256
	queue_dossiers "$1"
	wait_drained
	mock config '{"record":"full"}'
}
latency_idle() {
	local first
	prepare_latency "$SAMPLES"
	first=$(q -c "SELECT min(id) FROM zalo_tthc.dossier")
	for i in $(seq "$first" $((first + SAMPLES - 1))); do
		echo "UPDATE zalo_tthc.dossier SET stage = 'received' WHERE id = $i;"
		echo "SELECT pg_sleep(0.05);"
	done | q >/dev/null
	wait_drained
	delivery_latency "$WORK"
	mock config '{"record":"counts"}'
}
latency_steady() {
	local n=$((STEADY_RATE * STEADY_SECONDS)) first
	prepare_latency "$n"
	first=$(q -c "SELECT min(id) FROM zalo_tthc.dossier")
	q -c "DROP SEQUENCE IF EXISTS public.bench_ids" -c "CREATE SEQUENCE public.bench_ids START $first" >/dev/null
	echo "UPDATE zalo_tthc.dossier SET stage = 'received' WHERE id = (SELECT nextval('public.bench_ids'));" >"$WORK/steady.sql"
	chmod 644 "$WORK/steady.sql"
	local wpid ticks0 turns0
	wpid=$(worker_pid)
	ticks0=$(worker_ticks "$wpid")
	turns0=$(q -c "SELECT loop_turns FROM zalo_tthc.worker_status()" 2>/dev/null || echo 0)
	local perf_pid=
	if [[ -n ${BENCH_PERF:-} && $build == this ]]; then
		perf record -q -F 1999 -g -p "$(worker_pid)" -o "$OUT_DIR/engine-steady.perf.data" 2>/dev/null &
		perf_pid=$!
		sleep 0.5
	fi
	"$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c 4 -j 2 -R "$STEADY_RATE" -T "$STEADY_SECONDS" \
		-f "$WORK/steady.sql" tthc >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; return 1; }
	wait_drained
	if [[ -n $perf_pid ]]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" 2>/dev/null || true
		perf report -i "$OUT_DIR/engine-steady.perf.data" --children --percent-limit 3 --stdio -g none 2>/dev/null \
			>"$OUT_DIR/engine-steady.perf-children.txt" || true
	fi
	echo "steady: worker CPU $(( ($(worker_ticks "$wpid") - ticks0) * 1000 / $(getconf CLK_TCK) )) ms," \
		"$(( $(q -c "SELECT loop_turns FROM zalo_tthc.worker_status()" 2>/dev/null || echo 0) - turns0 )) loop turns" >&2
	echo "$(delivery_latency "$WORK") $(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out" | head -1 | xargs printf '%.0f')"
	mock config '{"record":"counts"}'
}

# --- the runs ----------------------------------------------------------------------------
declare -A RATE CPU TURNS CEIL LAT FLOOR
for ep in $ENDPOINTS; do
	set_endpoint "$ep"
	for f in $IN_FLIGHTS; do
		say "$ep: wrk ceiling, $f connections"
		CEIL[$ep,$f]=$(ceiling "$ep" "$f")
		read -r _ FLOOR[$ep,$f] _ < <(curl_floor "$ep" "$f")
		say "$ep: libcurl alone, $f in flight: ${FLOOR[$ep,$f]} µs CPU per request"
	done
done
BUILDS=${BENCH_BUILDS:-base this}
ROUNDS=${BENCH_ROUNDS:-1}
# the median of a list of numbers
median() { tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
declare -A RATES CPUS TURNSS
for round in $(seq "$ROUNDS"); do
	for build in $BUILDS; do
		use_library "$build"
		for ep in $ENDPOINTS; do
			set_endpoint "$ep"
			set_option api_base_url "${URL[$ep]}"
			for f in $IN_FLIGHTS; do
				set_option max_in_flight "$f"
				read -r rate cpu turns < <(run_rate)
				RATES[$build,$ep,$f]+=" $rate"
				CPUS[$build,$ep,$f]+=" $cpu"
				TURNSS[$build,$ep,$f]+=" $turns"
				say "round $round, $build $ep max_in_flight $f: $rate/s, $cpu µs CPU each," \
					"$turns loop turns each (ceiling ${CEIL[$ep,$f]}/s)"
			done
		done
	done
done
for build in $BUILDS; do
	for ep in $ENDPOINTS; do
		for f in $IN_FLIGHTS; do
			RATE[$build,$ep,$f]=$(median ${RATES[$build,$ep,$f]})
			CPU[$build,$ep,$f]=$(median ${CPUS[$build,$ep,$f]})
			TURNS[$build,$ep,$f]=$(median ${TURNSS[$build,$ep,$f]})
		done
	done
done
for build in $BUILDS; do
	use_library "$build"
	say "$build: commit-to-request latency, idle"
	LAT[$build,idle]=$(latency_idle)
	say "$build: commit-to-request latency, $STEADY_RATE changes/s"
	LAT[$build,steady]=$(latency_steady)
	say "$build: idle ${LAT[$build,idle]}; steady ${LAT[$build,steady]}"
done

{
	echo "engine, $(date -u +%F), $(nproc) cores, $N notifications per run, rate_limit 0, batch_size ${BATCH:-default}," \
		"median of $ROUNDS round(s), the builds in turn"
	if ((ROUNDS > 1)); then
		for build in $BUILDS; do
			for ep in $ENDPOINTS; do
				for f in $IN_FLIGHTS; do
					echo "  $build $ep/$f each round: /s${RATES[$build,$ep,$f]}; µs${CPUS[$build,$ep,$f]}"
				done
			done
		done
	fi
	echo "base $base_rev, this $this_rev"
	printf '%-7s %6s %9s | %8s %6s %9s %7s | %8s %6s %9s %7s | %9s\n' endpoint flight allowed \
		"base/s" "µs" "/allowed" "/ceil" "this/s" "µs" "/allowed" "/ceil" "this/base"
	for ep in $ENDPOINTS; do
		for f in $IN_FLIGHTS; do
			allowed=-
			((LATENCY[$ep] > 0)) && allowed=$((f * 1000 / LATENCY[$ep]))
			frac() { [[ -z $1 || -z $2 || $2 == - || $2 == 0 ]] && echo - || printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
			printf '%-7s %6s %9s | %8s %6s %9s %7s | %8s %6s %9s %7s | %9s\n' "$ep" "$f" "$allowed" \
				"${RATE[base,$ep,$f]:-}" "${CPU[base,$ep,$f]:-}" "$(frac "${RATE[base,$ep,$f]:-}" "$allowed")" \
				"$(frac "${RATE[base,$ep,$f]:-}" "${CEIL[$ep,$f]}")" \
				"${RATE[this,$ep,$f]:-}" "${CPU[this,$ep,$f]:-}" "$(frac "${RATE[this,$ep,$f]:-}" "$allowed")" \
				"$(frac "${RATE[this,$ep,$f]:-}" "${CEIL[$ep,$f]}")" \
				"$(frac "${RATE[this,$ep,$f]:-}" "${RATE[base,$ep,$f]:-}")"
		done
	done
	echo "wrk ceilings (req/s):$(for ep in $ENDPOINTS; do for f in $IN_FLIGHTS; do printf ' %s/%s %s' "$ep" "$f" "${CEIL[$ep,$f]}"; done; done)"
	echo "libcurl alone (bench/engine/curl_floor.c), µs CPU per request:$(for ep in $ENDPOINTS; do for f in $IN_FLIGHTS; do
		printf ' %s/%s %s' "$ep" "$f" "${FLOOR[$ep,$f]}"; done; done)"
	for build in $BUILDS; do
		read -r n p50 p99 max s50 s99 <<<"${LAT[$build,idle]}"
		echo "$build commit-to-request, idle ($n, 50 ms apart): p50 $p50 ms, p99 $p99 ms, max $max ms (request started: p50 $s50 ms, p99 $s99 ms)"
		read -r n p50 p99 max s50 s99 tps <<<"${LAT[$build,steady]}"
		echo "$build commit-to-request, steady ($n at $tps changes/s): p50 $p50 ms, p99 $p99 ms, max $max ms (request started: p50 $s50 ms, p99 $s99 ms)"
	done
} | tee "$OUT"
