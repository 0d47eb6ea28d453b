#!/usr/bin/env bash
# Shared helpers for the test, demo and benchmark scripts: build and install
# the extension, and run throwaway PostgreSQL clusters as an unprivileged
# user (the server refuses to run as root).

ZT_USER=${ZT_USER:-zalotthc}
ZT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The system's PostgreSQL 15, whose headers and PGXS the build uses.
PG_SYSTEM_BIN=/usr/lib/postgresql/15/bin
PG_CONFIG=${PG_CONFIG:-$PG_SYSTEM_BIN/pg_config}
# The servers run from a private copy of that installation with this
# checkout's build installed into it (PostgreSQL finds its share and lib
# directories relative to its binaries), so that two checkouts, or a test
# and a benchmark, never share one installed zalo_tthc.
ZT_INSTALL=${ZT_INSTALL:-$ZT_ROOT/tmp_install}
PGBIN=$ZT_INSTALL/usr/lib/postgresql/15/bin

# The median of the numbers on standard input (spaces or lines).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Print a progress line.
say() { if [[ -t 1 ]]; then printf '\033[1m==> %s\033[0m\n' "$*"; else printf '==> %s\n' "$*"; fi; }

# Create the unprivileged account that runs the servers, when root.
ensure_run_user() {
	if [[ $(id -u) == 0 ]] && ! id -u "$ZT_USER" >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$ZT_USER"
	fi
}

# Run a command as the unprivileged account (or as ourselves when not root).
as_run_user() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u "$ZT_USER" -- "$@"
	else
		"$@"
	fi
}

# Build the extension (and the mock server when present) and install it
# into the private installation at $ZT_INSTALL.
build_and_install() {
	local pg_lib pg_share
	pg_lib=$(dirname "$PG_SYSTEM_BIN")
	pg_share=$("$PG_CONFIG" --sharedir)
	make -C "$ZT_ROOT" -s -j2 PG_CONFIG="$PG_CONFIG" >/dev/null
	rm -rf "$ZT_INSTALL"
	mkdir -p "$ZT_INSTALL$(dirname "$pg_lib")" "$ZT_INSTALL$(dirname "$pg_share")"
	cp -a "$pg_lib" "$ZT_INSTALL$pg_lib"
	cp -a "$pg_share" "$ZT_INSTALL$pg_share"
	# whatever an earlier system-wide install left is not this build
	rm -f "$ZT_INSTALL$pg_lib"/lib/zalo_tthc.so "$ZT_INSTALL$pg_share"/extension/zalo_tthc[.-]*
	rm -rf "$ZT_INSTALL$pg_lib"/lib/bitcode/zalo_tthc*
	make -C "$ZT_ROOT" -s install PG_CONFIG="$PG_CONFIG" DESTDIR="$ZT_INSTALL" >/dev/null
	chmod -R a+rX "$ZT_INSTALL"
	if [[ -f $ZT_ROOT/mock/Makefile ]]; then
		make -C "$ZT_ROOT/mock" -s -j2 >/dev/null
	fi
}

# The old schemas the upgrade test starts from (test/upgrade/), installed
# beside this build in the private installation for the tests only: they
# are fixtures, never shipped.
install_upgrade_fixtures() {
	local extdir
	extdir=$ZT_INSTALL$("$PG_CONFIG" --sharedir)/extension
	cp "$ZT_ROOT"/test/upgrade/zalo_tthc--*.sql "$extdir/"
	chmod a+r "$extdir"/zalo_tthc--*.sql
}

# Everything before a cluster can start: packages, the run account, the
# build and its installation.
prepare_machine() {
	say "checking Debian packages"
	bash "$ZT_ROOT/scripts/deps.sh"
	ensure_run_user
	say "building and installing zalo_tthc"
	build_and_install
}

# A benchmark's start: the machine prepared, a work directory with an
# empty cluster directory $WORK/pg, both removed (cluster stopped) on exit.
start_bench_work() {
	prepare_machine
	WORK=$(make_work_dir bench)
	trap 'cluster_stop "$WORK/pg" immediate; rm -rf "$WORK"' EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$WORK/pg"
	[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/pg"
}

# Make a work directory the unprivileged account owns; prints its path.
make_work_dir() {
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/zalo_tthc.$1.XXXXXX")
	chmod 755 "$dir"
	[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$dir"
	echo "$dir"
}

# cluster_init DIR [postgresql.conf lines...]: a new cluster in DIR/data,
# socket in DIR, superuser "postgres", trust authentication on the socket.
cluster_init() {
	local dir=$1
	shift
	as_run_user "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "port = 5432"
		echo "shared_preload_libraries = 'zalo_tthc'"
		echo "max_connections = 60"
		echo "logging_collector = off"
		echo "log_line_prefix = '%m [%p] %b '"
		for line in "$@"; do echo "$line"; done
	} | as_run_user tee -a "$dir/data/postgresql.conf" >/dev/null
}

# cluster_start DIR: start and wait until it accepts connections.
cluster_start() {
	as_run_user "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 start >/dev/null ||
		{ tail -n 30 "$1/server.log" >&2; return 1; }
}

# cluster_stop DIR [mode]: stop it if it is running.
cluster_stop() {
	if [[ -f $1/data/postmaster.pid ]]; then
		as_run_user "$PGBIN/pg_ctl" -D "$1/data" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1 || true
	fi
}

# psql against the cluster in DIR: zt_psql DIR DB [psql args...]
zt_psql() {
	local dir=$1 db=$2
	shift 2
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p 5432 -U postgres -d "$db" "$@"
}

# start_mock DIR [zalo-mock options...]: start the mock Zalo API on a free
# loopback port with its output in DIR; sets MOCK_PID and MOCK_URL.
start_mock() {
	local dir=$1
	shift
	"$ZT_ROOT/mock/zalo-mock" --port 0 "$@" >"$dir/mock.out" 2>"$dir/mock.err" &
	MOCK_PID=$!
	for _ in $(seq 200); do
		kill -0 "$MOCK_PID" 2>/dev/null || { cat "$dir/mock.err" >&2; return 1; }
		grep -q '^listening on 127\.0\.0\.1:[0-9]' "$dir/mock.out" 2>/dev/null && break
		sleep 0.05
	done
	MOCK_URL="http://$(sed -n 's/^listening on //p' "$dir/mock.out")"
	[[ $MOCK_URL != http:// ]] || { echo "zalo-mock did not start" >&2; return 1; }
}

# mock_post PATH JSON: a call of the mock's control API (PATH under /_mock/).
mock_post() {
	curl -sSf -X POST "$MOCK_URL$1" -H 'Content-Type: application/json' --data-binary "$2" >/dev/null
}
