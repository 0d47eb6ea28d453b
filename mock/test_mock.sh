#!/usr/bin/env bash
# Tests of zalo-mock itself: the behaviour the worker's tests rely on must
# hold before they can mean anything.  Each check sends real HTTP requests
# to a mock started on a free loopback port.  Prints TAP.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

MOCK=${ZALO_MOCK:-./zalo-mock}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/zalo-mock-test.XXXXXX")
"$MOCK" --port 0 --record "$DIR/requests.jsonl" >"$DIR/out" 2>"$DIR/err" &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null; wait $MOCK_PID 2>/dev/null; rm -rf "$DIR"' EXIT

for _ in $(seq 100); do
	grep -q 'listening on' "$DIR/out" 2>/dev/null && break
	sleep 0.05
done
URL="http://$(sed -n 's/^listening on //p' "$DIR/out")"

n=0
failed=0
# check NAME EXPECTED ACTUAL
check() {
	n=$((n + 1))
	if [[ $2 == "$3" ]]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   expected: $2"
		echo "#        got: $3"
		failed=$((failed + 1))
	fi
}

# post PATH JSON [extra curl args...]: the answer body
post() {
	local path=$1 body=$2
	shift 2
	curl -s -X POST "$URL$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"
}
# err ANSWER: the "error" member
err() { jq -r '.error' <<<"$1"; }

post /_mock/config '{"app_id":"1234567890123456789","app_secret":"S3CR3T","oa_secret_key":"OAKEY"}' >/dev/null
post /_mock/tokens '{"access_token":"AT_0","refresh_token":"RT_0","expires_in":90000}' >/dev/null
post /_mock/users '[{"user_id":"2468458835296197922","follower":true},
	{"user_id":"1111111111111111111","follower":false},
	{"user_id":"3333333333333333333","blocked":true}]' >/dev/null
post /_mock/zns_templates '[{"template_id":"352875","params":["customer_name","dossier_code"]}]' >/dev/null
post /_mock/phones '[{"phone":"84900000000","has_zalo":false}]' >/dev/null

TX='{"recipient":{"user_id":"2468458835296197922"},"message":{"attachment":{"type":"template","payload":{
 "template_type":"transaction_event","language":"VI","elements":[
  {"type":"header","content":"Cập nhật trạng thái hồ sơ","align":"left"},
  {"type":"table","content":[{"key":"Mã hồ sơ","value":"000.00.04.H60-230215-0028"},
   {"key":"Trạng thái","value":"Đã tiếp nhận","style":"blue"}]}]}}}}'

# --- tokens (zalo-api.md §1) ---
form='refresh_token=RT_0&app_id=1234567890123456789&grant_type=refresh_token'
a=$(curl -s -X POST "$URL/v4/oa/access_token" -H 'secret_key: S3CR3T' --data "$form")
check "refresh returns a new pair" "AT_1 RT_1" "$(jq -r '"\(.access_token) \(.refresh_token)"' <<<"$a")"
check "expires_in is a string" "string" "$(jq -r '.expires_in | type' <<<"$a")"
a=$(curl -s -X POST "$URL/v4/oa/access_token" -H 'secret_key: S3CR3T' --data "$form")
check "a reused refresh token is rejected" "-14014" "$(err "$a")"
check "with its error_name" "Invalid refresh token" "$(jq -r '.error_name' <<<"$a")"
a=$(curl -s -X POST "$URL/v4/oa/access_token" -H 'secret_key: WRONG' \
	--data 'refresh_token=RT_1&app_id=1234567890123456789&grant_type=refresh_token')
check "a wrong secret_key is rejected" "-14001" "$(err "$a")"

# --- OA messages (§2) ---
check "an unknown access token gets -216" "-216" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: NOPE')")"
a=$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')
check "a valid transaction message is accepted" "0" "$(err "$a")"
check "with a message_id" "true" "$(jq -r '.data.message_id | length > 0' <<<"$a")"
check "application errors come with HTTP 200" "200" \
	"$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/v3.0/oa/message/transaction" -H 'access_token: NOPE' --data '{}')"
notx=$(jq -c '.message.attachment.payload.elements[1].content = [{"key":"Thủ tục","value":"x"}]' <<<"$TX")
check "a table without an identifying Mã row is refused" "-201" "$(err "$(post /v3.0/oa/message/transaction "$notx" -H 'access_token: AT_1')")"
badstyle=$(jq -c '.message.attachment.payload.elements[1].content[0].style = "green"' <<<"$TX")
check "style on a key other than Trạng thái is refused" "-201" "$(err "$(post /v3.0/oa/message/transaction "$badstyle" -H 'access_token: AT_1')")"
nf=$(jq -c '.recipient.user_id = "1111111111111111111"' <<<"$TX")
check "a user who does not follow gets -213" "-213" "$(err "$(post /v3.0/oa/message/transaction "$nf" -H 'access_token: AT_1')")"
bl=$(jq -c '.recipient.user_id = "3333333333333333333"' <<<"$TX")
check "a user who blocked the OA gets -217" "-217" "$(err "$(post /v3.0/oa/message/transaction "$bl" -H 'access_token: AT_1')")"
long=$(jq -nc --arg t "$(printf 'a%.0s' $(seq 2001))" '{recipient:{user_id:"2468458835296197922"},message:{text:$t}}')
check "cs text over 2000 characters gets -210" "-210" "$(err "$(post /v3.0/oa/message/cs "$long" -H 'access_token: AT_1')")"

# --- upload (§3) ---
printf '%%PDF-1.4 test' >"$DIR/p.pdf"
a=$(curl -s -X POST "$URL/v2.0/oa/upload/file" -H 'access_token: AT_1' -F "file=@$DIR/p.pdf;type=application/pdf")
check "a PDF upload returns a file token" "true" "$(jq -r '.error == 0 and (.data.token | length > 0)' <<<"$a")"
printf 'not a pdf' >"$DIR/q.pdf"
check "a file that is not a PDF is refused" "-201" \
	"$(err "$(curl -s -X POST "$URL/v2.0/oa/upload/file" -H 'access_token: AT_1' -F "file=@$DIR/q.pdf")")"

# --- ZNS (§4) ---
zns() { post /message/template "{\"phone\":\"$1\",\"template_id\":\"$2\",\"template_data\":$3,\"tracking_id\":\"1-2-zns\"}" -H 'access_token: AT_1'; }
a=$(zns 84912345678 352875 '{"customer_name":"Nguyễn Văn A","dossier_code":"H60-1"}')
check "a valid ZNS message is accepted" "0" "$(err "$a")"
check "with a msg_id and quota" "true" "$(jq -r '(.data.msg_id | length > 0) and (.data.quota.remainingQuota != null)' <<<"$a")"
check "a phone with + or 0 gets -108" "-108" "$(err "$(zns 0912345678 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "an unknown template gets -109" "-109" "$(err "$(zns 84912345678 999 '{"customer_name":"A","dossier_code":"B"}')")"
check "a missing parameter gets -112" "-112" "$(err "$(zns 84912345678 352875 '{"customer_name":"A"}')")"
check "a phone without Zalo gets -118" "-118" "$(err "$(zns 84900000000 352875 '{"customer_name":"A","dossier_code":"B"}')")"

RUI='{"recipient":{"user_id":"2468458835296197922"},"message":{"attachment":{"type":"template","payload":{"template_type":"request_user_info","elements":[{"title":"Cổng dịch vụ công","subtitle":"Vui lòng chia sẻ số điện thoại","image_url":"https://example.gov.vn/req.png"}]}}}}'
check "request_user_info on cs is accepted" "0" "$(err "$(post /v3.0/oa/message/cs "$RUI" -H 'access_token: AT_1')")"
check "request_user_info without a title gets -201" "-201" \
	"$(err "$(post /v3.0/oa/message/cs "$(sed 's/"title":"Cổng dịch vụ công",//' <<<"$RUI")" -H 'access_token: AT_1')")"
check "request_user_info on transaction gets -201" "-201" \
	"$(err "$(post /v3.0/oa/message/transaction "$RUI" -H 'access_token: AT_1')")"

# --- faults ---
post /_mock/faults '{"next":[{"fault":"http_500","count":1},{"fault":"rate_limit","count":1},{"fault":"token_expired","count":1}]}' >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/v3.0/oa/message/transaction" -H 'access_token: AT_1' --data-binary "$TX")
check "queued fault 1: HTTP 5xx" "5" "${code:0:1}"
check "queued fault 2: -32" "-32" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"
check "queued fault 3: -220" "-220" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"
check "faults used up: success again" "0" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"
post /_mock/faults '{"next":[{"fault":"garbled_message","count":1}]}' >/dev/null
a=$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')
check "garbled_message: a -201" "1" "$(LC_ALL=C grep -c '^{"error":-201,"message":"' <<<"$a")"
check "garbled_message: with invalid UTF-8 in the message" "true" \
	"$(if LC_ALL=C grep -q $'\xff\xfe' <<<"$a" && ! iconv -f UTF-8 -t UTF-8 <<<"$a" >/dev/null 2>&1; then echo true; else echo false; fi)"
post /_mock/faults '{"next":[{"fault":"empty_success","count":1}]}' >/dev/null
check "empty_success: error 0 without data" '{"error":0,"message":"Success"}' \
	"$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')"
post /_mock/faults '{"next":[{"fault":"reset","count":1}]}' >/dev/null
curl -s -o /dev/null -X POST "$URL/v3.0/oa/message/transaction" -H 'access_token: AT_1' --data-binary "$TX"
check "a reset closes the connection without an answer" "52" "$?"
post /_mock/config '{"timeout_hold_ms":1500}' >/dev/null
post /_mock/faults '{"next":[{"fault":"timeout","count":1}]}' >/dev/null
curl -s -o /dev/null -m 0.5 -X POST "$URL/v3.0/oa/message/transaction" -H 'access_token: AT_1' --data-binary "$TX"
check "a timeout holds the request past the client's limit" "28" "$?"
post /_mock/expire_token '{}' >/dev/null
check "expire_token expires every token handed out" "-220" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"

# --- record and webhook signature (§7.2) ---
reqs=$(curl -s "$URL/_mock/requests?path=/v3.0/oa/message/transaction")
check "every request is recorded with its body" "2468458835296197922" \
	"$(jq -r '[.[] | select(.body.recipient != null)][0].body.recipient.user_id' <<<"$reqs")"
check "faults are recorded" "true" "$(jq -r '[.[] | select(.fault == "reset")] | length == 1' <<<"$reqs")"
body='{"app_id":"1234567890123456789","event_name":"follow","timestamp":"1714529559833","follower":{"id":"1"}}'
sig=$(post /_mock/webhook/sign "$(jq -nc --arg b "$body" '{body:$b}')" | jq -r .signature)
want="mac=$(printf '%s' "1234567890123456789${body}1714529559833OAKEY" | sha256sum | cut -d' ' -f1)"
check "webhook signature is SHA-256(app_id + body + timestamp + OA secret key)" "$want" "$sig"
check "the record file is written" "true" "$(sleep 0.3; [[ -s $DIR/requests.jsonl ]] && echo true)"

# --- --init: tokens and followers in place before the first request ---
echo '{"tokens":{"access_token":"AT_I","refresh_token":"RT_I"},"users":[{"user_id":"2468458835296197922","follower":true}]}' >"$DIR/init.json"
"$MOCK" --port 0 --init "$DIR/init.json" >"$DIR/out2" 2>"$DIR/err2" &
MOCK2_PID=$!
for _ in $(seq 100); do
	grep -q 'listening on' "$DIR/out2" 2>/dev/null && break
	sleep 0.05
done
URL2="http://$(sed -n 's/^listening on //p' "$DIR/out2")"
a=$(curl -s -X POST "$URL2/v3.0/oa/message/transaction" -H 'Content-Type: application/json' \
	-H 'access_token: AT_I' --data-binary "$TX")
check "--init: the first message with the initial token to an initial follower is accepted" "0" "$(err "$a")"
a=$(curl -s -X POST "$URL2/v4/oa/access_token" -H 'secret_key: S3CR3T' \
	--data 'refresh_token=RT_I&app_id=1234567890123456789&grant_type=refresh_token')
check "--init: the initial refresh token refreshes" "AT_1" "$(jq -r .access_token <<<"$a")"
kill $MOCK2_PID 2>/dev/null
wait $MOCK2_PID 2>/dev/null

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
((failed == 0))
