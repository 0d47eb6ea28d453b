#!/usr/bin/env bash
# make deb-test, and the last suite of make test: build the Debian package,
# install it into the system's PostgreSQL 15, start a throwaway cluster of
# the system's own binaries with zalo_tthc preloaded, as a DBA would run it,
# run the regression suite against it with `make installcheck`, then remove
# the package again.  The other suites run from a private installation
# (scripts/lib.sh), which ignores any zalo_tthc installed in the system's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pkg=postgresql-15-zalo-tthc
[[ $(id -u) == 0 ]] || { echo "deb_test: run as root (it installs $pkg)" >&2; exit 1; }

# one package test at a time on this machine, whichever checkout runs it
exec 9>"${TMPDIR:-/tmp}/zalo_tthc.deb_test.lock"
flock 9

if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) == "install ok installed" ]]; then
	echo "deb_test: $pkg is installed on this machine and this test would remove it;" \
		"remove it first (dpkg -r $pkg) or leave the suite out (ZT_SUITES)" >&2
	exit 1
fi

start=$SECONDS
ensure_run_user
out=${ZT_DEB_DIR:-$ZT_ROOT/build/deb}
ZT_DEB_DIR=$out bash "$ZT_ROOT/scripts/deb.sh" >/dev/null
deb=$(ls "$out/${pkg}_"*.deb)

# The package holds what a server needs and nothing else: the library, its
# bitcode, the control file and the SQL scripts (and Debian's copyright and
# changelog).
say "checking the files of $(basename "$deb")"
files=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$')
unexpected=$(grep -Ev '^\./usr/lib/postgresql/15/lib/(zalo_tthc\.so|bitcode/zalo_tthc(\.index\.bc|/src/[A-Za-z0-9_]+\.bc))$|^\./usr/share/postgresql/15/extension/zalo_tthc(\.control|--[0-9.]+(--[0-9.]+)?\.sql)$|^\./usr/share/doc/'"$pkg"'/(copyright|changelog(\.Debian)?\.gz)$' <<<"$files" || true)
if [[ -n $unexpected ]]; then
	echo "deb_test: files a server does not need in the package:" >&2
	echo "$unexpected" >&2
	exit 1
fi
for f in ./usr/lib/postgresql/15/lib/zalo_tthc.so ./usr/share/postgresql/15/extension/zalo_tthc.control; do
	grep -qxF "$f" <<<"$files" || { echo "deb_test: $f missing from the package" >&2; exit 1; }
done

WORK=$(make_work_dir deb)
cleanup() {
	cluster_stop "$WORK/pg" immediate
	dpkg -r "$pkg" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "installing $(basename "$deb")"
dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; exit 1; }
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" /usr/share/postgresql/15/extension/zalo_tthc.control)

# a cluster of the system's binaries, which find the packaged extension
PGBIN=$PG_SYSTEM_BIN
mkdir -p "$WORK/pg"
chown "$ZT_USER:" "$WORK/pg"
cluster_init "$WORK/pg" "fsync = off"
cluster_start "$WORK/pg"

for _ in $(seq 100); do
	[[ $(zt_psql "$WORK/pg" postgres -Atc \
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'") == 1 ]] && break
	sleep 0.1
done
[[ $(zt_psql "$WORK/pg" postgres -Atc \
	"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'zalo_tthc worker'") == 1 ]] ||
	{ echo "deb_test: the packaged library did not start its worker" >&2; tail -n 20 "$WORK/pg/server.log" >&2; exit 1; }

say "make installcheck against the packaged zalo_tthc $version"
env PGHOST="$WORK/pg" PGPORT=5432 PGUSER=postgres \
	make -C "$ZT_ROOT" -s installcheck PG_CONFIG="$PG_SYSTEM_BIN/pg_config" || {
	[[ -f $ZT_ROOT/test/regression.diffs ]] && head -n 200 "$ZT_ROOT/test/regression.diffs"
	exit 1
}
installed=$(zt_psql "$WORK/pg" contrib_regression -Atc "SELECT extversion FROM pg_extension WHERE extname = 'zalo_tthc'")
[[ $installed == "$version" ]] ||
	{ echo "deb_test: CREATE EXTENSION installed $installed, the control file says $version" >&2; exit 1; }

cluster_stop "$WORK/pg"
dpkg -r "$pkg" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; exit 1; }
[[ ! -e /usr/lib/postgresql/15/lib/zalo_tthc.so && ! -e /usr/share/postgresql/15/extension/zalo_tthc.control ]] ||
	{ echo "deb_test: files left after dpkg -r $pkg" >&2; exit 1; }
echo "deb_test: $pkg built, installed, tested and removed in $((SECONDS - start)) s"
