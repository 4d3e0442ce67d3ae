# shellcheck shell=bash
# PostgreSQL (Debian package postgresql) on 127.0.0.1:$OMS_LOCAL_POSTGRES_PORT: the storage of
# FerretDB. A cluster of its own under var/services/postgres/ (not Debian's "main" cluster), owned
# and run by the postgres system user when this script runs as root (initdb and postgres refuse to
# run as root), by the calling user otherwise. Sourced by deploy/local/services.sh.
#
# Authentication is "trust" (no password) for the unix socket in the var dir and for 127.0.0.1:
# a throwaway test cluster on loopback, never a pattern for anything reachable from elsewhere.

: "${OMS_LOCAL_POSTGRES_PORT:=5433}" # not 5432: leaves room for a system PostgreSQL
: "${OMS_LOCAL_POSTGRES_APT_PACKAGE:=postgresql}"
# Directory of postgres, initdb, pg_ctl, pg_isready, psql; default: /usr/lib/postgresql/<major>/bin
# of the cluster's major version once it exists, else of the newest installed one.
: "${OMS_LOCAL_POSTGRES_BIN_DIR:=}"
: "${OMS_LOCAL_POSTGRES_OS_USER:=postgres}" # system user that owns and runs the cluster (when root)
: "${OMS_LOCAL_POSTGRES_DB:=ferretdb}"      # the database FerretDB keeps its data in
# max_connections; default: FerretDB's pool (OMS_LOCAL_FERRETDB_PG_POOL_MAX_CONNS) + 50
: "${OMS_LOCAL_POSTGRES_MAX_CONNECTIONS:=}"

POSTGRES_DIR=$OMS_LOCAL_VAR_DIR/postgres
POSTGRES_DATA_DIR=$POSTGRES_DIR/data
POSTGRES_SOCKET_DIR=$POSTGRES_DIR/run
POSTGRES_PID_FILE=$POSTGRES_DIR/postgres.pid
POSTGRES_LOG_FILE=$POSTGRES_DIR/postgres.log
POSTGRES_ROLE=postgres # the superuser role initdb creates; FerretDB connects as it
POSTGRES_PATTERN="postgres -D $POSTGRES_DATA_DIR"

# Commands that touch the cluster run as its owner. setpriv execs (no fork, unlike su and
# runuser), so the pid of a server started through it is the postmaster's own pid.
POSTGRES_AS=()
if ((EUID == 0)); then
	POSTGRES_AS=(setpriv "--reuid=$OMS_LOCAL_POSTGRES_OS_USER" "--regid=$OMS_LOCAL_POSTGRES_OS_USER"
		--init-groups --reset-env --)
fi

postgres_url() {
	printf 'postgres://%s@%s:%s/%s' "$POSTGRES_ROLE" "$LOCAL_HOST" "$OMS_LOCAL_POSTGRES_PORT" "$OMS_LOCAL_POSTGRES_DB"
}
postgres_address() { postgres_url; }
postgres_logs() { printf '%s\n' "$POSTGRES_LOG_FILE"; }
postgres_pid() { running_pid "$POSTGRES_PID_FILE" "$POSTGRES_PATTERN"; }
postgres_ports() { printf '%s\n' "$OMS_LOCAL_POSTGRES_PORT"; }
postgres_ready_timeout() { printf '%s\n' "${OMS_LOCAL_POSTGRES_READY_TIMEOUT:-$OMS_LOCAL_READY_TIMEOUT}"; }

# postgres_bin_dir: the binaries to use (see OMS_LOCAL_POSTGRES_BIN_DIR); fails if none.
postgres_bin_dir() {
	local d v best="" best_v=0 cluster_v=""
	if [[ -n $OMS_LOCAL_POSTGRES_BIN_DIR ]]; then
		[[ -x $OMS_LOCAL_POSTGRES_BIN_DIR/postgres ]] || return 1
		printf '%s\n' "$OMS_LOCAL_POSTGRES_BIN_DIR"
		return 0
	fi
	[[ -s $POSTGRES_DATA_DIR/PG_VERSION ]] && cluster_v=$(<"$POSTGRES_DATA_DIR/PG_VERSION")
	if [[ -n $cluster_v && -x /usr/lib/postgresql/$cluster_v/bin/postgres ]]; then
		printf '%s\n' "/usr/lib/postgresql/$cluster_v/bin"
		return 0
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/postgres ]] || continue
		v=${d#/usr/lib/postgresql/}
		v=${v%/bin}
		[[ $v =~ ^[0-9]+$ ]] || continue
		if ((v > best_v)); then
			best=$d
			best_v=$v
		fi
	done
	[[ -n $best ]] || return 1
	printf '%s\n' "$best"
}

postgres_version() {
	local bin
	bin=$(postgres_bin_dir) || return 1
	"$bin/postgres" --version | sed -n 's/^postgres (PostgreSQL) \([^ ]*\).*/\1/p'
}

postgres_install() {
	postgres_bin_dir >/dev/null && return 0
	with_install_lock postgres apt_install postgres "$OMS_LOCAL_POSTGRES_APT_PACKAGE"
	postgres_bin_dir >/dev/null ||
		die "postgres: no /usr/lib/postgresql/*/bin/postgres after installing $OMS_LOCAL_POSTGRES_APT_PACKAGE (set OMS_LOCAL_POSTGRES_BIN_DIR)"
	log "postgres: installed PostgreSQL $(postgres_version)"
}

# _postgres_own: the var dir of the cluster and the files this script writes at its top level
# (log, pid file) belong to the cluster's owner; only this directory, the rest of var/ stays the
# caller's. Fails clearly if that user cannot reach it.
_postgres_own() {
	mkdir -p "$POSTGRES_DIR"
	if ((EUID == 0)); then
		id -u "$OMS_LOCAL_POSTGRES_OS_USER" >/dev/null 2>&1 ||
			die "postgres: no system user '$OMS_LOCAL_POSTGRES_OS_USER' (the Debian package creates it; or set OMS_LOCAL_POSTGRES_OS_USER)"
		find "$POSTGRES_DIR" -maxdepth 1 ! -user "$OMS_LOCAL_POSTGRES_OS_USER" \
			-exec chown "$OMS_LOCAL_POSTGRES_OS_USER:" {} +
	fi
	chmod 700 "$POSTGRES_DIR"
	"${POSTGRES_AS[@]}" test -w "$POSTGRES_DIR" -a -x "$POSTGRES_DIR" ||
		die "postgres: user ${OMS_LOCAL_POSTGRES_OS_USER} cannot reach $POSTGRES_DIR; every directory above it must be searchable by that user (chmod o+x), or choose OMS_LOCAL_VAR_DIR elsewhere (e.g. /var/tmp/oms-local)"
}

# _postgres_single BIN DATA_DIR SQL: run SQL statements (one a line) in single-user mode, with no
# server running; fails if any of them reports an error.
_postgres_single() {
	local bin=$1 data=$2 sql=$3 out
	out=$(cd "$POSTGRES_DIR" && printf '%s\n' "$sql" |
		"${POSTGRES_AS[@]}" "$bin/postgres" --single -D "$data" -c log_min_messages=warning postgres 2>&1) || {
		printf '%s\n' "$out" >&2
		return 1
	}
	if [[ $out == *ERROR:* || $out == *FATAL:* ]]; then
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# _postgres_init BIN: once per var dir, initdb (in a temporary directory, renamed when complete,
# so an interrupted init leaves nothing half made), pg_hba.conf, and the database of FerretDB.
_postgres_init() {
	local bin=$1 tmp=$POSTGRES_DIR/data.init start
	[[ -s $POSTGRES_DATA_DIR/PG_VERSION ]] && return 0
	start=$(now_ms)
	log "postgres: creating the cluster in $POSTGRES_DATA_DIR (initdb, PostgreSQL $("$bin/postgres" --version | awk '{print $3}'))"
	rm -rf "$tmp"
	if ! (cd "$POSTGRES_DIR" && "${POSTGRES_AS[@]}" "$bin/initdb" -D "$tmp" -U "$POSTGRES_ROLE" \
		--auth=trust --encoding=UTF8 --no-locale --no-instructions) >"$POSTGRES_DIR/initdb.log" 2>&1; then
		show_log_tail postgres "$POSTGRES_DIR/initdb.log"
		rm -rf "$tmp"
		die "postgres: initdb failed"
	fi
	"${POSTGRES_AS[@]}" tee "$tmp/pg_hba.conf" >/dev/null <<'EOF'
# deploy/local: a throwaway test cluster. "trust" = no password, and only for local connections:
# the unix socket in var/services/postgres/run/ (mode 0700) and 127.0.0.1, the only address the
# server listens on. Never copy this to a cluster that anything else can reach.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF
	_postgres_single "$bin" "$tmp" "CREATE DATABASE $OMS_LOCAL_POSTGRES_DB" ||
		die "postgres: could not create the database $OMS_LOCAL_POSTGRES_DB"
	mv "$tmp" "$POSTGRES_DATA_DIR"
	log "postgres: cluster and database $OMS_LOCAL_POSTGRES_DB created in $(elapsed "$start")s"
}

# _postgres_leftovers: processes of a postmaster that died (kill -9): their working directory is
# our data dir. They hold the cluster's shared memory, and a new postmaster refuses to start until
# they are gone (they notice the postmaster's death and exit within a moment).
_postgres_leftovers() {
	find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$POSTGRES_DATA_DIR" 2>/dev/null |
		sed -n 's|^/proc/\([0-9]*\)/cwd$|\1|p'
}

_postgres_clear_leftovers() {
	local pids deadline=$((SECONDS + 10))
	[[ -e $POSTGRES_DATA_DIR/postmaster.pid ]] || return 0 # stopped cleanly
	while pids=$(_postgres_leftovers) && [[ -n $pids ]]; do
		if ((SECONDS >= deadline)); then
			warn "postgres: processes of the previous server still running after 10s: ${pids//$'\n'/ }; SIGKILL"
			# shellcheck disable=SC2086 # a list of pids
			kill -KILL $pids 2>/dev/null || true
			sleep 0.5
			break
		fi
		sleep 0.2
	done
	# No server of ours runs (postgres_pid said so): its lock files are stale. postgres itself
	# refuses to start while the pid in them exists, even as a zombie (a killed postmaster whose
	# parent does not reap it) or as another process that got the same pid.
	rm -f "$POSTGRES_DATA_DIR/postmaster.pid" \
		"$POSTGRES_SOCKET_DIR/.s.PGSQL.$OMS_LOCAL_POSTGRES_PORT" "$POSTGRES_SOCKET_DIR/.s.PGSQL.$OMS_LOCAL_POSTGRES_PORT.lock"
}

postgres_probe() {
	local bin
	bin=$(postgres_bin_dir) || return 1
	"$bin/pg_isready" -q -t 2 -h "$LOCAL_HOST" -p "$OMS_LOCAL_POSTGRES_PORT" \
		-U "$POSTGRES_ROLE" -d "$OMS_LOCAL_POSTGRES_DB" 2>/dev/null
}
postgres_ready() { postgres_probe; }

_postgres_max_connections() {
	printf '%s\n' "${OMS_LOCAL_POSTGRES_MAX_CONNECTIONS:-$((${OMS_LOCAL_FERRETDB_PG_POOL_MAX_CONNS:-50} + 50))}"
}

# postgres_outdated PID: says why the running server must be restarted (settings changed).
postgres_outdated() {
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	if [[ $cmdline != *" max_connections=$(_postgres_max_connections) "* ]]; then
		printf 'runs with another max_connections than %s\n' "$(_postgres_max_connections)"
	else
		return 1
	fi
}

postgres_start() {
	local bin pid socket_dir=$POSTGRES_SOCKET_DIR
	bin=$(postgres_bin_dir) || die "postgres: not installed"
	_postgres_own
	_postgres_init "$bin"
	_postgres_clear_leftovers
	# A unix socket path is at most 107 bytes; a clone deep in the file system gets TCP only.
	if ((${#socket_dir} + 18 > 107)); then
		log "postgres: $socket_dir is too long for a unix socket path; TCP only"
		socket_dir=
	else
		"${POSTGRES_AS[@]}" mkdir -p "$socket_dir"
	fi
	printf '\n==== %s: starting (deploy/local) ====\n' "$(date -Is)" >>"$POSTGRES_LOG_FILE"
	(
		cd "$POSTGRES_DIR" &&
			exec setsid nohup "${POSTGRES_AS[@]}" "$bin/postgres" -D "$POSTGRES_DATA_DIR" \
				-p "$OMS_LOCAL_POSTGRES_PORT" \
				-k "$socket_dir" \
				-c listen_addresses="$LOCAL_HOST" \
				-c unix_socket_permissions=0700 \
				-c cluster_name=oms-local \
				-c max_connections="$(_postgres_max_connections)" \
				</dev/null >>"$POSTGRES_LOG_FILE" 2>&1 8>&-
	) &
	pid=$!
	printf '%s\n' "$pid" >"$POSTGRES_PID_FILE"
	_postgres_own
}

# Fast shutdown (pg_ctl stop -m fast: clients are disconnected, then a checkpoint); if it takes
# longer than the stop timeout, immediate shutdown (SIGQUIT), then SIGKILL.
postgres_stop() {
	local pid bin start deadline
	if ! pid=$(postgres_pid); then
		log "postgres: not running"
		return 0
	fi
	bin=$(postgres_bin_dir) || die "postgres: binaries not found (set OMS_LOCAL_POSTGRES_BIN_DIR)"
	start=$(now_ms)
	log "postgres: stopping pid $pid (pg_ctl stop -m fast)"
	kill -CONT "$pid" 2>/dev/null || true
	if ! (cd "$POSTGRES_DIR" && "${POSTGRES_AS[@]}" "$bin/pg_ctl" stop -D "$POSTGRES_DATA_DIR" \
		-m fast -w -t "$OMS_LOCAL_STOP_TIMEOUT") >>"$POSTGRES_LOG_FILE" 2>&1; then
		warn "postgres: pg_ctl stop did not finish; immediate shutdown (SIGQUIT), then SIGKILL"
		kill -QUIT "$pid" 2>/dev/null || true
		deadline=$((SECONDS + 5))
		while pid_alive "$pid" "$POSTGRES_PATTERN"; do
			if ((SECONDS >= deadline)); then
				kill -KILL "$pid" 2>/dev/null || true
				sleep 0.5
				break
			fi
			sleep 0.2
		done
	fi
	rm -f "$POSTGRES_PID_FILE"
	log "postgres: stopped in $(elapsed "$start")s (data kept)"
}

# postgres_reset_db: drop and create FerretDB's database (`wipe ferretdb`), through the running
# server, or in single-user mode when it is stopped. Nothing to do before the cluster exists.
postgres_reset_db() {
	local bin
	[[ -s $POSTGRES_DATA_DIR/PG_VERSION ]] || return 0
	bin=$(postgres_bin_dir) || die "postgres: binaries not found (set OMS_LOCAL_POSTGRES_BIN_DIR)"
	log "postgres: dropping and creating the database $OMS_LOCAL_POSTGRES_DB"
	if postgres_pid >/dev/null && postgres_probe; then
		"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$LOCAL_HOST" -p "$OMS_LOCAL_POSTGRES_PORT" \
			-U "$POSTGRES_ROLE" -d postgres \
			-c "DROP DATABASE IF EXISTS $OMS_LOCAL_POSTGRES_DB WITH (FORCE)" \
			-c "CREATE DATABASE $OMS_LOCAL_POSTGRES_DB" ||
			die "postgres: could not recreate the database $OMS_LOCAL_POSTGRES_DB"
	else
		_postgres_clear_leftovers
		_postgres_single "$bin" "$POSTGRES_DATA_DIR" \
			"DROP DATABASE IF EXISTS $OMS_LOCAL_POSTGRES_DB
CREATE DATABASE $OMS_LOCAL_POSTGRES_DB" ||
			die "postgres: could not recreate the database $OMS_LOCAL_POSTGRES_DB"
	fi
}
