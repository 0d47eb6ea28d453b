-- change_template_status records Zalo's new status of a ZBS template in
-- zbs_template (a status other than ENABLE holds its stages) and warns;
-- change_oa_daily_quota warns.  An event without a template id or with an
-- unknown status changes nothing.
BEGIN;
SELECT webhook_fixture.setup();

SELECT webhook_fixture.deliver('{"event_name":"change_template_status","oa_id":"4300012345678901234","template_id":"tthc_result","status":{"prev_status":"ENABLE","new_status":"DISABLE"},"reason":"low quality"}')
	- 'event' AS answer;
SELECT template_id, status, problem, checked_at, status_changed_at IS NOT NULL AS changed
FROM zalo_tthc.zbs_template;

-- back to ENABLE: the problem is gone
SELECT webhook_fixture.deliver('{"event_name":"change_template_status","template_id":"tthc_result","status":{"prev_status":"DISABLE","new_status":"ENABLE"}}')
	->> 'action' AS action;
SELECT template_id, status, problem FROM zalo_tthc.zbs_template;

-- a flat status is read too; an unknown one is only recorded
SELECT webhook_fixture.deliver('{"event_name":"change_template_status","template_id":"tthc_status","new_status":"reject"}')
	->> 'status' AS status;
SELECT webhook_fixture.deliver('{"event_name":"change_template_status","template_id":"tthc_status","status":{"new_status":"SOMETHING"}}')
	->> 'action' AS action;
SELECT template_id, status FROM zalo_tthc.zbs_template ORDER BY template_id;

SELECT webhook_fixture.deliver('{"event_name":"change_oa_daily_quota","quota":{"prev_value":"500","new_value":"1000"}}')
	- 'event' AS answer;
SELECT event_name, action, count(*) FROM zalo_tthc.webhook_event GROUP BY 1, 2 ORDER BY 1, 2;
ROLLBACK;
