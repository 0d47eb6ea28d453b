# Render the requests recorded by mock/zalo-mock (GET /_mock/requests) the
# way the citizen sees them on Zalo: ZBS template messages by user id and by
# phone (template and its parameters; the phone masked), the older OA
# transaction messages (header, text, table, buttons), file messages (file
# name and token).  Used by demo/show_messages.sh.
#
# Input: the array of records.  Arguments: $names (zalo_user_id -> display
# name), $since (the last sequence number already shown), and the terminal
# escapes $bold, $dim, $reset, $ok, $err and style_<colour> for the status
# row (empty or absent when the output is not a terminal).  Prints the
# messages, then a last line with the highest sequence number seen.

def pad($n): if $n > 0 then " " * $n else "" end;

# Greedy word wrap to lines of at most $w characters.
def wrap($w):
	[splits(" +") | select(length > 0)]
	| reduce .[] as $word ([""];
		if (.[-1] | length) == 0 then .[-1] = $word
		elif (.[-1] | length) + 1 + ($word | length) > $w then . + [$word]
		else .[-1] += " " + $word end)
	| .[];

# 84912345678 -> 091****678
def mask_phone:
	tostring | (if startswith("84") then "0" + .[2:] else . end) | .[0:3] + "****" + .[-3:];

def who($id): $names[$id] // "người dùng Zalo \($id)";
def line: "  │ " + .;
def title($to; $what): "  ┌─ \($bold)\($to)\($reset)  \($dim)\($what)\($reset)";

# [{key, value, style?}] as aligned "key  value" lines
def table_lines:
	(map(.key | length) | max // 0) as $w
	| .[]
	| "  \($dim)\(.key)\(pad($w - (.key | length)))\($reset)  "
	  + (if .style then ($ARGS.named["style_" + .style] // "") + .value + $reset else .value end)
	| line;

def answer:
	if .error == 0 and .http_status == 200 and .fault == null then
		"  └─ \($ok)✓\($reset) \($dim)accepted by Zalo at \(.time_us / 1000000 | strflocaltime("%H:%M:%S"))\($reset)"
	else
		"  └─ \($err)✗ refused by Zalo: error \(.error), HTTP \(.http_status)"
		+ (if .fault then ", injected fault \(.fault)" else "" end) + $reset
	end;

def transaction:
	.body.message.attachment.payload as $p
	| ($p.elements // []) as $els
	| title("Zalo OA → \(who(.body.recipient.user_id))"; "tin giao dịch"),
	  ($els[] | select(.type == "header") | "\($bold)\(.content)\($reset)" | line),
	  ($els[] | select(.type == "text") | .content | gsub("<br\\s*/?>"; "\n") | split("\n")[]
	   | (wrap(72) // "") | line),
	  ($els[] | select(.type == "table") | .content | table_lines),
	  ($p.buttons // [] | map("[ \(.title) ]") | select(length > 0) | join("  ") | line),
	  answer;

def template_data:
	.body.template_data // {} | to_entries
	| sort_by(.key as $k | ["ho_ten", "ma_ho_so", "ten_thu_tuc", "trang_thai"] | index([$k]) // 99)
	| map({key, value: (.value | tostring)}) | table_lines;

def template_uid:
	title("Zalo OA → \(who(.body.user_id // .body.recipient.user_id))"; "mẫu ZBS \(.body.template_id), theo user id"),
	  template_data,
	  answer;

def template_phone:
	title("Zalo → \(if .path | endswith("/hashphone") then "SĐT (băm SHA-256)" else .body.phone | mask_phone end)";
		  "mẫu ZBS \(.body.template_id), theo số điện thoại"),
	  template_data,
	  answer;

def file($all):
	. as $r
	| ([$all[] | select(.path == "/v2.0/oa/upload/file" and .seq < $r.seq and .error == 0)]
	   | last | .body // null) as $name
	| title("Zalo OA → \(who(.body.recipient.user_id))"; "tệp đính kèm"),
	  ("📄 \($name // "(tệp)")  \($dim)token \(.body.message.attachment.payload.token // "?" | .[0:12])…\($reset)"
	   | line),
	  answer;

def text:
	title("Zalo OA → \(who(.body.recipient.user_id))"; "tin tư vấn"),
	  (.body.message.text | split("\n")[] | (wrap(72) // "") | line),
	  answer;

def is_message: (.path | startswith("/v3.0/oa/message/")) and (.body | type) == "object";

(. as $all
 | .[]
 | if .path == "/v3.0/oa/message/transaction" and (.body | type) == "object" then transaction
   elif .path == "/v3.0/oa/message/template" and (.body | type) == "object" then template_uid
   elif (.path == "/message/template" or .path == "/message/template/hashphone") and (.body | type) == "object"
	then template_phone
   elif .path == "/template/info/v2" or .path == "/v3.0/oa/quota/message" then empty   # the worker's own reads
   elif is_message and .body.message.attachment.type? == "file" then file($all)
   elif is_message and .body.message.text? != null then text
   elif .path == "/v2.0/oa/upload/file" and .error == 0 then empty   # shown with its file message
   elif .path == "/v4/oa/access_token" and .error == 0 then "  \($dim)⟳ OAuth: access token refreshed\($reset)"
   else "  \($err)· \(.method) \(.path): "
		+ (if .fault then "injected fault \(.fault)" else "error \(.error), HTTP \(.http_status)" end) + $reset
   end),
([$since, .[].seq] | max)
