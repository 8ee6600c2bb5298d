#!/usr/bin/env bash
# Benchmarks on a site with ERPNext and order_mgmt installed; everything a benchmark makes is rolled
# back: the site is left as it was.
#   intake:  a Customer Order to its approved Sales Order against a plain ERPNext Sales Order
#            (order_mgmt/benchmarks/intake.py)
#   held:    as intake, but each order is held for the first review stage and approved by its reviewer
#            in one stage (Order Review, ToDo closed, owner told, Sales Order submitted)
#   picking: one batch Pick List over many approved orders against ERPNext's pick list per order
#            (order_mgmt/benchmarks/picking.py)
#   cash:    order to cash per order (intake, batch pick list, delivery, invoice, payment) against
#            ERPNext's own documents alone (order_mgmt/benchmarks/cash.py)
#   concurrency: CLIENTS processes submitting ORDERS one-line orders, (a) each its own item, (b) one
#            hot item with enough stock, (c) one hot item with stock for half: orders per second of
#            the app and of plain reserving Sales Orders, deadlocks, lock waits, refused orders and
#            the hot item's reserved stock (order_mgmt/benchmarks/concurrency.py). It COMMITS.
#   memory:  peak RSS of the bulk jobs (one batch Pick List; invoicing; delivering the Pick List at
#            the smallest size) over each size of SIZES approved orders (order_mgmt/benchmarks/memory.py)
#   import:  ORDERS orders of LINES lines imported by ERPNext's Data Import (Sales Orders, submitted)
#            and by the app's Customer Order Import (reviewed, Sales Order, reservation), same run:
#            both throughputs and the ratio (order_mgmt/benchmarks/order_import.py). It COMMITS.
#
# Usage: scripts/benchmark.sh [ORDERS [WARMUP [LINES]]]  intake (default: 30 orders per scenario,
#                                                      3 warm-up, 10 lines per order)
#        scripts/benchmark.sh held [ORDERS [WARMUP [LINES]]]  held order approved in one stage
#        scripts/benchmark.sh picking [ORDERS]       picking (default: 50 orders)
#        scripts/benchmark.sh cash [ORDERS [LINES]]   order to cash (default: 10 orders, 3 lines)
#        scripts/benchmark.sh import [ORDERS [LINES]]  spreadsheet import (default: 100 orders, 5
#                                                     lines; the issue's size: 2000 5)
#        scripts/benchmark.sh concurrency [ORDERS [CLIENTS]]  throughput (default: 200 orders, 8
#                                                     clients; BENCH_SCENARIOS=abc picks scenarios;
#                                                     BENCH_ROUNDS=2 alternates app and plain in rounds)
#        scripts/benchmark.sh memory [SIZES]          bulk jobs' peak RSS (default: 100,500 orders;
#                                                     BENCH_TRACEMALLOC=1 adds Python's allocation peak)
#        scripts/benchmark.sh all                     issue 17's figures in one run, one after the other:
#                                                     intake at 1, 10 and 50 lines (15, 8 and 4 orders),
#                                                     held (10 orders, 1 line), cash (3 orders, 2 lines),
#                                                     concurrency (200 orders, 8 clients) and memory
#                                                     (100,500); about 40 minutes on 2 cores
#
# Environment:
#   BENCH_DIR         bench location                  (default: ~/frappe-bench)
#   TEST_SITE         site to run on                  (default: test-order-mgmt.localhost)
#   DB_ROOT_PASSWORD  MariaDB root password            (default: admin)
#   BENCH_LINES       intake: lines per order          (default: 10; the LINES argument wins)
#   BENCH_PROFILE     intake: print the N app functions issuing most SQL on the Customer Order path,
#                     and the N statement kinds (verb and table) the Customer Order path adds most
#   BENCH_CPROFILE    intake: print cProfile's N functions of most cumulative time, per scenario
#   BENCH_COMMIT_WORK intake/held: 1 (default) counts the before-commit callbacks of each step (what
#                     its request's commit runs first: analytics facts), 0 leaves them out
set -euo pipefail

APP_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-$HOME/frappe-bench}"
TEST_SITE="${TEST_SITE:-test-order-mgmt.localhost}"
DB_ROOT_PASSWORD="${DB_ROOT_PASSWORD:-admin}"
if [ "${1:-}" = all ]; then
	self="${BASH_SOURCE[0]}"
	for run in "15 3 1" "8 2 10" "4 1 50" "held 10 2 1" "cash 3 2" "concurrency 200 8" "memory 100,500"; do
		# shellcheck disable=SC2086 # each run's words are its arguments
		bash "$self" $run
	done
	exit 0
fi

KIND=intake
case "${1:-}" in
picking | held | cash | concurrency | import | memory)
	KIND="$1"
	shift
	;;
esac
case $KIND in
memory) default_orders=100,500 ;;
picking) default_orders=50 ;;
cash) default_orders=10 ;;
concurrency) default_orders=200 ;;
import) default_orders=100 ;;
*) default_orders=30 ;;
esac
ORDERS="${1:-$default_orders}"
WARMUP="${2:-3}"
LINES="${3:-${BENCH_LINES:-10}}"
CASH_LINES="${2:-3}"
CLIENTS="${2:-8}"
IMPORT_LINES="${2:-5}"
PROFILE="${BENCH_PROFILE:-0}"
CPROFILE="${BENCH_CPROFILE:-0}"

ROUNDS="${BENCH_ROUNDS:-2}"
COMMIT_WORK="${BENCH_COMMIT_WORK:-1}"
TRACEMALLOC="${BENCH_TRACEMALLOC:-0}"
SIZES="$ORDERS"
if [ $KIND = memory ]; then
	ORDERS=0
	case "${SIZES//,/}" in
	'' | *[!0-9]*)
		echo "usage: $0 memory [SIZES] (whole numbers separated by commas)" >&2
		exit 2
		;;
	esac
fi

case "$ORDERS$WARMUP$LINES$PROFILE$CPROFILE$CASH_LINES$CLIENTS$IMPORT_LINES$ROUNDS$COMMIT_WORK$TRACEMALLOC" in
*[!0-9]*)
	echo "usage: $0 [ORDERS [WARMUP [LINES]]] (whole numbers)" >&2
	exit 2
	;;
esac

case "${BENCH_SCENARIOS:-abc}" in
*[!abc]*)
	echo "BENCH_SCENARIOS: letters a, b and c only" >&2
	exit 2
	;;
esac

# shellcheck source=scripts/lib.sh
source "$APP_SRC/scripts/lib.sh"

if [ ! -d "$BENCH_DIR/apps/frappe" ] || [ ! -d "$BENCH_DIR/apps/erpnext" ]; then
	echo "No Frappe + ERPNext bench at $BENCH_DIR: create one with scripts/bench-setup.sh" >&2
	exit 1
fi

start_mariadb
started_redis=0
redis-cli -p "$(awk '/^port/{print $2}' "$BENCH_DIR/config/redis_cache.conf")" ping >/dev/null 2>&1 || started_redis=1
start_redis
stop_started_redis() { if [ $started_redis = 1 ]; then stop_redis; fi; }
trap stop_started_redis EXIT

cd "$BENCH_DIR"
# Not `bench … | grep -q`: grep may exit before bench has written everything, and pipefail then
# reports bench's SIGPIPE as "not installed".
apps="$(bench --site "$TEST_SITE" list-apps 2>/dev/null || true)"
if ! grep -q '^order_mgmt' <<<"$apps"; then
	echo "order_mgmt is not installed on $TEST_SITE: run scripts/run-tests.sh once to set the site up" >&2
	exit 1
fi

if [ $KIND = memory ]; then
	step "Bulk-job memory benchmark on $TEST_SITE ($SIZES orders)"
	bench --site "$TEST_SITE" execute order_mgmt.benchmarks.memory.run \
		--kwargs "{\"sizes\": \"$SIZES\", \"python\": $TRACEMALLOC}"
elif [ $KIND = cash ]; then
	step "Order-to-cash benchmark on $TEST_SITE ($ORDERS orders, $CASH_LINES lines)"
	bench --site "$TEST_SITE" execute order_mgmt.benchmarks.cash.run \
		--kwargs "{\"orders\": $ORDERS, \"lines\": $CASH_LINES}"
elif [ $KIND = concurrency ]; then
	step "Throughput benchmark on $TEST_SITE ($ORDERS orders, $CLIENTS clients; COMMITS its data)"
	bench --site "$TEST_SITE" execute order_mgmt.benchmarks.concurrency.run \
		--kwargs "{\"orders\": $ORDERS, \"clients\": $CLIENTS, \"scenarios\": \"${BENCH_SCENARIOS:-abc}\", \"rounds\": $ROUNDS}"
elif [ $KIND = import ]; then
	step "Import benchmark on $TEST_SITE ($ORDERS orders, $IMPORT_LINES lines; COMMITS its data; load: $(cut -d' ' -f1-3 /proc/loadavg))"
	bench --site "$TEST_SITE" execute order_mgmt.benchmarks.order_import.run \
		--kwargs "{\"orders\": $ORDERS, \"lines\": $IMPORT_LINES}"
elif [ $KIND = picking ]; then
	step "Pick-list benchmark on $TEST_SITE ($ORDERS orders)"
	bench --site "$TEST_SITE" execute order_mgmt.benchmarks.picking.run --kwargs "{\"orders\": $ORDERS}"
else
	held=0
	[ $KIND = held ] && held=1
	step "Intake benchmark ($KIND) on $TEST_SITE ($ORDERS orders per scenario, $WARMUP warm-up, $LINES lines)"
	bench --site "$TEST_SITE" execute order_mgmt.benchmarks.intake.run \
		--kwargs "{\"orders\": $ORDERS, \"warmup\": $WARMUP, \"lines\": $LINES, \"profile\": $PROFILE, \"cprofile\": $CPROFILE, \"held\": $held, \"commit_work\": $COMMIT_WORK}"
fi
