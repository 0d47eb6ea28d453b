\set i random(1, :rows)
SELECT count(*) FROM zalo_tthc.lookup((SELECT id_number FROM bench.applicant WHERE a = bench.applicant_of(:i)));
