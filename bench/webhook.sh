#!/usr/bin/env bash
# Webhook handling rate: events/s through zalo_tthc.handle_webhook for
# follow events (recipient, welcome and phone request queued) and delivery
# and seen receipts, against the signature check alone
# (zalo_tthc.verify_webhook_signature) as the baseline, in one run.  Each
# delivery is its own transaction, as the portal makes it; every event is
# distinct, so none is short-circuited as a replay.  Rounds interleave the
# variants and the median of each is reported, since the machine is shared.
#
#   BENCH_EVENTS (5000 of each kind per round)  BENCH_ROUNDS (3)
#   BENCH_CLIENTS (2)  BENCH_SYNC (on: synchronous_commit)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

EVENTS=${BENCH_EVENTS:-5000}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-2}
SYNC=${BENCH_SYNC:-on}
OUT_DIR=$ZT_ROOT/bench/out
mkdir -p "$OUT_DIR"

prepare_machine
WORK=$(make_work_dir bench-webhook)
trap 'cluster_stop "$WORK/pg" immediate; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"

# the worker serves another database: nothing is sent during the run
cluster_init "$WORK/pg" "shared_buffers = 256MB" "synchronous_commit = $SYNC" \
	"max_wal_size = 4GB" "zalo_tthc.database_name = 'postgres'"
cluster_start "$WORK/pg"

# one pgbench script per variant: each transaction takes the next body
write_script() {
	local name=$1 call=$2 kind=$3
	printf 'SELECT %s(b.body, b.sig) FROM bench_body b\nWHERE b.kind = '"'"'%s'"'"' AND b.i = (SELECT nextval('"'"'bench_seq'"'"'));\n' \
		"$call" "$kind" >"$WORK/$name.sql"
	chmod 644 "$WORK/$name.sql"
}
write_script verify zalo_tthc.verify_webhook_signature follow
write_script follow zalo_tthc.handle_webhook follow
write_script received zalo_tthc.handle_webhook received
write_script seen zalo_tthc.handle_webhook seen

declare -A rate
for round in $(seq 1 "$ROUNDS"); do
	# a fresh database per round: every event is new to it
	zt_psql "$WORK/pg" postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" >/dev/null
	zt_psql "$WORK/pg" bench -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE" >/dev/null
	zt_psql "$WORK/pg" bench -v n="$EVENTS" -f "$ZT_ROOT/bench/webhook/setup.sql" >/dev/null
	for variant in verify follow received seen; do
		zt_psql "$WORK/pg" bench -c "ALTER SEQUENCE bench_seq RESTART" >/dev/null
		result=$("$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c "$CLIENTS" -j "$CLIENTS" \
			-t $((EVENTS / CLIENTS)) -f "$WORK/$variant.sql" bench 2>&1 |
			sed -n 's/^tps = \([0-9.]*\).*/\1/p')
		rate[$variant]="${rate[$variant]:-} $result"
		say "round $round/$ROUNDS: $variant $result events/s"
	done
	done_check=$(zt_psql "$WORK/pg" bench -tA -c "SELECT
		(SELECT count(*) FROM zalo_tthc.recipient) || ' recipients, ' ||
		(SELECT count(*) FROM zalo_tthc.outbox WHERE kind IN ('welcome', 'request_user_info')) || ' chat messages queued, ' ||
		(SELECT count(*) FROM zalo_tthc.outbox WHERE status = 'seen') || ' seen, ' ||
		(SELECT count(*) FROM zalo_tthc.webhook_event) || ' events recorded'")
	say "round $round: $done_check"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(echo "${rate[verify]}" | median)
{
	echo "webhook handling, $(date -u +%F), $(nproc) cores, $EVENTS events of each kind, $CLIENTS clients," \
		"$ROUNDS rounds, synchronous_commit=$SYNC; last round: $done_check"
	printf '%-44s %14s %16s   %s\n' variant "events/s(med)" "vs signature" "runs"
	for variant in verify follow received seen; do
		case $variant in
			verify) label="signature check alone (baseline)" ;;
			follow) label="handle_webhook: follow" ;;
			received) label="handle_webhook: user_received_message" ;;
			seen) label="handle_webhook: user_seen_message" ;;
		esac
		m=$(echo "${rate[$variant]}" | median)
		printf '%-44s %14.0f %16.3f   %s\n' "$label" "$m" "$(echo "$m / $base" | bc -l)" "${rate[$variant]# }"
	done
} | tee "$OUT_DIR/webhook-$(date -u +%Y%m%dT%H%M%S).txt"
