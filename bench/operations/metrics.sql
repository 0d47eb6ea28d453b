SELECT zalo_tthc.metrics();
