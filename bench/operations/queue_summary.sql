SELECT * FROM zalo_tthc.queue_summary;
