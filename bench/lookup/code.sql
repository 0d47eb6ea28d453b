\set i random(1, :rows)
SELECT count(*) FROM zalo_tthc.lookup(bench.code_of(:i));
