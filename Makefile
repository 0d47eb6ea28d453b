# zalo_tthc: PGXS build plus the two entry points a newcomer needs,
# `make demo` and `make test` (see README.md).

EXTENSION = zalo_tthc
MODULE_big = zalo_tthc
OBJS = \
	src/zalo_tthc.o \
	src/settings.o \
	src/shmem.o \
	src/validate.o \
	src/stage_cache.o \
	src/dossier_trigger.o \
	src/sql_validate.o \
	src/wakeup.o \
	src/worker.o \
	src/queue.o \
	src/zalo_client.o \
	src/message.o

DATA = $(wildcard sql/zalo_tthc--*.sql)

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=test

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcurl -ljson-c

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

.PHONY: test demo deps bench bench-full valgrind

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

valgrind:
	bash scripts/valgrind.sh
