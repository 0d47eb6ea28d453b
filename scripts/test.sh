#!/usr/bin/env bash
# make test: install what is missing, build, install, then run every test
# suite against throwaway clusters.  Exits non-zero if any suite fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

prepare_machine
install_upgrade_fixtures

WORK=$(make_work_dir test)
cleanup() {
	cluster_stop "$WORK/sql" immediate
	if [[ ${KEEP_TEST_DIR:-} == 1 ]]; then
		echo "test files kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
failed_names=()
failure_notes=()

# prove_summary FILE: the failures listed in the summary of prove's
# (or pg_prove's) output, without its header and totals.
prove_summary() {
	sed -n '/^Test Summary Report/,$p' "$1" | sed -n '3,$p' | grep -v -E '^(Files=|Result:)'
}

# run_suite NAME COMMAND...: run one suite, count it.
run_suite() {
	local name=$1
	shift
	say "suite: $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names+=("$name")
	fi
}

# Copies of the tests the unprivileged account can read, whatever the
# permissions of the checkout.
cp -r "$ZT_ROOT/test" "$WORK/test"
cp -r "$ZT_ROOT/monitoring" "$WORK/monitoring"
mkdir -p "$WORK/demo" && cp "$ZT_ROOT/demo/zbs_templates.json" "$WORK/demo/"
[[ $(id -u) == 0 ]] && chown -R "$ZT_USER:" "$WORK/test" "$WORK/monitoring" "$WORK/demo"

mkdir -p "$WORK/sql"
[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/sql"
cluster_init "$WORK/sql" "fsync = off" "zalo_tthc.database_name = 'postgres'"
cluster_start "$WORK/sql"

pg_regress_suite() {
	local pgxs_dir
	pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")
	local tests=()
	for f in "$WORK"/test/sql/*.sql; do tests+=("$(basename "$f" .sql)"); done
	mkdir -p "$WORK/regress"
	"$pgxs_dir/../test/regress/pg_regress" \
		--bindir="$PGBIN" --inputdir="$WORK/test" --outputdir="$WORK/regress" \
		--host="$WORK/sql" --port=5432 --user=postgres --dbname=zalo_tthc_regress \
		--load-extension=unaccent --load-extension=zalo_tthc \
		"${tests[@]}" || {
		[[ -f $WORK/regress/regression.diffs ]] && head -n 200 "$WORK/regress/regression.diffs"
		failure_notes+=("pg_regress: $(grep -h FAILED "$WORK/regress/regression.out" 2>/dev/null | head -n 10)")
		return 1
	}
}

pgtap_suite() {
	zt_psql "$WORK/sql" postgres -c "CREATE DATABASE zalo_tthc_tap"
	zt_psql "$WORK/sql" zalo_tthc_tap -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION zalo_tthc CASCADE"
	pg_prove -h "$WORK/sql" -p 5432 -U postgres -d zalo_tthc_tap "$WORK"/test/pgtap/*.sql |
		tee "$WORK/pgtap.out" || {
		failure_notes+=("pgTAP: $(prove_summary "$WORK/pgtap.out" | head -n 12)")
		return 1
	}
}

unit_suite() {
	make -C "$ZT_ROOT/test/unit" -s >/dev/null &&
		prove -e '' "$ZT_ROOT/test/unit/test_validate" "$ZT_ROOT/test/unit/test_webhook" \
			"$ZT_ROOT/test/unit/test_message" "$ZT_ROOT/test/unit/test_zalo_client"
}

# End-to-end tests of the delivery worker: PostgreSQL::Test::Cluster nodes
# and the mock Zalo API, run as the unprivileged account.
tap_suite() {
	local pgxs_dir
	pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")
	mkdir -p "$WORK/tap"
	cp "$ZT_ROOT/mock/zalo-mock" "$WORK/zalo-mock"
	[[ $(id -u) == 0 ]] && chown -R "$ZT_USER:" "$WORK/tap" "$WORK/zalo-mock"
	(cd "$WORK/tap" && as_run_user env PATH="$PGBIN:$PATH" \
		PERL5LIB="$pgxs_dir/../test/perl" TESTDIR="$WORK/tap" \
		PG_REGRESS="$pgxs_dir/../test/regress/pg_regress" ZALO_MOCK="$WORK/zalo-mock" \
		PG_TEST_TIMEOUT_DEFAULT=${PG_TEST_TIMEOUT_DEFAULT:-90} \
		prove ${PROVE_FLAGS:-} "$WORK"/test/t/${TAP_TESTS:-*.pl}) | tee "$WORK/tap/prove.out" || {
		# prove's summary names the failing files: their logs' tails here,
		# and their failed checks again in the last lines of the run
		local t log failed_checks
		for t in $(prove_summary "$WORK/tap/prove.out" | grep -o '[0-9][0-9][0-9]_[a-z_]*\.pl' | sort -u); do
			log=$WORK/tap/tmp_check/log/regress_log_${t%.pl}
			[[ -f $log ]] || continue
			echo "--- tail of $log"
			tail -n 60 "$log"
			# (a test that died has no failed check: its last lines then)
			failed_checks=$(grep -A6 -E '^\S* ?not ok ' "$log" | grep -E 'not ok|Failed test|got:|expected:|^#' |
				sed -E 's/^\[[0-9:.]+\]\([0-9.]+s\) //' | head -n 12)
			failure_notes+=("$t: ${failed_checks:-$(tail -n 5 "$log")}")
		done
		return 1
	}
}

# ZT_SUITES picks suites by key (default: all), e.g. ZT_SUITES=tap
# TAP_TESTS=010_soak.pl make test
wanted() { [[ -z ${ZT_SUITES:-} || " $ZT_SUITES " == *" $1 "* ]]; }
wanted unit && run_suite "C unit tests" unit_suite
wanted regress && run_suite "pg_regress" pg_regress_suite
wanted pgtap && run_suite "pgTAP" pgtap_suite
wanted mock && run_suite "mock Zalo API" bash "$ZT_ROOT/mock/test_mock.sh"
wanted tap && run_suite "delivery worker (TAP)" tap_suite
# last: it installs the Debian package into the system's PostgreSQL and removes it
wanted deb && run_suite "Debian package" bash "$ZT_ROOT/scripts/deb_test.sh"

echo
if ((failed > 0)); then
	for note in "${failure_notes[@]}"; do echo "$note"; done
	echo "failed suites: ${failed_names[*]}"
fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
