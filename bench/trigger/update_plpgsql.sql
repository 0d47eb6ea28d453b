\set id random(1, :rows)
\set r random(1, 1000000000)
UPDATE bench.dossier_plpgsql SET stage = CASE WHEN stage = 'supplement_requested' THEN 'supplement_submitted' ELSE 'supplement_requested' END::zalo_tthc.stage, stage_note = 'Bổ sung bản sao CCCD, lần ' || :r WHERE id = :id;
