#!/usr/bin/env bash
# make fuzz: build the libFuzzer target of the webhook check with clang
# (AddressSanitizer, UndefinedBehaviorSanitizer) and run it FUZZ_RUNS times
# (default 10 million) from the signed bodies in test/fuzz/corpus/.  Installs
# clang and its libFuzzer runtime when missing; make test does not need them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ZT_ROOT/scripts/deps.sh"
missing=()
for p in clang libclang-rt-14-dev; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
say "fuzzing the webhook check: ${FUZZ_RUNS:-10000000} executions"
make -C "$ZT_ROOT/test/fuzz" -s run FUZZ_RUNS="${FUZZ_RUNS:-10000000}"
