#!/usr/bin/env bash
# One command from a fresh machine to a running desk:
#   system packages -> MariaDB/Redis -> bench (Frappe v15) -> ERPNext v15 -> this app
#   -> a site with the setup wizard completed and demo data -> `bench start` on port 8000.
#
# Safe to re-run: every step checks what is already there.
# Works as root (containers, CI) and as a normal user (uses sudo for system packages).
#
# Environment:
#   BENCH_DIR         bench location            (default: ~/frappe-bench)
#   SITE              demo site name            (default: order-mgmt.localhost)
#   DB_ROOT_PASSWORD  MariaDB root password     (default: admin; set on first run)
#   ADMIN_PASSWORD    site Administrator pwd    (default: admin)
#   FRAPPE_BRANCH     Frappe/ERPNext branch     (default: version-15)
#   NO_SERVE=1        stop after set-up instead of running `bench start`
set -euo pipefail

APP_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-$HOME/frappe-bench}"
SITE="${SITE:-order-mgmt.localhost}"
DB_ROOT_PASSWORD="${DB_ROOT_PASSWORD:-admin}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-admin}"
FRAPPE_BRANCH="${FRAPPE_BRANCH:-version-15}"
FRAPPE_REPO="${FRAPPE_REPO:-https://github.com/frappe/frappe}"
ERPNEXT_REPO="${ERPNEXT_REPO:-https://github.com/frappe/erpnext}"

# shellcheck source=scripts/lib.sh
source "$APP_SRC/scripts/lib.sh"

step "System packages"
install_system_packages

step "MariaDB and Redis"
start_mariadb
configure_mariadb_root

step "bench CLI"
install_bench_cli
add_local_bin_to_profile

step "Bench at $BENCH_DIR"
if [ ! -d "$BENCH_DIR/apps/frappe" ]; then
	init_dir="$(mktemp -d)"
	# bench refuses to run as root unless the folder it runs in says so.
	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$init_dir/sites"
		echo '{"frappe_user": "root"}' >"$init_dir/sites/common_site_config.json"
	fi
	(cd "$init_dir" && bench init --frappe-branch "$FRAPPE_BRANCH" --frappe-path "$FRAPPE_REPO" \
		--no-backups --python "$(command -v python3)" "$BENCH_DIR")
	rm -rf "$init_dir"
fi
pin_setuptools

cd "$BENCH_DIR"
if [ ! -d apps/erpnext ]; then
	bench get-app --branch "$FRAPPE_BRANCH" "$ERPNEXT_REPO"
fi
link_app

step "Site $SITE"
start_redis
ensure_site "$SITE"
if ! bench --site "$SITE" execute frappe.is_setup_complete 2>/dev/null | grep -qi true; then
	# ERPNext's setup wizard, completed programmatically for a demo company in China (CNY).
	year="$(date +%Y)"
	bench --site "$SITE" execute frappe.desk.page.setup_wizard.setup_wizard.setup_complete --kwargs "$(cat <<JSON
{"args": {"currency": "CNY", "full_name": "Demo Admin", "company_name": "Order Demo Trading Co.",
 "timezone": "Asia/Shanghai", "company_abbr": "ODT", "industry": "Retail", "country": "China",
 "fy_start_date": "$year-01-01", "fy_end_date": "$year-12-31", "language": "English",
 "company_tagline": "Order management demo", "email": "demo-admin@example.com", "password": "$ADMIN_PASSWORD",
 "chart_of_accounts": "Standard"}}
JSON
)"
fi
if ! bench --site "$SITE" list-apps 2>/dev/null | grep -q '^order_mgmt'; then
	bench --site "$SITE" install-app order_mgmt
fi
bench --site "$SITE" migrate
bench --site "$SITE" execute order_mgmt.setup.demo.make_demo_data
# The first site becomes the bench's default; a second SITE leaves the default as it is.
if [ -z "$(default_site)" ]; then
	bench use "$SITE"
elif [ "$(default_site)" != "$SITE" ]; then
	echo "The bench's default site stays $(default_site); use 'bench --site $SITE ...' for $SITE" \
		"(or 'bench use $SITE' to make it the default)."
fi

if [ "${NO_SERVE:-0}" = 1 ]; then
	echo "Set-up done. Start the desk with: cd $BENCH_DIR && bench start  (http://$SITE:8000, Administrator / $ADMIN_PASSWORD)"
	echo "bench is in ~/.local/bin, now on PATH in new shells (this one: export PATH=\"\$HOME/.local/bin:\$PATH\")."
	exit 0
fi
stop_redis  # bench start runs its own Redis on the same ports
step "Serving http://$SITE:8000 (Administrator / $ADMIN_PASSWORD); Ctrl-C stops"
exec bench start
