SELECT status, channel, count(*) FROM zalo_tthc.outbox GROUP BY status, channel;
