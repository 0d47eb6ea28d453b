#!/usr/bin/env bash
# make repeat-tap: run end-to-end tests again and again against one build,
# to measure how often a test fails (a flaky test blocks every landing).
#   TAP_TESTS  glob of test/t files (default 005_standby.pl)
#   REPEAT     rounds (default 20)
# Prints one line per round and the counts; exits non-zero if any failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

prepare_machine
install_upgrade_fixtures

WORK=$(make_work_dir repeat)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
cp -r "$ZT_ROOT/test" "$WORK/test"
cp "$ZT_ROOT/mock/zalo-mock" "$WORK/zalo-mock"
mkdir -p "$WORK/demo" && cp "$ZT_ROOT/demo/zbs_templates.json" "$WORK/demo/"
[[ $(id -u) == 0 ]] && chown -R "$ZT_USER:" "$WORK/test" "$WORK/zalo-mock" "$WORK/demo"
pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")

passed=0
failed=0
for round in $(seq "${REPEAT:-20}"); do
	rm -rf "$WORK/tap"
	mkdir -p "$WORK/tap"
	[[ $(id -u) == 0 ]] && chown "$ZT_USER:" "$WORK/tap"
	if (cd "$WORK/tap" && as_run_user env PATH="$PGBIN:$PATH" \
		PERL5LIB="$pgxs_dir/../test/perl" TESTDIR="$WORK/tap" \
		PG_REGRESS="$pgxs_dir/../test/regress/pg_regress" ZALO_MOCK="$WORK/zalo-mock" \
		PG_TEST_TIMEOUT_DEFAULT=${PG_TEST_TIMEOUT_DEFAULT:-90} \
		prove "$WORK"/test/t/${TAP_TESTS:-005_standby.pl}) >"$WORK/round.log" 2>&1; then
		passed=$((passed + 1))
		echo "round $round: ok"
	else
		failed=$((failed + 1))
		echo "round $round: FAILED"
		grep -E '^(not ok|#)' "$WORK/round.log" | head -n 20 || true
		if [[ -n ${KEEP_FAILED:-} ]]; then
			mkdir -p "$KEEP_FAILED/round$round"
			cp -r "$WORK/tap/tmp_check/log" "$KEEP_FAILED/round$round/" 2>/dev/null || true
			cp "$WORK/round.log" "$KEEP_FAILED/round$round/"
		fi
	fi
done
echo "repeat: $passed passed, $failed failed"
((failed == 0))
