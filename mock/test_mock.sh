#!/usr/bin/env bash
# Tests of zalo-mock itself: the behaviour the worker's tests rely on must
# hold before they can mean anything.  Each check sends real HTTP requests
# to a mock started on a free loopback port: tokens, OA messages (the
# legacy transaction message stopped by default), upload, ZBS template
# messages by user id, phone and hashed phone, template registration,
# status and info, the message quota, the balance, faults, the record,
# webhook signatures, --init and reset.  Prints TAP.
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
# err_msg ANSWER: "error message"
err_msg() { jq -r '"\(.error) \(.message)"' <<<"$1"; }
# http_code METHOD PATH [JSON]: the HTTP status of a call
http_code() {
	curl -s -o /dev/null -w '%{http_code}' -X "$1" "$URL$2" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"}
}

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

# --- the legacy transaction message (zalo-api.md §0): stopped by default ---
a=$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')
check "the transaction message is stopped by default: -233" \
	"-233 This message type is no longer supported" "$(err_msg "$a")"
check "stopped: -233 whatever the request, even without a token" "-233" \
	"$(err "$(post /v3.0/oa/message/transaction '{}' -H 'access_token: NOPE')")"
check "stopped: still counted as a transaction request" "2" \
	"$(curl -s "$URL/_mock/stats" | jq -r '.requests.transaction')"
check "transaction_message takes only available or stopped" "400" \
	"$(http_code POST /_mock/config '{"transaction_message":"maybe"}')"
check "a refused config call leaves the message stopped" "-233" \
	"$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"
post /_mock/config '{"transaction_message":"available"}' >/dev/null
check "available: the old behaviour (here a bad token gets -216)" "-216" \
	"$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: NOPE')")"
post /_mock/config '{"transaction_message":"stopped"}' >/dev/null
check "stopped again" "-233" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"
post /_mock/config '{"transaction_message":"available"}' >/dev/null

# --- OA messages (§2), with the transaction message available ---
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

# --- ZBS template registration (zalo-api.md §0) ---
ZBS='[{"template_id":"zbs_status","name":"Trạng thái hồ sơ","price":"300","price_uid":"150",
	"params":[{"name":"customer_name","max_length":30},{"name":"dossier_code","max_length":30,"type":"TRANSACTION_CODE"},
	{"name":"status","max_length":10}]}]'
check "templates register through /_mock/templates" '{"ok":true}' "$(post /_mock/templates "$ZBS")"
check "a parameter object without a name is refused" "400" \
	"$(http_code POST /_mock/templates '[{"template_id":"t_ok","params":["a"]},{"template_id":"t_bad","params":[{"max_length":5}]}]')"
check "a max_length that is not a positive integer is refused" "400" \
	"$(http_code POST /_mock/templates '[{"template_id":"t_bad","params":[{"name":"a","max_length":0}]}]')"
check "an unknown status is refused" "400" \
	"$(http_code POST /_mock/templates '[{"template_id":"t_bad","params":["a"],"status":"LIVE"}]')"
check "params must be an array" "400" "$(http_code POST /_mock/zns_templates '[{"template_id":"t_bad","params":"a"}]')"
post /_mock/users '[{"user_id":"4444444444444444444","last_interaction":1714529559},
	{"user_id":"5555555555555555555"},{"user_id":"6666666666666666666","last_interaction":"2024-05-01T02:12:39"}]' >/dev/null

# --- template info (§0) ---
info() { curl -s "$URL/template/info/v2?template_id=$1" -H "access_token: ${2:-AT_1}"; }
a=$(info zbs_status)
check "template info of a registered template" "0" "$(err "$a")"
check "info: id, name, status, timeout, preview, quality, tag, prices" \
	'["zbs_status","Trạng thái hồ sơ","ENABLE",7200000,"https://mock.invalid/preview/zbs_status","HIGH","TRANSACTION","300","150"]' \
	"$(jq -c '.data | [.templateId, .templateName, .status, .timeout, .previewUrl, .templateQuality, .templateTag, .price, .price_uid]' <<<"$a")"
check "info: listParams with name, type and maxLength" \
	'[{"name":"customer_name","require":true,"type":"STRING","maxLength":30,"minLength":0,"acceptNull":false},{"name":"dossier_code","require":true,"type":"TRANSACTION_CODE","maxLength":30,"minLength":0,"acceptNull":false},{"name":"status","require":true,"type":"STRING","maxLength":10,"minLength":0,"acceptNull":false}]' \
	"$(jq -c '.data.listParams' <<<"$a")"
check "info: old-form params get max_length 30, type STRING; prices default to 440 and 200" \
	'[30,"STRING",30,"STRING","440","200","352875","ENABLE"]' \
	"$(info 352875 | jq -c '.data | [.listParams[0].maxLength, .listParams[0].type, .listParams[1].maxLength, .listParams[1].type, .price, .price_uid, .templateName, .status]')"
check "info: a refused registration registered nothing, not even its good entries" "-109 Template ID invalid" \
	"$(err_msg "$(info t_ok)")"
check "info: without template_id: -109" "-109" "$(err "$(curl -s "$URL/template/info/v2" -H 'access_token: AT_1')")"
check "info: an unknown access token gets -216" "-216" "$(err "$(info zbs_status NOPE)")"
post /_mock/templates '[{"template_id":"zbs_replace","params":["a","b"],"price":440}]' >/dev/null
post /_mock/templates '[{"template_id":"zbs_replace","params":["a"],"status":"PENDING_REVIEW","price":500}]' >/dev/null
check "re-registering a template replaces it" '["a"] "PENDING_REVIEW" "500"' \
	"$(info zbs_replace | jq -r '"\([.data.listParams[].name] | tojson) \(.data.status | tojson) \(.data.price | tojson)"')"
check "the template id asked is recorded with the request" "zbs_replace" \
	"$(curl -s "$URL/_mock/requests?path=/template/info/v2" | jq -r '.[-1].query.template_id')"

# --- ZBS template message by user id (§0) ---
# tu BODY [TOKEN]: POST /v3.0/oa/message/template
tu() { post /v3.0/oa/message/template "$1" -H "access_token: ${2:-AT_1}"; }
# tub USER TEMPLATE DATA: a body with user_id at the top level
tub() { printf '{"user_id":"%s","template_id":"%s","template_data":%s}' "$1" "$2" "$3"; }
U=2468458835296197922
D='{"customer_name":"Nguyễn Văn A","dossier_code":"H60-1","status":"Đã tiếp nh"}'
a=$(tu "$(tub $U zbs_status "$D")")
check "a template message by user id is accepted" "0" "$(err "$a")"
check "with a 20-hex message_id, the user_id and sent_time in epoch ms" "true" \
	"$(jq -r --arg u $U '(.data.message_id | test("^[0-9a-f]{20}$")) and .data.user_id == $u and
		(.data.sent_time | type == "string" and test("^[0-9]{13}$"))
		and ((.data.sent_time | tonumber) / 1000 - now | fabs < 60)' <<<"$a")"
check "with the uid quota: purchase_quota, 99999 left of 100000" '{"quota_type":"purchase_quota","remain":"99999"}' \
	"$(jq -c '.data.quota' <<<"$a")"
a=$(tu "{\"recipient\":{\"user_id\":\"$U\"},\"template_id\":\"zbs_status\",\"template_data\":$D}")
check "the user id may come as recipient.user_id; each send takes one from the quota" "0 99998" \
	"$(jq -r '"\(.error) \(.data.quota.remain)"' <<<"$a")"
check "the template_data sent is recorded" "Nguyễn Văn A" \
	"$(curl -s "$URL/_mock/requests?path=/v3.0/oa/message/template" | jq -r '.[-1].body.template_data.customer_name')"
check "uid: an unknown access token gets -216" "-216" "$(err "$(tu "$(tub $U zbs_status "$D")" NOPE)")"
check "uid: a body that is no JSON object gets -201" "-201" "$(err "$(tu '[1]')")"
check "uid: a user_id that is a number, not a string, gets -201" "-201" \
	"$(err "$(tu "{\"user_id\":$U,\"template_id\":\"zbs_status\",\"template_data\":$D}")")"
check "uid: a user_id that is not digits gets -201" "-201" "$(err "$(tu "$(tub 12ab zbs_status "$D")")")"
check "uid: no user_id gets -201" "-201" "$(err "$(tu "{\"template_id\":\"zbs_status\",\"template_data\":$D}")")"
check "uid: an unknown template gets -109" "-109 Template ID invalid" "$(err_msg "$(tu "$(tub $U nope "$D")")")"
check "uid: the template is checked before the user" "-109" \
	"$(err "$(tu "$(tub 1111111111111111111 nope "$D")")")"
check "uid: a missing parameter gets -201" "-201" \
	"$(err "$(tu "$(tub $U zbs_status '{"customer_name":"A","dossier_code":"B"}')")")"
check "uid: an empty parameter gets -201" "-201" \
	"$(err "$(tu "$(tub $U zbs_status '{"customer_name":"A","dossier_code":"","status":"C"}')")")"
check "uid: a parameter that is no string gets -201" "-201" \
	"$(err "$(tu "$(tub $U zbs_status '{"customer_name":"A","dossier_code":12,"status":"C"}')")")"
check "uid: no template_data gets -201" "-201" "$(err "$(tu "{\"user_id\":\"$U\",\"template_id\":\"zbs_status\"}")")"
a=$(tu "$(tub $U zbs_status '{"customer_name":"A","dossier_code":"B","status":"Đã tiếp nhậ"}')")
check "uid: a value over max_length (in characters) gets -210" "-210 Parameter exceeds allowed limit" "$(err_msg "$a")"
check "uid: a missing parameter is reported before a long one" "-201" \
	"$(err "$(tu "$(tub $U zbs_status '{"customer_name":"A","status":"Đã tiếp nhậ"}')")")"
c30=$(printf 'x%.0s' $(seq 30))
check "uid: old-form params allow 30 characters" "0" \
	"$(err "$(tu "$(tub $U 352875 "{\"customer_name\":\"A\",\"dossier_code\":\"$c30\"}")")")"
check "uid: old-form params refuse 31 characters" "-210" \
	"$(err "$(tu "$(tub $U 352875 "{\"customer_name\":\"A\",\"dossier_code\":\"${c30}y\"}")")")"
check "uid: the data is checked before the user" "-210" "$(err "$(tu "$(tub 1111111111111111111 zbs_status \
	'{"customer_name":"A","dossier_code":"B","status":"Đã tiếp nhậ"}')")")"
check "uid: an unknown user gets -213" "-213" "$(err "$(tu "$(tub 9999 zbs_status "$D")")")"
check "uid: a user who does not follow gets -213" "-213" "$(err "$(tu "$(tub 1111111111111111111 zbs_status "$D")")")"
check "uid: a user who blocked the OA gets -244, not -217" "-244 User restricted this type of message from this OA" \
	"$(err_msg "$(tu "$(tub 3333333333333333333 zbs_status "$D")")")"
check "uid: a user who never interacted can receive" "0" "$(err "$(tu "$(tub 5555555555555555555 zbs_status "$D")")")"

# --- template status (§0) ---
tstatus() { post /_mock/template_status "{\"template_id\":\"zbs_status\",\"status\":\"$1\"}"; }
tstatus PENDING_REVIEW >/dev/null
check "uid: a template pending review gets -131" "-131 Template not approved" \
	"$(err_msg "$(tu "$(tub $U zbs_status "$D")")")"
check "info shows the new status" "PENDING_REVIEW" "$(info zbs_status | jq -r .data.status)"
tstatus REJECT >/dev/null
check "uid: a rejected template gets -131" "-131" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
check "uid: the status is checked before the data" "-131" "$(err "$(tu "$(tub $U zbs_status '{}')")")"
tstatus DISABLE >/dev/null
check "uid: a disabled template gets -146" "-146 Template disabled for low quality" \
	"$(err_msg "$(tu "$(tub $U zbs_status "$D")")")"
check "template_status of an unknown template: 404" "404 false" \
	"$(curl -s -w ' %{http_code}' -X POST "$URL/_mock/template_status" --data '{"template_id":"nope","status":"ENABLE"}' |
		jq -Rr 'split(" ") | "\(.[-1]) \(.[0:-1] | join(" ") | fromjson | .ok)"')"
check "template_status with an unknown status: 400" "400" \
	"$(http_code POST /_mock/template_status '{"template_id":"zbs_status","status":"LIVE"}')"
tstatus ENABLE >/dev/null
check "uid: enabled again, accepted" "0" "$(err "$(tu "$(tub $U zbs_status "$D")")")"

# --- ZBS by phone: status, limits (§0, §4) ---
post /_mock/templates '[{"template_id":"zbs_phone","params":["customer_name",{"name":"status","max_length":10}]}]' >/dev/null
PD='{"customer_name":"A","status":"Đã tiếp nh"}'
check "phone: a value at max_length is accepted" "0" "$(err "$(zns 84912345678 zbs_phone "$PD")")"
check "phone: a value over max_length gets -112" "-112 Template data invalid" \
	"$(err_msg "$(zns 84912345678 zbs_phone '{"customer_name":"A","status":"Đã tiếp nhậ"}')")"
check "phone: an empty value gets -112" "-112" "$(err "$(zns 84912345678 zbs_phone '{"customer_name":"A","status":""}')")"
post /_mock/template_status '{"template_id":"zbs_phone","status":"PENDING_REVIEW"}' >/dev/null
check "phone: a template pending review gets -131" "-131 Template not approved" "$(err_msg "$(zns 84912345678 zbs_phone "$PD")")"
post /_mock/template_status '{"template_id":"zbs_phone","status":"REJECT"}' >/dev/null
check "phone: a rejected template gets -131" "-131" "$(err "$(zns 84912345678 zbs_phone "$PD")")"
post /_mock/template_status '{"template_id":"zbs_phone","status":"DISABLE"}' >/dev/null
check "phone: a disabled template gets -146" "-146 Template disabled for low quality" \
	"$(err_msg "$(zns 84912345678 zbs_phone "$PD")")"
post /_mock/template_status '{"template_id":"zbs_phone","status":"ENABLE"}' >/dev/null

# --- ZBS by hashed phone (§0) ---
hz() { post /message/template/hashphone "{\"phone\":\"$1\",\"template_id\":\"$2\",\"template_data\":$3,\"tracking_id\":\"1-2-h\"}" -H "access_token: ${4:-AT_1}"; }
h() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
a=$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}')
check "hashphone: the SHA-256 hex of the 84… number is accepted" "0" "$(err "$a")"
check "hashphone: answered like /message/template" '[true,"1",true,true]' \
	"$(jq -c '.data | [(.msg_id | length > 0), .sending_mode, (.quota.dailyQuota | type == "string"), (.quota.remainingQuota | type == "string")]' <<<"$a")"
check "hashphone: a plain phone gets -108" "-108 Phone number invalid" \
	"$(err_msg "$(hz 84912345678 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "hashphone: uppercase hex gets -108" "-108" \
	"$(err "$(hz "$(h 84912345678 | tr a-f A-F)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "hashphone: 63 hex characters get -108" "-108" \
	"$(err "$(hz "$(h 84912345678 | cut -c2-)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "hashphone: the hash of a number without Zalo gets -118" "-118 Zalo account not existed" \
	"$(err_msg "$(hz "$(h 84900000000)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "hashphone: an unknown access token gets -216" "-216" \
	"$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}' NOPE)")"
check "hashphone: an unknown template gets -109" "-109" "$(err "$(hz "$(h 84912345678)" nope '{"customer_name":"A"}')")"
check "hashphone: a missing parameter gets -112" "-112" "$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A"}')")"
check "hashphone: a value over max_length gets -112" "-112" \
	"$(err "$(hz "$(h 84912345678)" zbs_phone '{"customer_name":"A","status":"Đã tiếp nhậ"}')")"
post /_mock/template_status '{"template_id":"zbs_phone","status":"DISABLE"}' >/dev/null
check "hashphone: a disabled template gets -146" "-146" "$(err "$(hz "$(h 84912345678)" zbs_phone "$PD")")"
post /_mock/template_status '{"template_id":"zbs_phone","status":"ENABLE"}' >/dev/null

# --- balance and quotas (§0) ---
post /_mock/quota '{"balance":false}' >/dev/null
check "balance off: by user id -137" "-137 Charge failed: not enough balance" "$(err_msg "$(tu "$(tub $U zbs_status "$D")")")"
check "balance off: by phone -137" "-137 Charge failed: not enough balance" \
	"$(err_msg "$(zns 84912345678 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "balance off: by hashed phone -137" "-137" \
	"$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "balance off: the user is checked first" "-213" "$(err "$(tu "$(tub 1111111111111111111 zbs_status "$D")")")"
check "balance off: a phone without Zalo is checked first" "-118" \
	"$(err "$(zns 84900000000 352875 '{"customer_name":"A","dossier_code":"B"}')")"
post /_mock/quota '{"balance":true}' >/dev/null
check "balance on: by user id accepted again" "0" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
check "balance on: by phone accepted again" "0" "$(err "$(zns 84912345678 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "balance on: by hashed phone accepted again" "0" \
	"$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
post /_mock/quota '{"oa":0}' >/dev/null
check "uid: OA quota used up gets -211" "-211" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
post /_mock/quota '{"oa":1000000,"uid":2}' >/dev/null
check "uid: the uid quota is settable" "1" "$(tu "$(tub $U zbs_status "$D")" | jq -r .data.quota.remain)"
tu "$(tub $U zbs_status "$D")" >/dev/null
check "uid: the uid quota used up gets -211" "-211 Out of quota" "$(err_msg "$(tu "$(tub $U zbs_status "$D")")")"
post /_mock/quota '{"uid":100000}' >/dev/null

# --- message quota of a user (§0) ---
qm() { post /v3.0/oa/quota/message "$1" -H "access_token: ${2:-AT_1}"; }
check "quota/message: last interaction in epoch ms, 8 of 8 free replies" \
	'{"user_id":"4444444444444444444","last_interaction":"1714529559000","cs_reply":{"remain":"8","total":"8"}}' \
	"$(qm '{"user_id":"4444444444444444444"}' | jq -c .data)"
check "quota/message: a last interaction set as a date" "1714529559000" \
	"$(qm '{"user_id":"6666666666666666666"}' | jq -r .data.last_interaction)"
check "quota/message: a user who never interacted: \"0\"" '"0"' \
	"$(qm '{"user_id":"5555555555555555555"}' | jq -c .data.last_interaction)"
check "quota/message: an unknown user gets -213" "-213" "$(err "$(qm '{"user_id":"9999"}')")"
check "quota/message: a user_id that is not digits gets -201" "-201" "$(err "$(qm '{"user_id":"x"}')")"
check "quota/message: an unknown access token gets -216" "-216" "$(err "$(qm '{"user_id":"4444444444444444444"}' NOPE)")"

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
# faults on the 2026 routes
post /_mock/faults '{"next":[{"fault":"zalo_error","code":-137},{"fault":"not_follower"},{"fault":"quota_exhausted"}]}' >/dev/null
check "zalo_error on the uid template route answers its code" "-137" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
check "not_follower on the uid template route: -213" "-213" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
check "quota_exhausted on the uid template route: -211" "-211" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
post /_mock/faults '{"next":[{"fault":"not_follower"},{"fault":"quota_exhausted"}]}' >/dev/null
check "not_follower on hashphone answers like the phone route: -118" "-118" \
	"$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "quota_exhausted on hashphone answers like the phone route: -144" "-144" \
	"$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
post /_mock/faults '{"next":[{"fault":"http_500"},{"fault":"rate_limit"}]}' >/dev/null
check "http_500 on template info" "5" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/template/info/v2?template_id=zbs_status" -H 'access_token: AT_1' | cut -c1)"
check "rate_limit on quota/message: -32" "-32" "$(err "$(qm '{"user_id":"4444444444444444444"}')")"
post /_mock/faults '{"path_prefix":"/message/template/hashphone","rate_limit":1.0}' >/dev/null
check "a fault path prefix takes in hashphone" "-32" \
	"$(err "$(hz "$(h 84912345678)" 352875 '{"customer_name":"A","dossier_code":"B"}')")"
check "and spares the other routes" "0" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
curl -s -X DELETE "$URL/_mock/faults" >/dev/null
post /_mock/faults '{"path_prefix":"/v3.0/oa/message/template","next":[{"fault":"timeout"}]}' >/dev/null
post /v3.0/oa/message/template "$(tub $U zbs_status "$D")" -H 'access_token: AT_1' -m 0.5 >/dev/null
check "a timeout on the uid template route holds the request" "28" "$?"
curl -s -X DELETE "$URL/_mock/faults" >/dev/null
check "faulted requests are recorded on their route's path" "zalo_error not_follower quota_exhausted timeout" \
	"$(curl -s "$URL/_mock/requests?path=/v3.0/oa/message/template" | jq -r '[.[] | select(.fault) | .fault] | join(" ")')"
check "each 2026 route has its own request counter" "true" \
	"$(curl -s "$URL/_mock/stats" | jq -r '.requests | .template_uid > 0 and .hashphone > 0 and .template_info > 0 and .quota_message > 0')"
post /_mock/expire_token '{}' >/dev/null
check "expire_token expires every token handed out" "-220" "$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_1')")"
check "an expired token on the uid template route gets -220" "-220" "$(err "$(tu "$(tub $U zbs_status "$D")")")"
check "an expired token on template info gets -220" "-220" "$(err "$(info zbs_status)")"
check "an expired token on quota/message gets -220" "-220" "$(err "$(qm '{"user_id":"4444444444444444444"}')")"

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

# --- reset restores the 2026 defaults ---
post /_mock/quota '{"balance":false,"uid":5}' >/dev/null
post /_mock/reset '{}' >/dev/null
post /_mock/tokens '{"access_token":"AT_R","refresh_token":"RT_R"}' >/dev/null
check "after reset the transaction message is stopped again" "-233" \
	"$(err "$(post /v3.0/oa/message/transaction "$TX" -H 'access_token: AT_R')")"
check "after reset the templates are gone" "-109" "$(err "$(tu "$(tub $U zbs_status "$D")" AT_R)")"
post /_mock/users "[{\"user_id\":\"$U\"}]" >/dev/null
post /_mock/templates "$ZBS" >/dev/null
check "after reset the balance is on and the uid quota back at 100000" "0 99999" \
	"$(tu "$(tub $U zbs_status "$D")" AT_R | jq -r '"\(.error) \(.data.quota.remain)"')"

# --- --init: tokens and followers in place before the first request ---
echo '{"tokens":{"access_token":"AT_I","refresh_token":"RT_I"},"users":[{"user_id":"2468458835296197922","follower":true}],
	"config":{"transaction_message":"available"},
	"templates":[{"template_id":"init_tpl","params":["customer_name"]}]}' >"$DIR/init.json"
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
a=$(curl -s -X POST "$URL2/v3.0/oa/message/template" -H 'Content-Type: application/json' -H 'access_token: AT_I' \
	--data-binary '{"user_id":"2468458835296197922","template_id":"init_tpl","template_data":{"customer_name":"A"}}')
check "--init: templates registered before the first request" "0" "$(err "$a")"
kill $MOCK2_PID 2>/dev/null
wait $MOCK2_PID 2>/dev/null
echo '{"templates":[{"template_id":"x","params":[{"max_length":3}]}]}' >"$DIR/bad.json"
"$MOCK" --port 0 --init "$DIR/bad.json" >"$DIR/out3" 2>"$DIR/err3"
check "--init: a malformed template stops the mock before it listens" "2 0" \
	"$? $(grep -c 'listening' "$DIR/out3")"

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
((failed == 0))
