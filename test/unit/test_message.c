/*
 * test_message.c
 *		TAP tests of the message bodies built by src/message.c: the values
 *		of a notification reach Zalo exactly, whatever characters they hold,
 *		and a ZBS template message has the shape of its channel.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "tap.h"

#define BUTTONS "[{\"title\":\"Tra cứu hồ sơ\",\"image_icon\":\"\",\"type\":\"oa.open.url\"," \
	"\"payload\":{\"url\":\"{{link_tra_cuu}}\"}}]"

/* Parse text as strict JSON (RFC 8259); NULL if it is not. */
static json_object *
strict_parse(const char *text)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);
	json_tokener_free(tok);
	return obj;
}

/* The transaction message of a stage whose lookup link is link. */
static json_object *
message_with_link(const char *link)
{
	json_object *vars = json_object_new_object();
	ZtMessageParts parts = {0};
	char		err[256] = "";
	char	   *text;
	json_object *msg;

	json_object_object_add(vars, "link_tra_cuu", json_object_new_string(link));
	parts.user_id = "2468458835296197922";
	parts.dossier_code = "000.00.04.H60-230215-0028";
	parts.header = "Cập nhật trạng thái hồ sơ";
	parts.body = "";
	parts.table_rows_json = "[]";
	parts.buttons_json = BUTTONS;
	parts.vars_json = json_object_to_json_string(vars);
	text = zt_build_transaction_message(&parts, err, sizeof(err));
	json_object_put(vars);
	msg = text ? strict_parse(text) : NULL;
	free(text);
	return msg;
}

/* The first button of a transaction message, or NULL. */
static json_object *
first_button(json_object *msg)
{
	json_object *m;
	json_object *a;
	json_object *p;
	json_object *buttons;

	if (msg == NULL ||
		!json_object_object_get_ex(msg, "message", &m) ||
		!json_object_object_get_ex(m, "attachment", &a) ||
		!json_object_object_get_ex(a, "payload", &p) ||
		!json_object_object_get_ex(p, "buttons", &buttons) ||
		json_object_array_length(buttons) != 1)
		return NULL;
	return json_object_array_get_idx(buttons, 0);
}

/* A string member of an object ("payload.url" one level down), or "". */
static const char *
member(json_object *obj, const char *key, const char *subkey)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return "";
	if (subkey && !json_object_object_get_ex(v, subkey, &v))
		return "";
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* The lookup link of the message's button is exactly link, nothing else changed. */
static void
link_kept(const char *link, const char *what)
{
	json_object *msg = message_with_link(link);
	json_object *b = first_button(msg);

	ok(msg != NULL, what);
	ok(b != NULL, "  the button is there");
	ok(strcmp(member(b, "payload", "url"), link) == 0, "  its url is the value, byte for byte");
	ok(strcmp(member(b, "type", NULL), "oa.open.url") == 0 &&
	   strcmp(member(b, "title", NULL), "Tra cứu hồ sơ") == 0 &&
	   b != NULL && json_object_object_length(b) == 4,
	   "  its title, type and members are the template's");
	json_object_put(msg);
}

/* The ZBS template bodies by user id and by phone, and their parameters. */
static void
template_messages(void)
{
	ZtMessageParts parts = {0};
	char		err[256] = "";
	char	   *text;
	json_object *msg;
	json_object *data;
	char		hash[65];

	parts.user_id = "2468458835296197922";
	parts.template_id = "tthc_status";
	parts.template_params_json = "{\"ma_ho_so\":\"{{code}}\",\"trang_thai\":\"{{trang_thai}}\","
		"\"ten_thu_tuc\":\"{{ten_thu_tuc}}\",\"ghi_chu\":\"{{ghi_chu}}\"}";
	parts.param_limits_json = "[{\"name\":\"ten_thu_tuc\",\"max_length\":10}]";
	parts.vars_json = "{\"ma_ho_so\":\"000.00.04.H60-230215-0028\",\"trang_thai\":\"Đã tiếp nhận\","
		"\"ten_thu_tuc\":\"Cấp giấy phép xây dựng nhà ở riêng lẻ\",\"ghi_chu\":null}";
	parts.tracking_id = "1-2-zns";
	text = zt_build_template_message(&parts, err, sizeof(err));
	msg = text ? strict_parse(text) : NULL;
	json_object_object_get_ex(msg, "template_data", &data);
	ok(msg && strcmp(member(msg, "user_id", NULL), "2468458835296197922") == 0 &&
	   strcmp(member(msg, "template_id", NULL), "tthc_status") == 0 &&
	   !json_object_object_get_ex(msg, "tracking_id", NULL) && !json_object_object_get_ex(msg, "phone", NULL),
	   "by user id: user_id, template_id, template_data and no tracking_id");
	ok(strcmp(member(data, "ma_ho_so", NULL), "000.00.04.H60-230215-0028") == 0,
	   "  {{code}} is the English name of ma_ho_so");
	ok(strcmp(member(data, "ten_thu_tuc", NULL), "Cấp giấy p\xe2\x80\xa6") == 0 ||
	   strcmp(member(data, "ten_thu_tuc", NULL), "Cấp giấy \xe2\x80\xa6") == 0,
	   "  a value is cut to the parameter's max_length");
	ok(strcmp(member(data, "ghi_chu", NULL), "-") == 0, "  an empty value is sent as \"-\"");
	json_object_put(msg);
	free(text);

	parts.user_id = NULL;
	ok(zt_phone_hash("84912345678", hash) &&
	   strcmp(hash, "25cc2f7574420a2d46c9f2d6cf94cdbb242ef7d479afe92ed6e8eb33a7493093") == 0,
	   "a phone hash is the hex SHA-256 of the 84... number");
	parts.phone = hash;
	text = zt_build_template_message(&parts, err, sizeof(err));
	msg = text ? strict_parse(text) : NULL;
	ok(msg && strcmp(member(msg, "phone", NULL), hash) == 0 &&
	   strcmp(member(msg, "tracking_id", NULL), "1-2-zns") == 0 && !json_object_object_get_ex(msg, "user_id", NULL),
	   "by phone: phone, tracking_id and no user_id");
	json_object_put(msg);
	free(text);
}

/* A refused free reply becomes a consultation message with the same text. */
static void
reply_fallback(void)
{
	char	   *text = zt_reply_as_consultation("{\"recipient\":{\"message_id\":\"abc\"},\"message\":{\"text\":\"Hồ sơ\"}}",
												"2468458835296197922");
	json_object *msg = text ? strict_parse(text) : NULL;
	json_object *recipient = NULL;

	json_object_object_get_ex(msg, "recipient", &recipient);
	ok(recipient && strcmp(member(recipient, "user_id", NULL), "2468458835296197922") == 0 &&
	   !json_object_object_get_ex(recipient, "message_id", NULL) &&
	   strcmp(member(msg, "message", "text"), "Hồ sơ") == 0,
	   "a free reply as a consultation message: user_id for message_id, the same text");
	json_object_put(msg);
	free(text);
	ok(zt_reply_as_consultation("{\"recipient\":{\"user_id\":\"1\"},\"message\":{\"text\":\"x\"}}", "1") == NULL,
	   "a message that is no reply has none");
}

/* The text of the message with the given table rows and values. */
static char *
transaction_text(const char *rows, const char *vars_json, const ZtValue *values, int n_values)
{
	ZtMessageParts parts = {0};
	char		err[256] = "";

	parts.user_id = "2468458835296197922";
	parts.dossier_code = "000.00.04.H60-230215-0028";
	parts.header = "Hồ sơ {{code}}";
	parts.body = "{{trang_thai}}, hẹn trả {{ngay_hen_tra}}{{khong_co}}";
	parts.table_rows_json = rows;
	parts.buttons_json = BUTTONS;
	parts.vars_json = vars_json;
	parts.values = values;
	parts.n_values = n_values;
	return zt_build_transaction_message(&parts, err, sizeof(err));
}

/*
 * Values given as name/text pairs (the worker's) make the same message as
 * the same values in JSON, and a template's rows are those of its own text
 * however often another text was used before.
 */
static void
values_and_kept_templates(void)
{
	static const char *const rows[] = {
		"[{\"key\":\"Trạng thái\",\"value\":\"{{trang_thai}}\"}]",
		"[{\"key\":\"Thủ tục\",\"value\":\"{{ten_thu_tuc}}\"},{\"key\":\"Ghi chú\",\"value\":\"{{ghi_chu}}\"}]",
	};
	const ZtValue values[] = {
		{"ma_ho_so", "000.00.04.H60-230215-0028"},
		{"trang_thai", "Đã tiếp nhận"},
		{"ten_thu_tuc", "Cấp \"giấy phép\" xây dựng"},
		{"ghi_chu", NULL},
		{"ngay_hen_tra", "20/02/2023"},
		{"link_tra_cuu", "https://x.example/?q=1"},
	};
	const char *json = "{\"ma_ho_so\":\"000.00.04.H60-230215-0028\",\"trang_thai\":\"Đã tiếp nhận\","
		"\"ten_thu_tuc\":\"Cấp \\\"giấy phép\\\" xây dựng\",\"ghi_chu\":null,"
		"\"ngay_hen_tra\":\"20/02/2023\",\"link_tra_cuu\":\"https://x.example/?q=1\"}";
	int			n = (int) (sizeof(values) / sizeof(values[0]));
	char	   *from_pairs = transaction_text(rows[1], NULL, values, n);
	char	   *from_json = transaction_text(rows[1], json, NULL, 0);
	bool		same_each_time = true;

	ok(from_pairs && from_json && strcmp(from_pairs, from_json) == 0,
	   "values as name/text pairs make the message the JSON values make");
	ok(from_pairs && strstr(from_pairs, "\"Hồ sơ 000.00.04.H60-230215-0028\"") &&
	   strstr(from_pairs, "\"Đã tiếp nhận, hẹn trả 20/02/2023\"") &&
	   strstr(from_pairs, "Cấp \\\"giấy phép\\\" xây dựng") && !strstr(from_pairs, "Ghi chú"),
	   "  the English and Vietnamese names, an unknown name, a quote and a null value");
	for (int round = 0; round < 40; round++)
	{
		char	   *text = transaction_text(rows[round % 2], NULL, values, n);

		if (text == NULL || (strstr(text, "Thủ tục") != NULL) != (round % 2 == 1) ||
			(strstr(text, "\"Trạng thái\"") != NULL) != (round % 2 == 0))
			same_each_time = false;
		free(text);
	}
	ok(same_each_time, "  two templates in turn: each message has its own template's rows");
	same_each_time = true;
	for (int round = 0; round < 200; round++)
	{
		char		own_rows[128];
		char		own_key[32];
		char	   *text;

		/* more templates than are kept parsed */
		snprintf(own_key, sizeof(own_key), "\"Dòng %d\"", round % 50);
		snprintf(own_rows, sizeof(own_rows), "[{\"key\":%s,\"value\":\"x\"}]", own_key);
		text = transaction_text(own_rows, NULL, values, n);
		if (text == NULL || strstr(text, own_key) == NULL)
			same_each_time = false;
		free(text);
	}
	ok(same_each_time, "  fifty templates in turn: each message has its own template's rows");
	free(from_pairs);
	free(from_json);
}

int
main(void)
{
	values_and_kept_templates();
	template_messages();
	reply_fallback();
	link_kept("https://dichvucong.gov.vn/tra-cuu?ma_ho_so=000.00.04.H60-230215-0028", "a plain link");
	link_kept("https://x.example/?q=\"quoted\"", "a double quote in the value");
	link_kept("https://x.example/?q=back\\slash\\", "backslashes in the value");
	link_kept("https://x.example/?q=a\x01" "b\tc\nd\x1f", "control characters in the value");
	link_kept("x\",\"type\":\"oa.query.show\",\"payload\":\"#evil", "a value that would rewrite the button");
	link_kept("{{link_tra_cuu}}", "a value that looks like a placeholder");
	return done_testing();
}
