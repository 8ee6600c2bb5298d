#!/usr/bin/env bash
# Does installing order_mgmt change ERPNext's own behaviour? Runs ERPNext's own test suites on two
# throwaway sites — one with ERPNext only, one with ERPNext + this app — and compares them suite by
# suite and test by test. Run it before resolving any issue that touches ERPNext documents or
# settings; it is not part of CI (all six suites take well over half an hour on 2 cores).
#
#   scripts/erpnext-compat.sh                      the six suites below
#   scripts/erpnext-compat.sh "Sales Order" ...    only these (ERPNext DocType names)
#
# ERPNext's test records are built first, the way `run-tests --doctype` builds them (the DocType's
# and, recursively, those of every DocType it links to; with --module Frappe builds only the
# module's own test_dependencies) but skipping links to DocTypes this bench does not have: `run-tests
# --doctype "Sales Order"` itself stops at "DocType Payment Gateway not found" without the
# `payments` app. Then each suite runs as `bench --site SITE run-tests --module <its test module>`
# would, through Frappe's test runner with that same skip (a module's test_dependencies reach
# Payment Gateway too). The sites are dropped at the end.
#
# Environment:
#   BENCH_DIR          bench location                        (default: ~/frappe-bench)
#   DB_ROOT_PASSWORD   MariaDB root password                 (default: admin)
#   COMPAT_BASE_SITE   site with ERPNext only                (default: compat-erpnext.localhost)
#   COMPAT_APP_SITE    site with ERPNext + order_mgmt        (default: compat-order-mgmt.localhost)
#   COMPAT_LOG_DIR     where the suites' logs are kept       (default: a new folder under /tmp)
#   KEEP_SITES=1       keep both sites afterwards (to look into a difference) and reuse them when
#                      they exist (quicker, but ERPNext's suites leave data behind: not for a verdict)
# Exit status: 0 when every suite gives the same result on both sites, 1 otherwise.
set -uo pipefail

APP_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-$HOME/frappe-bench}"
DB_ROOT_PASSWORD="${DB_ROOT_PASSWORD:-admin}"
BASE_SITE="${COMPAT_BASE_SITE:-compat-erpnext.localhost}"
APP_SITE="${COMPAT_APP_SITE:-compat-order-mgmt.localhost}"
LOG_DIR="${COMPAT_LOG_DIR:-$(mktemp -d /tmp/erpnext-compat.XXXXXX)}"

# shellcheck source=scripts/lib.sh
source "$APP_SRC/scripts/lib.sh"

SUITES=("Sales Order" "Delivery Note" "Pick List" "Payment Entry" "Stock Reservation Entry" "Sales Invoice")
[ $# -gt 0 ] && SUITES=("$@")

if [ ! -d "$BENCH_DIR/apps/erpnext" ]; then
	echo "No Frappe + ERPNext bench at $BENCH_DIR (scripts/bench-setup.sh makes one)" >&2
	exit 1
fi
mkdir -p "$LOG_DIR"

drop_site() {
	local site="$1" archived
	[ -d "$BENCH_DIR/sites/$site" ] || return 0
	archived="$(mktemp -d)"
	(cd "$BENCH_DIR" && bench drop-site "$site" --force --no-backup \
		--db-root-password "$DB_ROOT_PASSWORD" --archived-sites-path "$archived") >/dev/null
	rm -rf "$archived" "${BENCH_DIR:?}/sites/$site"
}

new_site() {
	local site="$1" app
	shift
	step "Site $site (ERPNext${*:+ + $*})"
	if [ "${KEEP_SITES:-0}" = 1 ] && site_has_app "$site" erpnext; then
		local reuse=1
		for app in "$@"; do site_has_app "$site" "$app" || reuse=0; done
		if [ $reuse = 1 ]; then
			echo "reusing $site (KEEP_SITES=1)"
			return 0
		fi
	fi
	drop_site "$site"
	ensure_site "$site" >"$LOG_DIR/$site.new-site.log" 2>&1 || {
		echo "could not create $site (log: $LOG_DIR/$site.new-site.log)" >&2
		return 1
	}
	for app in "$@"; do
		(cd "$BENCH_DIR" && bench --site "$site" install-app "$app") >>"$LOG_DIR/$site.new-site.log" 2>&1 || {
			echo "could not install $app on $site (log: $LOG_DIR/$site.new-site.log)" >&2
			return 1
		}
	done
	(cd "$BENCH_DIR" && bench --site "$site" set-config allow_tests true) >/dev/null
}

slug() { echo "$1" | tr 'A-Z ' 'a-z_'; }

# The test module of an ERPNext DocType, e.g. erpnext.selling.doctype.sales_order.test_sales_order.
test_module() {
	local doctype="$1"
	(cd "$BENCH_DIR/sites" && "$(bench_python)" -c '
import sys
import frappe
from frappe.modules import get_module_name
frappe.init(site=sys.argv[1], sites_path=".")
frappe.connect()
print(get_module_name(sys.argv[2], frappe.db.get_value("DocType", sys.argv[2], "module"), "test_"))
' "$APP_SITE" "$doctype")
}

# Frappe's test runner, told to skip links to DocTypes this bench does not have (see the top).
SKIP_MISSING_DOCTYPES='
import frappe
import frappe.test_runner as runner

links = runner.get_dependencies
runner.get_dependencies = lambda doctype: [
	d for d in links(doctype) if d == "[Select]" or frappe.db.exists("DocType", d)
]
'

# One suite, as `CI=1 bench --site SITE run-tests --module MODULE` (non-zero on failures).
run_suite() {
	(cd "$BENCH_DIR/sites" && "$(bench_python)" -c "$SKIP_MISSING_DOCTYPES"'
import sys

result = runner.main(site=sys.argv[1], module=sys.argv[2])
sys.exit(1 if result.failures or result.errors else 0)
' "$1" "$2")
}

# ERPNext's test records for the DocTypes, after the apps' before_tests hooks (setup wizard).
build_test_records() {
	local site="$1"
	shift
	(cd "$BENCH_DIR/sites" && "$(bench_python)" -c "$SKIP_MISSING_DOCTYPES"'
import importlib
import sys

from frappe.modules import get_module_name

frappe.init(site=sys.argv[1], sites_path=".")
frappe.connect()
frappe.flags.in_test = True
for hook in frappe.get_hooks("before_tests"):
	frappe.get_attr(hook)()
for doctype in sys.argv[2:]:
	runner.make_test_records(doctype, commit=True)
	module = get_module_name(doctype, frappe.db.get_value("DocType", doctype, "module"), "test_")
	for dependency in getattr(importlib.import_module(module), "test_dependencies", []):
		runner.make_test_records(dependency, commit=True)
frappe.db.commit()
frappe.destroy()
' "$site" "$@")
}

# Ran, failed (failures + errors) and the failing tests of one suite's log.
ran_of() { grep -Eo '^Ran [0-9]+ tests?' "$1" | tail -1 | grep -Eo '[0-9]+' || echo 0; }
failed_of() {
	grep -Eo 'FAILED \(.*\)' "$1" | tail -1 | grep -Eo '(failures|errors)=[0-9]+' | cut -d= -f2 |
		awk '{s+=$1} END {print s+0}'
}
failing_tests() { grep -E '^(FAIL|ERROR): ' "$1" | sed -E 's/^(FAIL|ERROR): ([^ ]+) \(([^)]*)\).*/\3/' | sort -u; }

start_mariadb
configure_mariadb_root
start_redis
pin_setuptools
link_app

started="$(date +%s)"
new_site "$BASE_SITE" || exit 1
new_site "$APP_SITE" order_mgmt || exit 1

for site in "$BASE_SITE" "$APP_SITE"; do
	step "ERPNext's test records on $site"
	build_test_records "$site" "${SUITES[@]}" >"$LOG_DIR/$site.test-records.log" 2>&1 || {
		echo "could not build the test records on $site (log: $LOG_DIR/$site.test-records.log)" >&2
		exit 1
	}
done

for suite in "${SUITES[@]}"; do
	module="$(test_module "$suite")"
	for site in "$BASE_SITE" "$APP_SITE"; do
		step "$suite ($module) on $site"
		log="$LOG_DIR/$site.$(slug "$suite").log"
		run_suite "$site" "$module" >"$log" 2>&1
		echo "ran $(ran_of "$log"), failed $(failed_of "$log")  (log: $log)"
	done
done

step "ERPNext's suites without and with order_mgmt"
rc=0
printf '%-26s | %-22s | %-22s | %s\n' "suite" "ERPNext only" "ERPNext + order_mgmt" "same?"
printf '%-26s-|-%-22s-|-%-22s-|-%s\n' "--------------------------" "----------------------" \
	"----------------------" "-----"
differences=()
for suite in "${SUITES[@]}"; do
	base_log="$LOG_DIR/$BASE_SITE.$(slug "$suite").log"
	app_log="$LOG_DIR/$APP_SITE.$(slug "$suite").log"
	base="$(ran_of "$base_log") ran, $(failed_of "$base_log") failed"
	with_app="$(ran_of "$app_log") ran, $(failed_of "$app_log") failed"
	only_base="$(comm -23 <(failing_tests "$base_log") <(failing_tests "$app_log"))"
	only_app="$(comm -13 <(failing_tests "$base_log") <(failing_tests "$app_log"))"
	same=yes
	if [ "$base" != "$with_app" ] || [ -n "$only_base$only_app" ] || [ "$(ran_of "$app_log")" = 0 ]; then
		same=NO
		rc=1
	fi
	printf '%-26s | %-22s | %-22s | %s\n' "$suite" "$base" "$with_app" "$same"
	while read -r test; do
		[ -n "$test" ] && differences+=("  $suite: $test fails only with order_mgmt")
	done <<<"$only_app"
	while read -r test; do
		[ -n "$test" ] && differences+=("  $suite: $test fails only without order_mgmt")
	done <<<"$only_base"
done
if [ ${#differences[@]} -gt 0 ]; then
	echo
	echo "Differing tests:"
	printf '%s\n' "${differences[@]}"
fi
echo
echo "$(($(date +%s) - started)) s; logs in $LOG_DIR"

if [ "${KEEP_SITES:-0}" != 1 ]; then
	drop_site "$BASE_SITE"
	drop_site "$APP_SITE"
fi
exit $rc
