\set i random(1, :rows)
SELECT count(*) FROM zalo_tthc.lookup((SELECT name FROM bench.applicant WHERE a = bench.applicant_of(:i)));
