# Shared helpers for bench-setup.sh and run-tests.sh (sourced, not run).
# Expects APP_SRC, BENCH_DIR and DB_ROOT_PASSWORD to be set by the caller.

export PATH="$HOME/.local/bin:$PATH"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

step() { printf '\n==> %s\n' "$*"; }

have() { command -v "$1" >/dev/null 2>&1; }

install_system_packages() {
	local pkgs=(mariadb-server mariadb-client redis-server libmariadb-dev pkg-config build-essential git curl
		wkhtmltopdf fonts-noto-cjk poppler-utils xvfb python3-dev python3-venv)
	have node || pkgs+=(nodejs npm)
	local missing=()
	for p in "${pkgs[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if ! have apt-get; then
			echo "Please install: ${missing[*]}" >&2
			return 1
		fi
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
	fi
}

mariadb_up() { mysqladmin --protocol=socket ping >/dev/null 2>&1 || $SUDO mysqladmin ping >/dev/null 2>&1; }

start_mariadb() {
	local cnf=/etc/mysql/mariadb.conf.d/99-frappe.cnf
	if [ ! -f "$cnf" ]; then
		# Frappe's documented MariaDB settings: utf8mb4 everywhere. A buffer pool of a quarter of the
		# memory, at most 1 GB (default 128 MB): the analytics facts' indexes at 100k orders (~0.5 GB)
		# stay in memory (README, Speed at scale), and a small machine keeps its memory.
		local pool_mb
		pool_mb=$(awk '/^MemTotal/ {mb = int($2 / 4096); print (mb > 1024 ? 1024 : (mb < 128 ? 128 : mb))}' /proc/meminfo)
		printf '%s\n' '[mysqld]' 'character-set-client-handshake = FALSE' \
			'character-set-server = utf8mb4' 'collation-server = utf8mb4_unicode_ci' \
			'innodb_lock_wait_timeout = 50' "innodb_buffer_pool_size = ${pool_mb:-128}M" '' \
			'[mysql]' 'default-character-set = utf8mb4' |
			$SUDO tee "$cnf" >/dev/null
	fi
	if ! mariadb_up; then
		$SUDO service mariadb start >/dev/null 2>&1 || true
	fi
	if ! mariadb_up; then
		# Containers without an init system.
		$SUDO mkdir -p /run/mysqld
		$SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
		($SUDO mysqld_safe >/dev/null 2>&1 &)
	fi
	for _ in $(seq 1 60); do
		mariadb_up && return 0
		sleep 1
	done
	echo "MariaDB did not start" >&2
	return 1
}

configure_mariadb_root() {
	if mysql -uroot -p"$DB_ROOT_PASSWORD" -h127.0.0.1 -e 'select 1' >/dev/null 2>&1; then
		return 0
	fi
	# Keep socket login for the system's root and add a password for Frappe's TCP login.
	$SUDO mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$DB_ROOT_PASSWORD') OR unix_socket; FLUSH PRIVILEGES;"
}

install_bench_cli() {
	if ! have yarn || ! yarn --version | grep -q '^1\.'; then
		npm install --silent --prefix "$HOME/.local" -g yarn@1.22.22
	fi
	if ! have bench || ! have uv; then
		python3 -m venv "$HOME/.local/share/bench-cli"
		"$HOME/.local/share/bench-cli/bin/pip" install -q frappe-bench uv
		mkdir -p "$HOME/.local/bin"
		ln -sf "$HOME/.local/share/bench-cli/bin/bench" "$HOME/.local/bin/bench"
		ln -sf "$HOME/.local/share/bench-cli/bin/uv" "$HOME/.local/bin/uv"
	fi
}

# bench and uv live in ~/.local/bin, which Debian's root profile does not put on PATH: add it to the
# login and the interactive shell's profile (once), so `bench` works in every new shell.
add_local_bin_to_profile() {
	local marker='# ~/.local/bin: added by order_mgmt scripts/bench-setup.sh' rc
	for rc in "$HOME/.profile" "$HOME/.bashrc"; do
		grep -qsF "$marker" "$rc" && continue
		# shellcheck disable=SC2016  # $HOME and $PATH expand when the profile runs
		printf '\n%s\n%s\n' "$marker" 'case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) export PATH="$HOME/.local/bin:$PATH" ;; esac' >>"$rc"
	done
}

# The bench's default site (sites/currentsite.txt, or default_site in common_site_config.json).
default_site() {
	local site
	site="$(cat "$BENCH_DIR/sites/currentsite.txt" 2>/dev/null || true)"
	if [ -z "$site" ] && [ -f "$BENCH_DIR/sites/common_site_config.json" ]; then
		site="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("default_site") or "")' \
			"$BENCH_DIR/sites/common_site_config.json" 2>/dev/null || true)"
	fi
	echo "$site"
}

bench_python() { echo "$BENCH_DIR/env/bin/python"; }

pin_setuptools() {
	# New setuptools dropped pkg_resources, which Frappe v15 still imports (new-site fails without it).
	if ! "$(bench_python)" -c 'import pkg_resources' >/dev/null 2>&1; then
		uv pip install -q --python "$(bench_python)" 'setuptools<81'
	fi
}

# Point the bench's order_mgmt at this checkout (a symlink plus an editable install),
# so the bench always runs the code being tested.
link_app() {
	local target="$BENCH_DIR/apps/order_mgmt"
	if [ "$(readlink -f "$target" 2>/dev/null)" != "$(readlink -f "$APP_SRC")" ]; then
		rm -rf "$target"
		ln -s "$APP_SRC" "$target"
	fi
	local imported
	imported="$(cd "$BENCH_DIR/sites" && "$(bench_python)" -c 'import order_mgmt, os; print(os.path.dirname(os.path.dirname(os.path.realpath(order_mgmt.__file__))))' 2>/dev/null || true)"
	# Reinstall when the bench imports another checkout or the app's dependencies changed.
	local stamp="$BENCH_DIR/env/.order_mgmt_pyproject" deps
	deps="$(sha256sum "$APP_SRC/pyproject.toml" | cut -c1-16)"
	if [ "$imported" != "$(readlink -f "$APP_SRC")" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$deps" ]; then
		uv pip install -q --python "$(bench_python)" --config-settings editable_mode=compat -e "$target"
		echo "$deps" >"$stamp"
	fi
	grep -qx order_mgmt "$BENCH_DIR/sites/apps.txt" || printf '\norder_mgmt\n' >>"$BENCH_DIR/sites/apps.txt"
	sed -i '/^$/d' "$BENCH_DIR/sites/apps.txt"
}

redis_ports() { grep -h '^port' "$BENCH_DIR"/config/redis_*.conf | awk '{print $2}'; }

start_redis() {
	local conf
	for conf in "$BENCH_DIR"/config/redis_cache.conf "$BENCH_DIR"/config/redis_queue.conf; do
		local port
		port="$(awk '/^port/{print $2}' "$conf")"
		redis-cli -p "$port" ping >/dev/null 2>&1 && continue
		(cd "$BENCH_DIR/config" && redis-server "$conf" --daemonize yes >/dev/null)
	done
	for _ in $(seq 1 20); do
		local ok=1
		for port in $(redis_ports); do redis-cli -p "$port" ping >/dev/null 2>&1 || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.5
	done
	echo "Redis did not start" >&2
	return 1
}

stop_redis() {
	local port
	for port in $(redis_ports); do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
}

# Whether SITE's database records APP as installed. Asks MariaDB directly: `bench list-apps` also
# fails when Redis is briefly down, and a working site must never be taken for a half-made one.
site_has_app() {
	local site="$1" app="$2" config="$BENCH_DIR/sites/$1/site_config.json" db
	[ -f "$config" ] || return 1
	db="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("db_name") or "")' "$config" 2>/dev/null)"
	[ -n "$db" ] || return 1
	mysql -uroot -p"$DB_ROOT_PASSWORD" -h127.0.0.1 -N -e \
		"select count(*) from \`$db\`.\`tabInstalled Application\` where app_name = '$app'" 2>/dev/null | grep -qx 1
}

# Create SITE with ERPNext if it is not a working site yet (a half-made one is recreated).
ensure_site() {
	local site="$1"
	ensure_host_resolves "$site"
	if site_has_app "$site" erpnext; then
		return 0
	fi
	local force=()
	[ -d "$BENCH_DIR/sites/$site" ] && force=(--force)
	(cd "$BENCH_DIR" && bench new-site "$site" "${force[@]}" --mariadb-root-password "$DB_ROOT_PASSWORD" \
		--admin-password "${ADMIN_PASSWORD:-admin}" --install-app erpnext)
}

# PDFs: wkhtmltopdf fetches the page's styles from the site's own URL through the system resolver,
# which does not know *.localhost names on every machine (browsers resolve them themselves), and the
# print then fails with HostNotFoundError. Point the site's name at this machine.
ensure_host_resolves() {
	local site="$1"
	getent hosts "$site" >/dev/null 2>&1 && return 0
	if ! echo "127.0.0.1 $site" | $SUDO tee -a /etc/hosts >/dev/null 2>&1; then
		echo "note: could not add $site to /etc/hosts; PDFs of that site may fail to render" >&2
	fi
}
