SELECT stage, channel, status, count(*), min(created_at) FROM zalo_tthc.outbox GROUP BY stage, channel, status;
