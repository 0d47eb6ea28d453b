\set i random(1, :rows)
SELECT count(*) FROM zalo_tthc.lookup((SELECT split_part(name, ' ', 1) || ' ' || regexp_replace(name, '^.* ', '')
	FROM bench.applicant WHERE a = bench.applicant_of(:i)));
