#!/usr/bin/env bash
# Runs every test of order_mgmt:
#   1. the framework-free unit tests (pytest, tests/ at the repository root), always;
#   2. the integration suite on a real Frappe v15 + ERPNext v15 site with MariaDB and Redis
#      (`bench --site $TEST_SITE run-tests --app order_mgmt`), whenever a bench exists.
# The bench is made by scripts/bench-setup.sh. This script starts MariaDB and Redis if they are
# down, points the bench's order_mgmt at this checkout, and creates the test site on first use.
#
# Environment:
#   BENCH_DIR            bench location                 (default: ~/frappe-bench)
#   TEST_SITE            site the integration suite uses (default: test-order-mgmt.localhost)
#   DB_ROOT_PASSWORD     MariaDB root password           (default: admin)
#   REQUIRE_INTEGRATION  1: fail instead of skipping when there is no bench
#   TEST_MODULE          run one integration module, e.g. order_mgmt.tests.test_review
#   CI                   "true" or "1" (as CI services set it): drop and recreate the test site
#                        first, so every CI run proves the suite on a brand-new site. Locally the
#                        site is reused.
set -uo pipefail

APP_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-$HOME/frappe-bench}"
TEST_SITE="${TEST_SITE:-test-order-mgmt.localhost}"
DB_ROOT_PASSWORD="${DB_ROOT_PASSWORD:-admin}"

# shellcheck source=scripts/lib.sh
source "$APP_SRC/scripts/lib.sh"

have_bench=0
[ -d "$BENCH_DIR/apps/frappe" ] && [ -d "$BENCH_DIR/apps/erpnext" ] && have_bench=1

step "Unit tests (pytest, no Frappe)"
if [ $have_bench = 1 ]; then
	PY="$(bench_python)"
	"$PY" -c 'import pytest' 2>/dev/null || uv pip install -q --python "$PY" pytest
else
	PY=python3
	"$PY" -c 'import pytest' 2>/dev/null || "$PY" -m pip install -q pytest
fi
# -p no:cacheprovider: nothing written into the checkout.
(cd "$APP_SRC" && "$PY" -m pytest -p no:cacheprovider tests)
unit_rc=$?
if [ $unit_rc = 5 ]; then
	echo "pytest collected no tests: that is a failure here" >&2
	unit_rc=1
fi

if [ $have_bench = 0 ]; then
	cat >&2 <<EOF

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! INTEGRATION TESTS SKIPPED: no Frappe + ERPNext bench at $BENCH_DIR
!! Only the unit tests ran. Create a bench with scripts/bench-setup.sh.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
EOF
	if [ "${REQUIRE_INTEGRATION:-0}" = 1 ]; then exit 1; fi
	exit $unit_rc
fi

step "Integration tests on $TEST_SITE (Frappe + ERPNext, MariaDB, Redis)"
set -e
start_mariadb
configure_mariadb_root
started_redis=0
redis-cli -p "$(awk '/^port/{print $2}' "$BENCH_DIR/config/redis_cache.conf")" ping >/dev/null 2>&1 || started_redis=1
start_redis
pin_setuptools
link_app
if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
	if [ -d "$BENCH_DIR/sites/$TEST_SITE" ]; then
		step "CI: dropping $TEST_SITE to test on a brand-new site"
		archived="$(mktemp -d)"
		(cd "$BENCH_DIR" && bench drop-site "$TEST_SITE" --force --no-backup \
			--db-root-password "$DB_ROOT_PASSWORD" --archived-sites-path "$archived")
		rm -rf "$archived" "${BENCH_DIR:?}/sites/$TEST_SITE"
	fi
fi
ensure_site "$TEST_SITE"
cd "$BENCH_DIR"
if ! site_has_app "$TEST_SITE" order_mgmt; then
	bench --site "$TEST_SITE" install-app order_mgmt
fi
# Migrate only when the app's schema, fixtures or hooks changed since the last run.
schema_hash="$(cd "$APP_SRC" && find order_mgmt -name '*.json' -o -name 'hooks.py' -o -name 'patches.txt' | sort | xargs sha256sum | sha256sum | cut -c1-16)"
stamp="$BENCH_DIR/sites/$TEST_SITE/.order_mgmt_schema"
if [ "$(cat "$stamp" 2>/dev/null)" != "$schema_hash" ]; then
	bench --site "$TEST_SITE" migrate
	echo "$schema_hash" >"$stamp"
fi
bench --site "$TEST_SITE" set-config allow_tests true >/dev/null
bench --site "$TEST_SITE" clear-cache  # translations and hooks of the checkout, not a previous one
set +e

log="$(mktemp)"
module_args=()
[ -n "${TEST_MODULE:-}" ] && module_args=(--module "$TEST_MODULE")
# CI=1: Frappe's runner exits non-zero on failures only when CI is set.
CI=1 bench --site "$TEST_SITE" run-tests --app order_mgmt "${module_args[@]}" 2>&1 | tee "$log"
integration_rc=${PIPESTATUS[0]}
[ $started_redis = 1 ] && stop_redis

ran="$(grep -Eo '^Ran [0-9]+ tests?' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)"
failures="$(grep -Eo 'FAILED \(.*\)' "$log" | tail -1 | grep -Eo '(failures|errors)=[0-9]+' | cut -d= -f2 | awk '{s+=$1} END {print s+0}')"
skipped="$(grep -Eo 'skipped=[0-9]+' "$log" | tail -1 | cut -d= -f2 || true)"
[ -z "$failures" ] && failures=0
skipped="${skipped:-0}"
if [ "$ran" = 0 ]; then
	echo "The integration suite ran no test: that is a failure here" >&2
	integration_rc=1
fi
if ! grep -qE '^OK( \(|$)' "$log"; then
	[ $integration_rc = 0 ] && integration_rc=1
fi
rm -f "$log"
echo
echo "integration: $((ran - failures - skipped)) passed, $failures failed, $skipped skipped"

[ $unit_rc = 0 ] && [ $integration_rc = 0 ]
