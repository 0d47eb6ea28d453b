#!/usr/bin/env bash
# Called from demo/flow.sql (psql \!) after each stage change: print the
# stage changes since the last call, wait until the delivery worker has
# dealt with every queued notification, then show the messages that reached
# the mock Zalo API, as the citizen sees them on Zalo, and what became of
# each queued notification.
#
# Environment, set by scripts/demo.sh: ZT_MOCK_URL (the mock), ZT_DEMO_STATE
# (a file remembering what was already shown), PGBIN, and PGHOST, PGPORT,
# PGUSER, PGDATABASE for the demo cluster.
set -euo pipefail
# Ctrl-C: stop here, after the current command, so that psql's \! fails and
# ON_ERROR_STOP ends the flow (psql itself ignores SIGINT while \! runs).
trap 'exit 130' INT TERM

: "${ZT_MOCK_URL:?}" "${ZT_DEMO_STATE:?}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PSQL=("${PGBIN:?}/psql" -X -q -A -t -v ON_ERROR_STOP=1 -F $'\t')
WAIT_SECONDS=${ZT_DEMO_WAIT:-10}

if [[ -t 1 ]]; then
	bold=$'\033[1m' dim=$'\033[2m' reset=$'\033[0m' ok=$'\033[32m' err=$'\033[31m' warn=$'\033[33m'
else
	bold='' dim='' reset='' ok='' err='' warn=''
fi

last_seq=0 last_event=0 last_outbox=0
if [[ -s $ZT_DEMO_STATE ]]; then read -r last_seq last_event last_outbox <"$ZT_DEMO_STATE"; fi

# 1. The stage changes since the last call.
max_event=$last_event
while IFS=$'\t' read -r id code before after label notify; do
	max_event=$id
	if [[ $notify == enqueued ]]; then note=''; else note="  ${warn}(no notification: $notify)${reset}"; fi
	printf '%s▸ %s%s  %s → %s  %s(%s)%s%s\n' "$bold" "$code" "$reset" "$before" "$after" "$dim" "$label" "$reset" "$note"
done < <("${PSQL[@]}" -c "
	SELECT e.id, right(d.code, 4), coalesce(e.stage_before::text, '(new)'), e.stage_after, s.label_vi, e.notify
	FROM zalo_tthc.dossier_event e
	JOIN zalo_tthc.dossier d ON d.id = e.dossier_id
	JOIN zalo_tthc.stage_info s ON s.stage = e.stage_after
	WHERE e.id > $last_event ORDER BY e.id")

# 2. Wait until nothing is left to send (a sent "received" message adds its
#    receipt file, an OA refusal its ZNS fallback, in the same transaction).
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
start=$(now_ms) waiting=0
while :; do
	left=$("${PSQL[@]}" -c "SELECT count(*) FROM zalo_tthc.outbox WHERE status IN ('pending', 'sending', 'failed')")
	((left == 0)) && break
	elapsed=$(($(now_ms) - start))
	((elapsed < WAIT_SECONDS * 1000)) || break
	if ((elapsed >= 1000 && waiting == 0)); then
		printf '  %swaiting for the delivery worker (%s queued) ' "$dim" "$left"
		waiting=$elapsed
	elif ((waiting > 0 && elapsed - waiting >= 500)); then
		printf '.'
		waiting=$elapsed
	fi
	sleep 0.05
done
((waiting == 0)) || printf '%s\n' "$reset"
((left == 0)) || echo "  ${warn}still $left notification(s) queued after ${WAIT_SECONDS} s; see the summary below${reset}"

# 3. What reached the mock Zalo API, as the citizen sees it, and what became
#    of every notification queued since the last call.
requests=$(curl -sf "$ZT_MOCK_URL/_mock/requests?since=$last_seq")
{
	read -r names
	mapfile -t outbox
} < <("${PSQL[@]}" -c "SELECT coalesce(json_object_agg(zalo_user_id, display_name), '{}') FROM zalo_tthc.recipient" \
	-c "SELECT id, channel, kind, status, coalesce(last_error, '') FROM zalo_tthc.outbox
		WHERE id > $last_outbox ORDER BY id")

styles=()
[[ -t 1 ]] && styles=(--arg style_green $'\033[32m' --arg style_blue $'\033[34m' --arg style_yellow $'\033[33m'
	--arg style_red $'\033[31m' --arg style_grey $'\033[90m')
# the last line jq prints is the highest sequence number seen
mapfile -t lines < <(TZ=Asia/Ho_Chi_Minh jq -r --argjson names "$names" --argjson since "$last_seq" \
	--arg bold "$bold" --arg dim "$dim" --arg reset "$reset" --arg ok "$ok" --arg err "$err" "${styles[@]}" \
	-f "$HERE/render_messages.jq" <<<"$requests")
new_seq=${lines[-1]}
unset 'lines[-1]'
((${#lines[@]} == 0)) || printf '%s\n' "${lines[@]}"

max_outbox=$last_outbox
sent=()
for row in "${outbox[@]}"; do
	IFS=$'\t' read -r id channel kind status error <<<"$row"
	max_outbox=$id
	what=$channel
	[[ $kind == stage ]] || what+="/$kind"
	case $status in
	sent | delivered | seen) sent+=("#$id $what ${ok}$status${reset}") ;;
	*) echo "  ${err}✗${reset} #$id $what ${err}$status${reset}${error:+: $error}" ;;
	esac
done
if ((${#sent[@]})); then
	printf -v line '%s · ' "${sent[@]}"
	echo "  ${dim}outbox:${reset} ${line% · }"
fi

echo "$new_seq $max_event $max_outbox" >"$ZT_DEMO_STATE"
echo
