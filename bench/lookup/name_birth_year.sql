\set i random(1, :rows)
SELECT count(*) FROM zalo_tthc.lookup((SELECT name || ' ' || extract(year FROM birth_date)
	FROM bench.applicant WHERE a = bench.applicant_of(:i)));
