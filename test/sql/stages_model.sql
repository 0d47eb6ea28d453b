-- Every stage has its Vietnamese label and national status code, and the
-- allowed transitions are data a DBA can read.
SELECT stage, label_vi, status_code, status_label_vi, notifies, is_initial, is_final
FROM zalo_tthc.stage_info
ORDER BY stage;

-- every value of the enum has its rules
SELECT s AS stage_without_rules
FROM unnest(enum_range(NULL::zalo_tthc.stage)) AS s
WHERE s NOT IN (SELECT stage FROM zalo_tthc.stage_info);

-- the natural flow is allowed
SELECT f AS from_stage, t AS to_stage,
	   EXISTS (SELECT 1 FROM zalo_tthc.stage_transition
			   WHERE from_stage = f::zalo_tthc.stage AND to_stage = t::zalo_tthc.stage) AS allowed
FROM (VALUES ('submitted', 'received'), ('received', 'assigned'),
			 ('assigned', 'appraising'), ('appraising', 'signing'),
			 ('signing', 'result_ready'), ('result_ready', 'result_returned'),
			 ('submitted', 'rejected'), ('received', 'supplement_requested'),
			 ('assigned', 'supplement_requested'), ('appraising', 'supplement_requested'),
			 ('supplement_requested', 'supplement_submitted'),
			 ('supplement_requested', 'returned'),
			 ('result_returned', 'appraising'), ('rejected', 'received'),
			 ('result_ready', 'submitted')) AS v(f, t);

-- overdue_apology can be reached from every open stage that has a due date
SELECT from_stage FROM zalo_tthc.stage_transition
WHERE to_stage = 'overdue_apology' ORDER BY from_stage;

-- nothing leaves a final stage
SELECT count(*) AS transitions_from_final_stages
FROM zalo_tthc.stage_transition t
JOIN zalo_tthc.stage_info s ON s.stage = t.from_stage
WHERE s.is_final;

-- every notifying stage has a Vietnamese template with a lookup button
SELECT s.stage, t.header, t.zbs_template_id, t.by_phone,
	   t.buttons -> 0 ->> 'title' AS button
FROM zalo_tthc.stage_info s
LEFT JOIN zalo_tthc.template t USING (stage)
WHERE s.notifies
ORDER BY s.stage;
