# Shared by delivery.sh and engine.sh (sourced after scripts/lib.sh): the
# mock's app and 1,000 followers, the database "tthc" that sends to them,
# queueing dossiers, the request wrk posts, and commit-to-request latency.
# Each needs q (psql on database tthc) and MOCK_URL.

# The mock's app, tokens and followers (user ids 5000000000000000001..).
delivery_mock_setup() {
	mock_post /_mock/config '{"app_id":"1234567890123456789","app_secret":"S3CR3T","oa_secret_key":"OAKEY","record":"counts","transaction_message":"available"}'
	mock_post /_mock/tokens '{"access_token":"AT_0","refresh_token":"RT_0","expires_in":90000}'
	mock_post /_mock/users "$(seq 1 1000 | jq -sc 'map({user_id: ("5" + (tostring | ("000000000000000000" + .)[-18:])), follower: true})')"
}

# postgresql.conf lines of a cluster whose worker sends to the mock; the
# engine figures in bench/README.md were taken with the transaction message,
# kept here so that runs compare (its body is the larger of the two)
delivery_conf=(
	"zalo_tthc.database_name = 'tthc'" "zalo_tthc.allow_insecure_http = on" "zalo_tthc.rate_limit = 0"
	"track_commit_timestamp = on" "zalo_tthc.follower_message = transaction"
)
delivery_urls() {
	printf '%s\n' "zalo_tthc.api_base_url = '$1'" "zalo_tthc.oauth_base_url = '$1'" "zalo_tthc.zns_base_url = '$1'"
}

delivery_set_credentials() {
	q -c "SELECT zalo_tthc.set_oa_credentials('1234567890123456789', 'S3CR3T', 'AT_0', 'RT_0',
		now() + interval '25 hours', 'OAKEY')" >/dev/null
}

# database tthc (cluster in DIR), the extension, the 1,000 followers, the credentials
delivery_db_setup() {
	zt_psql "$1" postgres -c "CREATE DATABASE tthc"
	q -c "SET client_min_messages = warning" -c "CREATE EXTENSION zalo_tthc CASCADE" >/dev/null
	q -c "INSERT INTO zalo_tthc.recipient (zalo_user_id, phone, display_name)
		SELECT '5' || lpad(i::text, 18, '0'), '+8491' || lpad(i::text, 7, '0'), 'Công dân ' || i
		FROM generate_series(1, 1000) i" >/dev/null
	delivery_set_credentials
}

# queue_dossiers_from N FIRST: N new dossiers numbered from FIRST (one
# notification each), spread over the followers
queue_dossiers_from() {
	q -c "INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
		SELECT format('000.00.04.H60-261125-B%s', lpad(i::text, 7, '0')), 'Đăng ký hộ kinh doanh',
			   'Công dân ' || (i % 1000 + 1), '+8491' || lpad((i % 1000 + 1)::text, 7, '0'),
			   now() + interval '10 days'
		FROM generate_series($2, $2 + $1 - 1) i" >/dev/null
}

# delivery_post_lua FILE: wrk's transaction message, as the worker sends it
delivery_post_lua() {
	cat >"$1" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["access_token"] = "AT_0"
wrk.body = '{"recipient":{"user_id":"5000000000000000001"},"message":{"attachment":{"type":"template","payload":{"template_type":"transaction_event","language":"VI","elements":[{"type":"header","content":"Hồ sơ đã được tiếp nhận","align":"left"},{"type":"table","content":[{"key":"Mã hồ sơ","value":"000.00.04.H60-261125-B0000001"},{"key":"Trạng thái","value":"Đã tiếp nhận","style":"blue"}]}]}}}}'
LUA
}

# delivery_latency WORKDIR: commit-to-request latency of the notifications
# of stage 'received' in the outbox, from the requests the mock recorded
# ("record": "full"): "n p50 p99 max" in ms of the mock's receive time
# minus the commit time of the stage change, then "p50 p99" of the
# worker's request start (delivery_attempt.started_at) minus it
delivery_latency() {
	curl -sf "$MOCK_URL/_mock/requests?path=/v3.0/oa/message/transaction" |
		jq -r '.[] | [(.body.message.attachment.payload.elements[] | select(.type == "table") | .content[0].value), .time_us] | @tsv' \
			>"$1/received.tsv"
	chmod 644 "$1/received.tsv"
	q -c "CREATE TEMP TABLE rx0 (code text, time_us bigint)" \
		-c "\\copy rx0 FROM '$1/received.tsv'" \
		-c "CREATE TEMP TABLE rx AS SELECT code, max(time_us) AS time_us FROM rx0 GROUP BY code" \
		-c "WITH l AS (
			SELECT (rx.time_us - extract(epoch FROM pg_xact_commit_timestamp(e.xmin)) * 1e6) / 1000.0 AS ms,
				   extract(epoch FROM a.started_at - pg_xact_commit_timestamp(e.xmin)) * 1000.0 AS start_ms
			FROM zalo_tthc.outbox o JOIN zalo_tthc.dossier d ON d.id = o.dossier_id
			JOIN zalo_tthc.dossier_event e ON e.id = o.event_id
			JOIN zalo_tthc.delivery_attempt a ON a.outbox_id = o.id AND a.attempt = 1
			JOIN rx ON rx.code = d.code WHERE o.stage = 'received')
		SELECT count(*) || ' ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' ||
			round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' || round(max(ms)::numeric, 1) || ' ' ||
			round(percentile_cont(0.5) WITHIN GROUP (ORDER BY start_ms)::numeric, 1) || ' ' ||
			round(percentile_cont(0.99) WITHIN GROUP (ORDER BY start_ms)::numeric, 1) FROM l"
}
