#!/usr/bin/env bash
# Runs every test of order_mgmt:
#   1. the framework-free unit tests (pytest, tests/ at the repository root), always;
#   2. the integration suite on a real Frappe v15 + ERPNext v15 site with MariaDB and Redis
#      (`bench --site $TEST_SITE run-tests --app order_mgmt`), whenever a bench exists;
#   3. the browser tests (tests/browser, pytest + selenium driving Debian's headless chromium with
#      chromium-driver) against `bench serve` of the same site on a free port, after the integration
#      suite. chromium and chromium-driver are installed when missing (apt, as root or with sudo),
#      selenium into the bench's env. If chromium cannot be installed at all, the stage is skipped
#      with a loud notice (REQUIRE_BROWSER=1 makes that a failure); a failing browser test fails
#      the run. Screenshots (of every failure, and a few of what the tests checked) are kept in a
#      temporary folder named in the output.
# The bench is made by scripts/bench-setup.sh. This script starts MariaDB and Redis if they are
# down, points the bench's order_mgmt at this checkout, and creates the test site on first use.
#
# Environment:
#   BENCH_DIR            bench location                 (default: ~/frappe-bench)
#   TEST_SITE            site the integration suite uses (default: test-order-mgmt.localhost)
#   DB_ROOT_PASSWORD     MariaDB root password           (default: admin)
#   REQUIRE_INTEGRATION  1: fail instead of skipping when there is no bench
#   TEST_MODULE          run one integration module, e.g. order_mgmt.tests.test_review (the browser
#                        tests then run only with BROWSER_TESTS=1)
#   BROWSER_TESTS        1: run the browser tests; 0: skip them (said loudly); default: run them
#                        unless TEST_MODULE is set
#   REQUIRE_BROWSER      1: fail instead of skipping when chromium cannot be installed
#   BROWSER_ARTIFACTS    folder for the browser tests' screenshots (default: a new folder in /tmp)
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

# --- Browser tests ---------------------------------------------------------------------------------

browser_skipped() {
	cat >&2 <<EOF

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! BROWSER TESTS SKIPPED: $1
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
EOF
}

# The browser runs headless here: it prints the page it was given.
chromium_runs() {
	have chromium && have chromedriver &&
		timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
			--dump-dom about:blank 2>/dev/null | grep -q '<body>'
}

# Debian's chromium and chromium-driver (Ubuntu's are snap stubs that do not run in containers).
ensure_chromium() {
	chromium_runs && return 0
	if have apt-get && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
		step "Installing chromium and chromium-driver"
		$SUDO apt-get update -qq || true
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver || true
	fi
	chromium_runs
}

# A port nothing listens on now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server_pid=""
stop_server() {
	[ -n "$server_pid" ] || return 0
	kill -- -"$server_pid" 2>/dev/null || kill "$server_pid" 2>/dev/null
	for _ in $(seq 1 50); do
		case "$(ps -o stat= -p "$server_pid" 2>/dev/null)" in "" | Z*) break ;; esac
		sleep 0.1
	done
	kill -9 -- -"$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# Start `bench --site $TEST_SITE serve` (it serves that site whatever the Host header) on a free port,
# in its own process group so that stop_server ends it and its children.
launch_server() {
	local port="$1" log="$2"
	(cd "$BENCH_DIR" && exec setsid bench --site "$TEST_SITE" serve --port "$port" --noreload) >"$log" 2>&1 &
	server_pid=$!
}

# Wait until the server answers (or has died).
wait_for_server() {
	local port="$1"
	"$PY" - "$port" "$TEST_SITE" "$server_pid" <<'EOF'
import os, sys, time, urllib.request
port, site, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
request = urllib.request.Request(f"http://127.0.0.1:{port}/api/method/ping", headers={"Host": site})
deadline = time.time() + 90
while time.time() < deadline:
	try:
		with urllib.request.urlopen(request, timeout=5) as response:
			if response.status == 200:
				sys.exit(0)
	except OSError:
		pass
	try:
		with open(f"/proc/{pid}/stat") as stat:
			if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
				sys.exit("bench serve exited")
	except OSError:
		sys.exit("bench serve exited")
	time.sleep(0.3)
sys.exit("bench serve did not answer within 90 s")
EOF
}

browser_rc=0
browser_wanted=1
case "${BROWSER_TESTS:-}" in
	0 | false | no) browser_wanted=0 ;;
	1 | true | yes) browser_wanted=1 ;;
	*) [ -n "${TEST_MODULE:-}" ] && browser_wanted=0 ;;
esac
if [ $browser_wanted = 0 ]; then
	if [ -n "${TEST_MODULE:-}" ] && [ -z "${BROWSER_TESTS:-}" ]; then
		echo "browser tests not run (TEST_MODULE is set; BROWSER_TESTS=1 runs them too)"
	else
		browser_skipped "BROWSER_TESTS=${BROWSER_TESTS}"
	fi
elif ! ensure_chromium; then
	browser_skipped "chromium and chromium-driver are not installed, could not be installed, or do not
!! run headless (apt-get install chromium chromium-driver, as root or with sudo: Debian's packages)."
	[ "${REQUIRE_BROWSER:-0}" = 1 ] && browser_rc=1
else
	step "Browser tests on $TEST_SITE (headless $(chromium --version 2>/dev/null | head -1), bench serve)"
	browser_started=$SECONDS
	"$PY" -c 'import selenium' 2>/dev/null || uv pip install -q --python "$PY" selenium ||
		"$PY" -m pip install -q selenium
	artifacts="${BROWSER_ARTIFACTS:-$(mktemp -d "${TMPDIR:-/tmp}/order_mgmt-browser.XXXXXX")}"
	mkdir -p "$artifacts"
	rm -rf "$artifacts/failures" "$artifacts/pytest.log"
	trap stop_server EXIT
	trap 'stop_server; exit 130' INT TERM
	port="$(free_port)"
	launch_server "$port" "$artifacts/server.log"  # it boots while the data is made
	if ! (cd "$BENCH_DIR" && bench --site "$TEST_SITE" execute order_mgmt.tests.browser_setup.prepare \
		--kwargs "{\"path\": \"$artifacts/data.json\"}" >"$artifacts/setup.log" 2>&1); then
		cat "$artifacts/setup.log" >&2
		echo "The browser tests' data could not be made (order_mgmt.tests.browser_setup.prepare)" >&2
		browser_rc=1
	fi
	if ! wait_for_server "$port"; then
		tail -n 40 "$artifacts/server.log" >&2
		browser_rc=1
	fi
	if [ $browser_rc = 0 ]; then
		blog="$artifacts/pytest.log"
		# http://localhost, not the site's name: bench serve answers for $TEST_SITE whatever the Host,
		# and the pages' absolute links (wkhtmltopdf fetches the invoice PDF's styles through them) need
		# a name the system resolves, which *.localhost is not everywhere.
		(cd "$APP_SRC" && BROWSER_BASE_URL="http://localhost:$port" BROWSER_DATA="$artifacts/data.json" \
			BROWSER_ARTIFACTS="$artifacts" "$PY" -m pytest -p no:cacheprovider -o addopts="" -q -rfE --tb=short --durations=5 \
			tests/browser) 2>&1 | tee "$blog"
		browser_rc=${PIPESTATUS[0]}
		[ "$browser_rc" = 5 ] && { echo "pytest collected no browser test: that is a failure here" >&2; browser_rc=1; }
	fi
	stop_server
	trap - EXIT INT TERM
	echo
	summary="$(grep -E '[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$artifacts/pytest.log" 2>/dev/null |
		tail -n 1 | tr -d '=' | sed 's/^ *//; s/ in [0-9.]*s.*//')"
	echo "browser: ${summary:-no result}; stage took $((SECONDS - browser_started)) s; screenshots in $artifacts"
	if [ -d "$artifacts/failures" ]; then
		echo "Screenshots of the failures:" >&2
		find "$artifacts/failures" -name '*.png' | sort | sed 's/^/  /' >&2
	fi
fi
[ $started_redis = 1 ] && stop_redis

[ $unit_rc = 0 ] && [ $integration_rc = 0 ] && [ $browser_rc = 0 ]
