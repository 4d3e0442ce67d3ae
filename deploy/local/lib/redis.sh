# shellcheck shell=bash
# Redis (Debian package redis-server) on 127.0.0.1:$OMS_LOCAL_REDIS_PORT, daemonized by itself.
# Sourced by deploy/local/services.sh.

: "${OMS_LOCAL_REDIS_PORT:=6379}"
: "${OMS_LOCAL_REDIS_SERVER:=redis-server}"
: "${OMS_LOCAL_REDIS_CLI:=redis-cli}"
: "${OMS_LOCAL_REDIS_APT_PACKAGE:=redis-server}"

REDIS_DIR=$OMS_LOCAL_VAR_DIR/redis
REDIS_PID_FILE=$REDIS_DIR/redis.pid
REDIS_LOG_FILE=$REDIS_DIR/redis.log
REDIS_CONF=$REDIS_DIR/redis.conf

redis_address() { printf 'redis://%s:%s/0' "$LOCAL_HOST" "$OMS_LOCAL_REDIS_PORT"; }
redis_logs() { printf '%s\n' "$REDIS_LOG_FILE"; }
redis_pid() { running_pid "$REDIS_PID_FILE" redis-server; }
redis_ports() { printf '%s\n' "$OMS_LOCAL_REDIS_PORT"; }
redis_ready_timeout() { printf '%s\n' "${OMS_LOCAL_REDIS_READY_TIMEOUT:-$OMS_LOCAL_READY_TIMEOUT}"; }

redis_installed() {
	command -v "$OMS_LOCAL_REDIS_SERVER" >/dev/null 2>&1 && command -v "$OMS_LOCAL_REDIS_CLI" >/dev/null 2>&1
}

# Installs the Debian package without letting its maintainer scripts start Debian's own
# redis-server service on 6379 (see apt_install in common.sh).
_redis_apt_install() { apt_install redis "$OMS_LOCAL_REDIS_APT_PACKAGE"; }

redis_install() {
	redis_installed && return 0
	mkdir -p "$OMS_LOCAL_VAR_DIR"
	with_install_lock redis _redis_apt_install
	redis_installed || die "redis: $OMS_LOCAL_REDIS_SERVER still not on PATH after installing $OMS_LOCAL_REDIS_APT_PACKAGE"
	log "redis: installed $("$OMS_LOCAL_REDIS_SERVER" --version | head -n 1)"
}

redis_probe() {
	local answer
	answer=$(timeout 3 "$OMS_LOCAL_REDIS_CLI" -h "$LOCAL_HOST" -p "$OMS_LOCAL_REDIS_PORT" ping 2>/dev/null) || return 1
	[[ $answer == PONG ]]
}
redis_ready() { redis_probe; }

redis_start() {
	local i
	mkdir -p "$REDIS_DIR/data"
	render_template "$LOCAL_DIR/redis/redis.conf.in" "$REDIS_CONF" \
		"REDIS_PORT=$OMS_LOCAL_REDIS_PORT" \
		"REDIS_PID_FILE=$REDIS_PID_FILE" \
		"REDIS_LOG_FILE=$REDIS_LOG_FILE" \
		"REDIS_DATA_DIR=$REDIS_DIR/data"
	rm -f "$REDIS_PID_FILE"
	printf '\n==== %s: starting (deploy/local) ====\n' "$(date -Is)" >>"$REDIS_LOG_FILE"
	# daemonize yes: the server forks, writes its pid file and returns.
	# 8>&-: the server must not inherit the lock of services.sh (fd 8).
	"$OMS_LOCAL_REDIS_SERVER" "$REDIS_CONF" </dev/null >>"$REDIS_LOG_FILE" 2>&1 8>&- ||
		{
			show_log_tail redis "$REDIS_LOG_FILE"
			die "redis: $OMS_LOCAL_REDIS_SERVER exited with an error"
		}
	for ((i = 0; i < 50; i++)); do
		[[ -s $REDIS_PID_FILE ]] && return 0
		sleep 0.1
	done
	show_log_tail redis "$REDIS_LOG_FILE"
	die "redis: no pid file $REDIS_PID_FILE after 5s"
}

redis_stop() { stop_pid redis "$REDIS_PID_FILE" redis-server "$OMS_LOCAL_STOP_TIMEOUT"; }
