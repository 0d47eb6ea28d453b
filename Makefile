# zalo_tthc: PGXS build plus the two entry points a newcomer needs,
# `make demo` and `make test` (see README.md).

EXTENSION = zalo_tthc
EXTVERSION = 1.0.0
MODULE_big = zalo_tthc
# one object per file of src/, each file one job
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is built from one file of sql/ per feature, joined in
# this order: each file uses only what the files before it create.  Update
# scripts (sql/zalo_tthc--A--B.sql) are written by hand.
SQL_FEATURES = sql/roles.sql sql/stages.sql sql/dossier.sql sql/outbox.sql \
	sql/credentials.sql sql/lookup.sql sql/webhook.sql sql/attach.sql sql/operations.sql
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
# the schema the delivery worker waits for is this version
PG_CPPFLAGS = -I$(srcdir)/src -DZT_SCHEMA_VERSION='"$(EXTVERSION)"'
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcurl -ljson-c -lcrypto

# PGXS is only there once postgresql-server-dev is installed; `make test`
# and `make demo` install it first, then call make again.
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
all:
	@echo "postgresql-server-dev-15 is not installed: run 'make test' or 'make demo', or scripts/deps.sh" >&2
	@exit 1
endif

.PHONY: test demo deps bench bench-full bench-lookup bench-compare bench-engine bench-engine-sql bench-instructions bench-webhook bench-ops bench-attach valgrind valgrind-lookup soak fuzz repeat-tap

deps:
	bash scripts/deps.sh

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

bench:
	bash bench/run.sh

bench-full:
	bash bench/trigger_overhead.sh
	BENCH_MEMORY_N=1000000 bash bench/delivery.sh

bench-lookup:
	bash bench/lookup.sh

# this checkout's trigger against BENCH_BASE's (default HEAD~1) on one cluster
bench-compare:
	bash bench/trigger_compare.sh

# the delivery engine, this checkout's worker against BENCH_BASE's (default HEAD~1):
# throughput, CPU per notification, commit-to-request latency (bench/README.md)
bench-engine:
	bash bench/engine.sh

# the database half of a notification: the least claim, outcome and log
# against the worker's own statements, backend CPU each (bench/README.md)
bench-engine-sql:
	bash bench/engine_sql.sh

# instructions per stage-changing UPDATE under callgrind: trigger cost free of machine noise
bench-instructions:
	bash bench/trigger_instructions.sh

bench-ops:
	bash bench/operations.sh
	bash bench/operations_enqueue.sh

# a one-stop application's own stage-changing UPDATE with no trigger, a
# hand-written PL/pgSQL sync and zalo_tthc.attach() (bench/README.md)
bench-attach:
	bash bench/attach.sh

valgrind:
	bash scripts/valgrind.sh

# the resilience scenarios at full size (make test runs them reduced)
soak:
	SOAK_DOSSIERS=$${SOAK_DOSSIERS:-20000} SOAK_KILLS=$${SOAK_KILLS:-6} PG_TEST_TIMEOUT_DEFAULT=3600 \
		ZT_SUITES=tap TAP_TESTS='01[01]_*.pl' PROVE_FLAGS=-v bash scripts/test.sh

# end-to-end tests run again and again on one build, to count flaky failures:
# TAP_TESTS (default 005_standby.pl), REPEAT (default 20)
repeat-tap:
	bash scripts/repeat_tap.sh

# libFuzzer on the webhook check (FUZZ_RUNS, default 10 million)
fuzz:
	bash scripts/fuzz.sh

bench-webhook:
	bash bench/webhook.sh

# Release.  The regression suite creates its own extensions, so that `make
# installcheck` runs against any server with zalo_tthc installed (README.md,
# Tests).
REGRESS_OPTS += --load-extension=unaccent --load-extension=zalo_tthc

# The Debian package postgresql-15-zalo-tthc, built into build/deb/
.PHONY: deb deb-test
deb:
	bash scripts/deb.sh

# ...installed on a throwaway cluster, tested with installcheck, removed
deb-test:
	bash scripts/deb_test.sh

valgrind-lookup:
	bash scripts/valgrind_lookup.sh

# The version is also named in zalo_tthc.control (PGXS reads it there); a
# build refuses the two out of step.
sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_FEATURES) $(EXTENSION).control Makefile
	@grep -q "^default_version = '$(EXTVERSION)'" $(EXTENSION).control || \
		{ echo "$(EXTENSION).control must name version $(EXTVERSION)" >&2; exit 1; }
	{ printf '/* %s %s, built by make from the feature files of sql/: edit those */\n\n' $(EXTENSION) $(EXTVERSION); \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION) CASCADE" to load this file. \quit'; \
	  for f in $(SQL_FEATURES); do printf '\n-- %s\n\n' "$$f"; cat "$$f"; done; } > $@
