#!/usr/bin/env bash
# make demo: install what is missing, build, start a local mock of the Zalo
# API and a throwaway cluster with the extension pointed at it, and move
# sample dossiers through their stages so the notifications can be watched
# as the delivery worker sends them, the way citizens see them on Zalo.
# Cleans up on exit and on Ctrl-C.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

prepare_machine

WORK=$(make_work_dir demo)
MOCK_PID=
FLOW_PID=
cleanup() {
	say "stopping the demo cluster and the mock Zalo API, removing $WORK"
	if [[ -n $FLOW_PID ]]; then
		kill "$FLOW_PID" 2>/dev/null || true
		wait "$FLOW_PID" 2>/dev/null || true
	fi
	cluster_stop "$WORK/pg" immediate
	if [[ -n $MOCK_PID ]]; then
		kill "$MOCK_PID" 2>/dev/null || true
		wait "$MOCK_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for WHAT SECONDS COMMAND...: run COMMAND every 0.1 s until it
# succeeds; dots show progress after the first second.
wait_for() {
	local what=$1 seconds=$2 i
	shift 2
	for ((i = 0; i < seconds * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			((i < 10)) || echo
			return 0
		fi
		((i == 10)) && printf '    waiting for %s ' "$what"
		((i > 10 && i % 5 == 0)) && printf '.'
		sleep 0.1
	done
	echo
	echo "demo: $what did not happen within $seconds s" >&2
	return 1
}

# --- the mock Zalo API, on a free loopback port ---------------------------
say "starting the mock Zalo API (mock/zalo-mock)"
mkdir -p "$WORK/mock"
start_mock "$WORK/mock" --record "$WORK/mock/requests.jsonl"

# The Official Account's app and tokens, as set_oa_credentials stores them below.
mock_post /_mock/config '{"app_id":"1234567890123456789","app_secret":"S3CR3T","oa_secret_key":"OAKEY"}'
mock_post /_mock/tokens '{"access_token":"AT_0","refresh_token":"RT_0","expires_in":90000}'
# The followers of demo/seed.sql (Zalo user ids are the 16–20 digit strings).
mapfile -t followers < <(grep -oE "'[0-9]{16,20}'" "$ZT_ROOT/demo/seed.sql" | tr -d "'" | sort -u)
# (each wrote to the OA a day ago, so that Zalo takes the receipt file)
mock_post /_mock/users "$(printf '%s\n' "${followers[@]}" | jq -Rsc --argjson t "$(($(date +%s) - 86400))" 'split("\n") | map(select(length > 0) | {user_id: ., follower: true, last_interaction: $t})')"
echo "    listening on $MOCK_URL; ${#followers[@]} followers of the OA: ${followers[*]}"

# --- the cluster, pointed at the mock ------------------------------------
mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"
say "starting a throwaway PostgreSQL 15 cluster in $WORK/pg"
cluster_init "$WORK/pg" "zalo_tthc.database_name = 'tthc'" \
	"zalo_tthc.api_base_url = '$MOCK_URL'" \
	"zalo_tthc.oauth_base_url = '$MOCK_URL'" \
	"zalo_tthc.zns_base_url = '$MOCK_URL'" \
	"zalo_tthc.allow_insecure_http = on"
cluster_start "$WORK/pg"

say "creating database tthc with CREATE EXTENSION zalo_tthc CASCADE, and the OA credentials"
zt_psql "$WORK/pg" postgres -c "CREATE DATABASE tthc"
zt_psql "$WORK/pg" tthc -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE"
zt_psql "$WORK/pg" tthc -o /dev/null -c "SELECT zalo_tthc.set_oa_credentials('1234567890123456789',
	'S3CR3T', 'AT_0', 'RT_0', now() + interval '25 hours', 'OAKEY')"

# The approved ZBS templates the stages name, as a province registers them
# with Zalo: each parameter with its maximum length.
mock_post /_mock/templates "$(cat "$ZT_ROOT/demo/zbs_templates.json")"
echo "    ZBS templates registered at the mock: $(jq -r 'map(.template_id) | join(", ")' "$ZT_ROOT/demo/zbs_templates.json")"

# The worker retries every few seconds until database tthc exists.
worker_connected() {
	[[ $(zt_psql "$WORK/pg" tthc -At -c "SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'zalo_tthc worker'") == 1 ]]
}
say "waiting for the zalo_tthc delivery worker to connect to tthc"
wait_for "the delivery worker" 60 worker_connected

# What demo/show_messages.sh needs (it runs from psql's \! in demo/flow.sql).
export ZT_MOCK_URL=$MOCK_URL ZT_DEMO_STATE=$WORK/shown ZT_DEMO_DIR=$ZT_ROOT/demo PGBIN
export PGHOST=$WORK/pg PGPORT=5432 PGUSER=postgres PGDATABASE=tthc

say "loading 3 Zalo followers and 5 sample dossiers (their 'submitted' notifications go out at once)"
zt_psql "$WORK/pg" tthc -f "$ZT_ROOT/demo/seed.sql"
echo
bash "$ZT_ROOT/demo/show_messages.sh"

say "moving the dossiers through their stages; what each citizen receives on Zalo"
# In the background and waited for, so that Ctrl-C stops the demo at once:
# the INT trap would wait for a foreground psql, and psql ignores SIGINT
# while demo/show_messages.sh runs under its \!.
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$ZT_ROOT/demo/flow.sql" &
FLOW_PID=$!
wait "$FLOW_PID"
FLOW_PID=

say "attaching an existing one-stop application (test/onestop: 200 dossiers, its own statuses and steps)"
zt_psql "$WORK/pg" tthc -q -f "$ZT_ROOT/test/onestop/schema.sql" -f "$ZT_ROOT/test/onestop/seed.sql" \
	-c "SELECT motcua.seed(200)" >/dev/null
zt_psql "$WORK/pg" tthc -q -f "$ZT_ROOT/test/onestop/attach.sql" 2>&1 | grep -v '^$' | sed 's/^NOTICE:  /    /'
bash "$ZT_ROOT/demo/show_messages.sh" >/dev/null   # the backfill's events notify nobody: not shown
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$ZT_ROOT/demo/attached.sql" &
FLOW_PID=$!
wait "$FLOW_PID"
FLOW_PID=

say "summary"
bash "$ZT_ROOT/demo/show_messages.sh" >/dev/null   # anything still queued is done or timed out
zt_psql "$WORK/pg" tthc -f "$ZT_ROOT/demo/summary.sql"
curl -sf "$MOCK_URL/_mock/stats" | jq -r '
	def n($k; $one; $many): "\($k) \(if $k == 1 then $one else $many end)";
	.requests as $r
	| "--- The mock Zalo API received \(n($r | del(.control) | [.[]] | add; "request"; "requests")), "
	  + "\(.ok) answered OK, \(.errors) refused:",
	  "    " + ([n($r.template_uid; "ZBS template by user id"; "ZBS templates by user id"),
		  n($r.zns + ($r.hashphone // 0); "ZBS template by phone"; "ZBS templates by phone"),
		  n($r.template_info; "template read"; "template reads"),
		  n($r.quota_message; "interaction check"; "interaction checks"),
		  n($r.upload_file; "file upload"; "file uploads"),
		  n($r.cs; "OA file or text message"; "OA file or text messages"),
		  n($r.oauth; "token refresh"; "token refreshes")]
		 + (if $r.other > 0 then [n($r.other; "other request"; "other requests")] else [] end)
		 | join(", "))'
echo
zt_psql "$WORK/pg" tthc -f "$ZT_ROOT/demo/operations.sql"
