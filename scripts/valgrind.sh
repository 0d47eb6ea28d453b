#!/usr/bin/env bash
# make valgrind: the delivery worker under valgrind memcheck.  Starts a
# throwaway cluster whose postmaster (and so the worker it forks) runs under
# valgrind, sends notifications through the mock with token expiry, 5xx,
# timeouts, resets and a receipt PDF (4 requests in flight and batches of
# 8, so that claims read ahead, and an operator's pause gives some back),
# stops the server (SIGTERM to the worker), then reports the memcheck errors and definite leaks of the
# worker and of every backend (the dossier triggers) whose stack passes
# through zalo_tthc.so.  Exits non-zero if there is any.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOSSIERS=${VALGRIND_DOSSIERS:-20}

prepare_machine
command -v valgrind >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
WORK=$(make_work_dir valgrind)
MOCK_PID=
PG_PID=
# fast shutdown of the postmaster (not of the runuser wrapper), then wait
stop_server() {
	local pm
	pm=$(head -n 1 "$WORK/pg/data/postmaster.pid" 2>/dev/null) || return 0
	kill -INT "$pm" 2>/dev/null || return 0
	wait "$PG_PID" 2>/dev/null || true
	PG_PID=
}
cleanup() {
	[[ -n $PG_PID ]] && stop_server
	[[ -n $MOCK_PID ]] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
	if [[ ${KEEP_VALGRIND_DIR:-} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_mock "$WORK"
mock() { mock_post "/_mock/$1" "$2"; }
mock config '{"app_id":"1234567890123456789","app_secret":"S3CR3T","oa_secret_key":"OAKEY","timeout_hold_ms":3000}'
mock tokens '{"access_token":"AT_0","refresh_token":"RT_0","expires_in":90000}'
mock users "$(seq 1 "$DOSSIERS" | jq -sc 'map({user_id: ("7" + (tostring | ("000000000000000000" + .)[-18:])), follower: true})')"
mock templates "$(cat "$ZT_ROOT/demo/zbs_templates.json")"

mkdir -p "$WORK/pg" "$WORK/vg"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg" "$WORK/vg"
cluster_init "$WORK/pg" "zalo_tthc.database_name = 'tthc'" "zalo_tthc.api_base_url = '$MOCK_URL'" \
	"zalo_tthc.oauth_base_url = '$MOCK_URL'" "zalo_tthc.zns_base_url = '$MOCK_URL'" "zalo_tthc.rate_limit = 0" \
	"zalo_tthc.allow_insecure_http = on" \
	"zalo_tthc.retry_base_delay = 200ms" "zalo_tthc.retry_max_delay = 1s" "zalo_tthc.request_timeout = 2s" \
	"zalo_tthc.rate_limit_backoff = 1s" "max_connections = 20" "autovacuum = off" "jit = off" \
	"zalo_tthc.max_in_flight = 4" "zalo_tthc.batch_size = 8"

say "starting PostgreSQL under valgrind (slow)"
as_run_user valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--num-callers=40 --log-file="$WORK/vg/%p.log" \
	"$PGBIN/postgres" -D "$WORK/pg/data" >"$WORK/pg/server.log" 2>&1 &
PG_PID=$!
q() { zt_psql "$WORK/pg" "$@"; }
for _ in $(seq 240); do q postgres -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done

q postgres -c "CREATE DATABASE tthc"
q tthc -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE"
q tthc -c "SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0', now() + interval '25 hours', 'OAKEY')" >/dev/null
for _ in $(seq 240); do
	[[ $(q tthc -tA -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'") == 1 ]] && break
	sleep 0.5
done
WORKER_PID=$(q tthc -tA -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'")
say "worker pid $WORKER_PID; sending $DOSSIERS dossiers through five stages with faults"

mock faults '{"next":[{"fault":"http_500","count":3},{"fault":"timeout","count":1},{"fault":"reset","count":2},{"fault":"rate_limit","count":1}]}'
q tthc -c "INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
	SELECT '7' || lpad(i::text, 18, '0'), '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i FROM generate_series(1, $DOSSIERS) i" >/dev/null
q tthc -c "INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
	SELECT format('000.00.04.H60-261125-%s', lpad(i::text, 4, '0')), 'Cấp giấy phép xây dựng', 'Công dân ' || i,
		   '+8491' || lpad(i::text, 7, '0'), now() + interval '10 days' FROM generate_series(1, $DOSSIERS) i" >/dev/null
q tthc -c "INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
	VALUES ('000.00.04.H60-261125-9999', 'Đăng ký khai sinh', 'Không theo dõi', '0987654321', now() + interval '3 days')" >/dev/null
q tthc -c "INSERT INTO zalo_tthc.dossier_document (dossier_id, file_name, content)
	SELECT id, 'phieu-tiep-nhan.pdf', convert_to('%PDF-1.4 phiếu', 'UTF8') FROM zalo_tthc.dossier WHERE code LIKE '%-0001'" >/dev/null
# slow answers and an operator's pause while claims wait for a slot: they go back to the queue
mock config '{"latency_ms":1500}'
q tthc -c "UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code <> '000.00.04.H60-261125-9999'" >/dev/null
sleep 1
q tthc -c "SELECT zalo_tthc.pause('valgrind')" >/dev/null
sleep 2
q tthc -c "SELECT zalo_tthc.resume()" >/dev/null
mock config '{"latency_ms":0}'
for stage in assigned appraising; do
	q tthc -c "UPDATE zalo_tthc.dossier SET stage = '$stage' WHERE code <> '000.00.04.H60-261125-9999'" >/dev/null
	[[ $stage == assigned ]] && mock expire_token '{}'
done
q tthc -c "UPDATE zalo_tthc.dossier SET stage = 'rejected', stage_note = 'Thiếu giấy tờ' WHERE code = '000.00.04.H60-261125-9999'" >/dev/null
# chat messages: three follows (welcome and phone request) and a lookup, signed as Zalo signs
mock users '[{"user_id":"7100000000000000001","follower":true},{"user_id":"7100000000000000002","follower":true},{"user_id":"7100000000000000003","follower":true}]'
q tthc -c "SELECT zalo_tthc.handle_webhook(b, 'mac=' || encode(sha256(convert_to('1234567890123456789' || b
		|| (b::jsonb->>'timestamp') || 'OAKEY', 'UTF8')), 'hex'))
	FROM (SELECT (jsonb_build_object('app_id', '1234567890123456789', 'timestamp', ((extract(epoch FROM now()) * 1000)::bigint + i)::text)
		|| CASE WHEN i <= 3 THEN jsonb_build_object('event_name', 'follow', 'follower', jsonb_build_object('id', (7100000000000000000 + i)::text))
		   ELSE jsonb_build_object('event_name', 'user_send_text', 'sender', jsonb_build_object('id', '7100000000000000001'),
				'message', jsonb_build_object('msg_id', 'vg-1', 'text', 'TTHC 000.00.04.H60-261125-0001')) END)::text AS b
		  FROM generate_series(1, 4) i) s" >/dev/null
for _ in $(seq 600); do
	left=$(q tthc -tA -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')")
	((left == 0)) && break
	sleep 1
done
q tthc -c "SELECT status, count(*) FROM zalo_tthc.outbox GROUP BY 1 ORDER BY 1"
q tthc -tA -c "SELECT 'requests sent: ' || count(*) || ', token refreshes: ' || (SELECT count(*) FROM zalo_tthc.delivery_attempt WHERE outcome = 'refresh') FROM zalo_tthc.delivery_attempt"

say "stopping the server (SIGTERM to the worker)"
stop_server

log=$WORK/vg/$WORKER_PID.log
[[ -f $log ]] || { echo "no valgrind log for the worker ($log)" >&2; exit 1; }
# one valgrind record = the lines between blank '==pid== ' lines; every
# process counts: the worker, and the backends that ran the triggers
records_in() { awk -v RS='==[0-9]+== \n' '/zalo_tthc\.so/ {n++} END {print n+0}' "$1"; }
total=0
for f in "$WORK"/vg/*.log; do
	n=$(records_in "$f")
	if ((n > 0)); then
		echo "$(basename "$f" .log): $n records whose stack passes through zalo_tthc.so"
		awk -v RS='==[0-9]+== \n' '/zalo_tthc\.so/' "$f" | head -80
	fi
	total=$((total + n))
done
echo "valgrind log of the worker: $(wc -l <"$log") lines; processes checked: $(ls "$WORK"/vg/*.log | wc -l)"
grep -E 'definitely lost|ERROR SUMMARY' "$log" | tail -3 || true
((total == 0)) || exit 1
echo "valgrind: clean (no error or definite leak in zalo_tthc code, worker or backends)"
