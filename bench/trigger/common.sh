# Shared by trigger_overhead.sh and trigger_compare.sh (sourced after
# scripts/lib.sh, with WORK, ROWS, SYNC, CLIENTS and SECONDS_PER_RUN set).

# The benchmark cluster in $WORK/pg, started, with $ROWS dossiers in each of
# the three tables of setup.sql.
trigger_bench_load() {
	cp "$ZT_ROOT"/bench/trigger/*.sql "$WORK/"
	chmod 644 "$WORK"/*.sql
	cluster_init "$WORK/pg" "shared_buffers = 512MB" "synchronous_commit = $SYNC" \
		"max_wal_size = 4GB" "checkpoint_timeout = 30min" "zalo_tthc.database_name = 'postgres'"
	cluster_start "$WORK/pg"
	zt_psql "$WORK/pg" postgres -c "CREATE DATABASE bench"
	say "loading $ROWS dossiers into each of the three tables"
	zt_psql "$WORK/pg" bench -v rows="$ROWS" -f "$WORK/setup.sql" >/dev/null
}

# trigger_bench_tps VARIANT: the TPS of one pgbench run of update_VARIANT.sql.
trigger_bench_tps() {
	"$PGBIN/pgbench" -n -h "$WORK/pg" -p 5432 -U postgres -c "$CLIENTS" -j 2 \
		-T "$SECONDS_PER_RUN" -D rows="$ROWS" -f "$WORK/update_$1.sql" bench 2>&1 |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
