-- The body as the bytes Zalo sent: handle_webhook(bytea, text) checks the
-- signature over exactly those bytes, whatever the session's
-- client_encoding.  A body passed as text is converted from the client
-- encoding first, so in a session that is not UTF8 its bytes, and the MAC
-- computed over them, are no longer Zalo's.
BEGIN;
SELECT webhook_fixture.setup();

-- "mac=" + SHA-256 of app id, raw body bytes, timestamp and OA secret key
CREATE FUNCTION pg_temp.sign_bytes(body bytea, ts text) RETURNS text LANGUAGE sql AS $$
	SELECT 'mac=' || encode(sha256(convert_to('1234567890123456789', 'UTF8') || body
		|| convert_to(ts || 'OAKEY', 'UTF8')), 'hex')
$$;

-- a citizen's name in Vietnamese, as Zalo sends it: UTF-8, signed over those bytes
SELECT webhook_fixture.body('{"event_name":"user_submit_info","sender":{"id":"7000000000000000061"},"info":{"name":"Nguyễn Thị Hoà","phone":"84912000061"}}') AS body \gset
SELECT webhook_fixture.sign(:'body') AS sig,
	   encode(convert_to(:'body', 'UTF8'), 'hex') AS body_hex \gset

-- as bytea: accepted, and the text reaches the handler unchanged
SAVEPOINT s;
SELECT r ->> 'action' AS action, r ->> 'verified' AS verified
FROM zalo_tthc.handle_webhook(decode(:'body_hex', 'hex'), :'sig') r;
SELECT display_name, phone FROM zalo_tthc.recipient WHERE zalo_user_id = '7000000000000000061';
ROLLBACK TO s;

-- a portal session in LATIN1 passing the same bytes as text: the server reads
-- them as Latin-1 and converts them, so the signature no longer matches ...
SET client_encoding = 'LATIN1';
SELECT r ->> 'reason' AS text_in_latin1_session
FROM zalo_tthc.handle_webhook(:'body', :'sig') r;
-- ... because the text the function got is not the body Zalo signed
SELECT encode(convert_to(:'body', 'UTF8'), 'hex') = :'body_hex' AS text_is_zalos_body;
-- the same bytes as bytea are Zalo's, in any client encoding: accepted
SELECT r ->> 'action' AS bytea_in_latin1_session
FROM zalo_tthc.handle_webhook(decode(:'body_hex', 'hex'), :'sig') r;
RESET client_encoding;
ROLLBACK TO s;

-- bytes that are no text at all, correctly signed: verified, then refused as
-- unusable (the portal answers 200, so Zalo does not retry them)
SELECT r ->> 'verified' AS verified, r ->> 'reason' AS reason
FROM (SELECT convert_to(format('{"app_id":"1234567890123456789","timestamp":"%s","event_name":"user_send_text","sender":{"id":"7000000000000000061"},"message":{"msg_id":"raw-bytes-2","text":"', ts), 'UTF8')
			 || '\xff'::bytea || convert_to('"}}', 'UTF8') AS b, ts
	  FROM webhook_fixture.now_ms() ts) s,
	 zalo_tthc.handle_webhook(b, pg_temp.sign_bytes(b, ts)) r;
-- a wrong signature over bytes is refused like one over text
SELECT r ->> 'reason' AS reason
FROM zalo_tthc.handle_webhook(decode(:'body_hex', 'hex'), 'mac=' || repeat('ab', 32)) r;
-- and the signature check alone takes bytes too
SELECT zalo_tthc.verify_webhook_signature(decode(:'body_hex', 'hex'), :'sig') AS bytes_verify,
	   zalo_tthc.verify_webhook_signature(:'body', :'sig') AS text_in_utf8_session_verifies;

-- the portal may call both forms
SET LOCAL ROLE zalo_tthc_portal;
SELECT zalo_tthc.handle_webhook(decode(:'body_hex', 'hex'), :'sig') ->> 'action' AS bytea_as_portal;
SELECT zalo_tthc.handle_webhook(:'body', :'sig') ->> 'verified' AS text_as_portal_verified;
ROLLBACK;
