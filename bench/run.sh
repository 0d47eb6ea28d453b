#!/usr/bin/env bash
# make bench: every benchmark at its default size, one after the other
# (never in parallel: each reports ratios against a baseline of its own run).
# Results are printed and kept in bench/out/.  make bench-full adds the
# worker-memory run over 1,000,000 notifications.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash trigger_overhead.sh
bash delivery.sh
