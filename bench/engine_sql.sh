#!/usr/bin/env bash
# The least the database half of a notification costs, without the worker:
# a backend claims batches of BENCH_BATCH notifications, marks them sent
# and writes their delivery log, committing after the claim and after the
# outcome as the worker does, until BENCH_N (20000) are sent.  Its CPU per
# notification (utime + stime from /proc/<pid>/stat), for the least
# statements that do it (a claim in queue order with SKIP LOCKED, an update
# to sent, a log row), commits asynchronous, then synchronous as the
# worker's are, then synchronous again with the backend asleep
# BENCH_PAUSE_MS after each commit, so that the batches come at the pace
# of a worker that waits on its endpoint (39 ms: 50 notifications every
# 78 ms, the 640/s of 32 in flight against a 50 ms endpoint).  The worker's
# own claim and outcomes are no statements (src/claim.c, src/outcome.c):
# engine.sh measures them inside the worker.  The statements run from
# PL/pgSQL with the worker's planner settings (generic plans, sorts,
# seqscans, bitmap scans, hash and merge joins, memoize and JIT off).
# Two rounds.  bench/README.md says how to read it.
#
#   BENCH_N (20000)  BENCH_BATCH (50)  BENCH_PAUSE_MS (39)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/delivery/common.sh"

N=${BENCH_N:-20000}
BATCH=${BENCH_BATCH:-50}
PAUSE_MS=${BENCH_PAUSE_MS:-39}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/engine_sql.txt

start_bench_work
cluster_init "$WORK/pg" "shared_buffers = 512MB" "max_wal_size = 4GB" "zalo_tthc.database_name = 'tthc'"
cluster_start "$WORK/pg"
q() { zt_psql "$WORK/pg" tthc -tA "$@"; }
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE tthc"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE" >/dev/null
# followers, so that every notification goes to the Zalo OA; no credentials,
# so that the worker leaves the queue alone
q -c "INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name, followed)
	SELECT '5' || lpad(i::text, 18, '0'), '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i, true
	FROM generate_series(1, 1000) i" >/dev/null

q <<SQL
CREATE PROCEDURE public.bench_send(batch int, pause_ms int)
LANGUAGE plpgsql AS \$\$
DECLARE
	ids bigint[];
	n int;
BEGIN
	LOOP
		WITH c AS (
			UPDATE zalo_tthc.outbox o SET status = 'sending', attempts = o.attempts + 1,
				   lease_until = now() + interval '1 minute'
			WHERE o.id = ANY (ARRAY(SELECT id FROM zalo_tthc.outbox
									WHERE status IN ('pending', 'failed') AND next_attempt_at <= now()
									ORDER BY next_attempt_at, id LIMIT batch FOR UPDATE SKIP LOCKED))
			RETURNING o.id)
		SELECT coalesce(array_agg(id), '{}') INTO ids FROM c;
		EXIT WHEN cardinality(ids) = 0;
		COMMIT;
		IF pause_ms > 0 THEN
			PERFORM pg_sleep(pause_ms / 1000.0);
		END IF;
		n := cardinality(ids);
		UPDATE zalo_tthc.outbox SET status = 'sent', sent_at = now(), provider_msg_id = 'm' || id,
			   lease_until = NULL
		WHERE id = ANY (ids);
		INSERT INTO zalo_tthc.delivery_attempt (outbox_id, attempt, endpoint, started_at, latency_ms,
												http_status, zalo_error, outcome)
		SELECT id, 1, 'template', now(), 50, 200, 0, 'ok' FROM unnest(ids) id;
		COMMIT;
		IF pause_ms > 0 THEN
			PERFORM pg_sleep(pause_ms / 1000.0);
		END IF;
	END LOOP;
END \$\$;
SQL

# run SYNCHRONOUS_COMMIT [PAUSE_MS]: µs of backend CPU per notification
run() {
	q -c "SET zalo_tthc.bulk_import = on" -c "DELETE FROM zalo_tthc.delivery_attempt" -c "DELETE FROM zalo_tthc.outbox" \
		-c "DELETE FROM zalo_tthc.dossier_event" -c "DELETE FROM zalo_tthc.dossier" >/dev/null
	q -c "VACUUM ANALYZE zalo_tthc.outbox, zalo_tthc.dossier, zalo_tthc.dossier_event, zalo_tthc.delivery_attempt" >/dev/null
	queue_dossiers_from "$N" 1
	local queued pid t0 t1 sent
	queued=$(q -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'pending'")
	rm -f "$WORK/out"
	# the backend's CPU is read while it sleeps, before the CALL and after it
	q -c "SET synchronous_commit = $1" -c "SET plan_cache_mode = force_generic_plan" -c "SET jit = off" \
		-c "SET enable_sort = off" -c "SET enable_bitmapscan = off" -c "SET enable_seqscan = off" \
		-c "SET enable_hashjoin = off" -c "SET enable_mergejoin = off" -c "SET enable_memoize = off" \
		-c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(1)" -c "CALL public.bench_send($BATCH, ${2:-0})" \
		-c "SELECT 'called'" -c "SELECT pg_sleep(1)" >"$WORK/out" &
	until [[ -s $WORK/out ]]; do sleep 0.1; done
	pid=$(head -1 "$WORK/out")
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	until grep -q '^called$' "$WORK/out"; do sleep 0.1; done
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	wait "$!"
	sent=$(q -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'sent'")
	((sent == queued)) || { echo "sent $sent of $queued" >&2; exit 1; }
	echo $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / queued ))
}

declare -A R
for round in 1 2; do
	for sync in off on; do
		say "round $round: synchronous_commit $sync"
		R[$round,$sync]=$(run "$sync")
	done
	say "round $round: synchronous_commit on, paced"
	R[$round,paced]=$(run on "$PAUSE_MS")
done
{
	echo "engine_sql, $(date -u +%F), $(nproc) cores, $(git -C "$ZT_ROOT" rev-parse --short HEAD), $N notifications per run, batches of $BATCH"
	echo "backend CPU per notification (µs), rounds 1 / 2:"
	printf '  %-58s %s / %s\n' \
		"the least claim, outcome and log, commits asynchronous" "${R[1,off]}" "${R[2,off]}" \
		"the least claim, outcome and log, commits synchronous" "${R[1,on]}" "${R[2,on]}" \
		"the same, ${PAUSE_MS} ms asleep after each commit" "${R[1,paced]}" "${R[2,paced]}"
} | tee "$OUT"
