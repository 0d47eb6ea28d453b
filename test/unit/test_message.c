/*
 * test_message.c
 *		TAP tests of the message bodies built by src/message.c: the values
 *		of a notification reach Zalo exactly, whatever characters they hold.
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

int
main(void)
{
	link_kept("https://dichvucong.gov.vn/tra-cuu?ma_ho_so=000.00.04.H60-230215-0028", "a plain link");
	link_kept("https://x.example/?q=\"quoted\"", "a double quote in the value");
	link_kept("https://x.example/?q=back\\slash\\", "backslashes in the value");
	link_kept("https://x.example/?q=a\x01" "b\tc\nd\x1f", "control characters in the value");
	link_kept("x\",\"type\":\"oa.query.show\",\"payload\":\"#evil", "a value that would rewrite the button");
	link_kept("{{link_tra_cuu}}", "a value that looks like a placeholder");
	return done_testing();
}
