#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local real servers for tests and local use, all on 127.0.0.1: Redis, Kafka (KRaft), and FerretDB
# on a PostgreSQL of its own.
#
#   deploy/local/services.sh up      [redis|kafka|postgres|ferretdb ...]  install what is missing, start, wait until ready
#                                                (ferretdb brings postgres up first)
#   deploy/local/services.sh down    [NAME ...]  stop what this script started (SIGTERM, then SIGKILL; PostgreSQL:
#                                                pg_ctl stop -m fast); data kept. Stopping postgres stops ferretdb first
#   deploy/local/services.sh status  [NAME ...]  state of each; exit 0 only if every one named is ready
#   deploy/local/services.sh restart [NAME ...]  down, then up
#   deploy/local/services.sh install [NAME ...]  install only (Debian packages, Kafka jars, FerretDB build)
#   deploy/local/services.sh env                 OMS_* variables pointing the OMS at these servers
#   deploy/local/services.sh logs    NAME [N]    last N lines of NAME's logs
#   deploy/local/services.sh wipe    [NAME ...]  down, then delete NAME's data under var/services/
#                                                (ferretdb: its PostgreSQL database is dropped and created again)
#   deploy/local/services.sh kafka-run CLASS [ARGS...]  run a class from the Kafka jars
#                                    (e.g. org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list)
#
# No NAME means all four. Everything is overridable by environment variables (OMS_LOCAL_*; see
# the top of this file and of lib/*.sh, and deploy/local/README.md).
set -euo pipefail

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LOCAL_DIR/../.." && pwd)

# Where each clone keeps its servers' data, pid files and logs.
: "${OMS_LOCAL_VAR_DIR:=$REPO_ROOT/var/services}"
# Downloads and builds shared by every clone on the machine (Kafka jars, FerretDB binary).
: "${OMS_LOCAL_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/oms-local}"
: "${OMS_LOCAL_READY_TIMEOUT:=60}" # seconds; Kafka has its own (OMS_LOCAL_KAFKA_READY_TIMEOUT, 120)
: "${OMS_LOCAL_STOP_TIMEOUT:=20}"  # seconds between SIGTERM and SIGKILL; Kafka: OMS_LOCAL_KAFKA_STOP_TIMEOUT, 30
: "${OMS_LOCAL_LOG_TAIL_LINES:=40}"
: "${OMS_LOCAL_MONGO_DB:=oms}" # database name in the OMS_STORE URL printed by `env`

# In start order: a server comes after those it depends on (<name>_deps); `down` goes backwards.
ALL_SERVICES=(redis kafka postgres ferretdb)

. "$LOCAL_DIR/lib/common.sh"
. "$LOCAL_DIR/lib/redis.sh"
. "$LOCAL_DIR/lib/kafka.sh"
. "$LOCAL_DIR/lib/postgres.sh"
. "$LOCAL_DIR/lib/ferretdb.sh"

usage() {
	sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# pid_file NAME: the pid file of a service.
pid_file() {
	case $1 in
	redis) printf '%s\n' "$REDIS_PID_FILE" ;;
	kafka) printf '%s\n' "$KAFKA_PID_FILE" ;;
	postgres) printf '%s\n' "$POSTGRES_PID_FILE" ;;
	ferretdb) printf '%s\n' "$FERRETDB_PID_FILE" ;;
	esac
}

# service_deps NAME: the servers NAME needs running (one a line).
service_deps() {
	if declare -F "${1}_deps" >/dev/null; then
		"${1}_deps"
	fi
}

# select_services MODE NAME...: validate names into SERVICES, in ALL_SERVICES order (all of them
# when none is given). MODE "up" adds what they depend on (up ferretdb = postgres + ferretdb),
# "down" adds what depends on them (down postgres = ferretdb + postgres), "exact" adds nothing.
# NAMED holds the names as given.
SERVICES=()
NAMED=()
select_services() {
	local mode=$1 name known s d changed
	local -A want=()
	shift
	SERVICES=()
	NAMED=()
	if (($# == 0)); then
		NAMED=("${ALL_SERVICES[@]}")
	else
		for name in "$@"; do
			known=0
			for s in "${ALL_SERVICES[@]}"; do
				[[ $name == "$s" ]] && known=1
			done
			((known)) || die "unknown server '$name' (known: ${ALL_SERVICES[*]})"
			NAMED+=("$name")
		done
	fi
	for s in "${NAMED[@]}"; do
		want[$s]=1
	done
	changed=1
	while [[ $mode != exact ]] && ((changed)); do
		changed=0
		for s in "${ALL_SERVICES[@]}"; do
			while read -r d; do
				[[ -n $d ]] || continue
				if [[ $mode == up && -n ${want[$s]:-} && -z ${want[$d]:-} ]]; then
					log "$s needs $d: $d too"
					want[$d]=1
					changed=1
				elif [[ $mode == down && -n ${want[$d]:-} && -z ${want[$s]:-} ]]; then
					log "$s depends on $d: $s too"
					want[$s]=1
					changed=1
				fi
			done < <(service_deps "$s")
		done
	done
	for s in "${ALL_SERVICES[@]}"; do
		if [[ -n ${want[$s]:-} ]]; then
			SERVICES+=("$s")
		fi
	done
}

# lock: one up/down/wipe at a time per clone.
lock() {
	mkdir -p "$OMS_LOCAL_VAR_DIR"
	exec 8>"$OMS_LOCAL_VAR_DIR/.lock"
	flock -w 900 8 || die "another deploy/local/services.sh holds $OMS_LOCAL_VAR_DIR/.lock"
}

# tail_logs NAME LOG...: the end of NAME's logs (its own <name>_tail_logs if it has one).
tail_logs() {
	local name=$1
	shift
	if declare -F "${name}_tail_logs" >/dev/null; then
		"${name}_tail_logs"
	else
		show_log_tail "$name" "$@"
	fi
}

# wait_ready NAME START_MS: wait until NAME's readiness check passes, its process dies, or its
# timeout runs out; on failure, say why and show the tail of its logs.
wait_ready() {
	local name=$1 start=$2 timeout pid deadline logs=()
	timeout=$("${name}_ready_timeout")
	deadline=$((SECONDS + timeout))
	mapfile -t logs < <("${name}_logs")
	while :; do
		pid=$(read_pid "$(pid_file "$name")")
		if ! pid_exists "$pid"; then
			printf '[local] ERROR: %s exited during startup (pid %s)\n' "$name" "${pid:-?}" >&2
			tail_logs "$name" "${logs[@]}"
			rm -f "$(pid_file "$name")"
			return 1
		fi
		if "${name}_ready"; then
			log "$name: ready at $("${name}_address") (pid $pid) in $(elapsed "$start")s"
			return 0
		fi
		if ((SECONDS >= deadline)); then
			printf '[local] ERROR: %s (pid %s) not ready within %ss; it is left running (stop it with: %s down %s)\n' \
				"$name" "$pid" "$timeout" "$0" "$name" >&2
			tail_logs "$name" "${logs[@]}"
			return 1
		fi
		sleep 0.25
	done
}

cmd_install() {
	local s start
	for s in "${SERVICES[@]}"; do
		start=$(now_ms)
		"${s}_install"
		log "$s: installed ($(elapsed "$start")s)"
	done
}

cmd_up() {
	local s d pid port start total reason blocked failed=()
	local -A started=() waited=() not_ready=()
	total=$(now_ms)
	lock
	mkdir -p "$OMS_LOCAL_VAR_DIR"
	for s in "${SERVICES[@]}"; do
		start=$(now_ms)
		"${s}_install"
		(($(now_ms) - start < 1000)) || log "$s: install step took $(elapsed "$start")s"
	done
	# Start every server first, then wait for all of them: their startups overlap, except that a
	# server waits for those it depends on (FerretDB for PostgreSQL) to be ready.
	for s in "${SERVICES[@]}"; do
		blocked=
		while read -r d; do
			[[ -n $d && -n ${started[$d]:-} && -z ${waited[$d]:-} ]] || continue
			waited[$d]=1
			if ! wait_ready "$d" "${started[$d]}"; then
				failed+=("$d")
				not_ready[$d]=1
			fi
		done < <(service_deps "$s")
		while read -r d; do
			if [[ -n $d && -n ${not_ready[$d]:-} ]]; then
				blocked=$d
			fi
		done < <(service_deps "$s")
		if [[ -n $blocked ]]; then
			printf '[local] ERROR: %s not started: %s is not ready\n' "$s" "$blocked" >&2
			failed+=("$s")
			not_ready[$s]=1
			continue
		fi
		if pid=$("${s}_pid"); then
			if declare -F "${s}_outdated" >/dev/null && reason=$("${s}_outdated" "$pid"); then
				warn "$s: pid $pid $reason; restarting it"
				"${s}_stop"
			elif "${s}_probe"; then
				log "$s: already running and ready (pid $pid), reused"
				if declare -F "${s}_reused" >/dev/null; then
					"${s}_reused"
				fi
				continue
			else
				warn "$s: pid $pid is running but does not answer; restarting it"
				"${s}_stop"
			fi
		fi
		while read -r port; do
			ensure_port_free "$s" "$port"
		done < <("${s}_ports")
		log "$s: starting"
		started[$s]=$(now_ms)
		"${s}_start"
	done
	for s in "${SERVICES[@]}"; do
		[[ -n ${started[$s]:-} && -z ${waited[$s]:-} ]] || continue
		wait_ready "$s" "${started[$s]}" || failed+=("$s")
	done
	if ((${#failed[@]})); then
		die "not ready: ${failed[*]} (logs under $OMS_LOCAL_VAR_DIR/)"
	fi
	log "up: ${SERVICES[*]} ready in $(elapsed "$total")s"
}

cmd_down() {
	local i
	lock
	# backwards: FerretDB before the PostgreSQL it writes to
	for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
		"${SERVICES[i]}_stop"
	done
}

cmd_status() {
	local s pid state detail rc=0 port reason
	printf '%-9s %-9s %-8s %-44s %s\n' SERVER STATE PID ADDRESS DETAIL
	for s in "${SERVICES[@]}"; do
		detail=
		if pid=$("${s}_pid" 2>/dev/null); then
			if declare -F "${s}_outdated" >/dev/null && reason=$("${s}_outdated" "$pid"); then
				state=outdated
				detail="$reason ('$0 up' restarts it)"
				rc=3
			elif "${s}_probe"; then
				state=ready
			else
				state=unready
				detail="running but not answering (see: $0 logs $s)"
				rc=3
			fi
		else
			pid=-
			state=stopped
			rc=3
			while read -r port; do
				if port_open "$port"; then
					detail="port $port is held by a process not started here: $(port_owner "$port")"
				fi
			done < <("${s}_ports")
		fi
		case $s in
		kafka)
			if [[ $pid != - ]]; then
				detail=${detail:-"Kafka $(kafka_running_version), KRaft, controller on $LOCAL_HOST:$OMS_LOCAL_KAFKA_CONTROLLER_PORT"}
			else
				detail=${detail:-"Kafka $OMS_LOCAL_KAFKA_VERSION, KRaft, controller on $LOCAL_HOST:$OMS_LOCAL_KAFKA_CONTROLLER_PORT"}
			fi
			;;
		ferretdb) detail=${detail:-"FerretDB $OMS_LOCAL_FERRETDB_VERSION, PostgreSQL backend (postgres on $LOCAL_HOST:$OMS_LOCAL_POSTGRES_PORT)"} ;;
		postgres) detail=${detail:-"PostgreSQL $(postgres_version || echo '(not installed)'), database $OMS_LOCAL_POSTGRES_DB, data in $POSTGRES_DATA_DIR"} ;;
		redis) detail=${detail:-"data in $REDIS_DIR/data"} ;;
		esac
		printf '%-9s %-9s %-8s %-44s %s\n' "$s" "$state" "$pid" "$("${s}_address")" "$detail"
	done
	return "$rc"
}

cmd_env() {
	printf 'export OMS_BUS=%s\n' "$(kafka_address)"
	printf 'export OMS_IDEMPOTENCY=%s\n' "$(redis_address)"
	printf 'export OMS_STORE=mongodb://%s:%s/%s\n' "$LOCAL_HOST" "$OMS_LOCAL_FERRETDB_PORT" "$OMS_LOCAL_MONGO_DB"
}

cmd_logs() {
	local name=${1:-} lines=${2:-$OMS_LOCAL_LOG_TAIL_LINES} f
	[[ -n $name ]] || die "usage: $0 logs NAME [LINES]"
	select_services exact "$name"
	while read -r f; do
		[[ -e $f ]] || continue
		printf '==> %s <==\n' "$f"
		tail -n "$lines" "$f"
	done < <("${name}_logs")
}

# cmd_wipe: SERVICES (the named ones and what depends on them) are stopped; only the named ones
# lose their data.
cmd_wipe() {
	local s
	cmd_down
	for s in "${NAMED[@]}"; do
		log "$s: deleting $OMS_LOCAL_VAR_DIR/$s"
		rm -rf "${OMS_LOCAL_VAR_DIR:?}/$s"
	done
	for s in "${NAMED[@]}"; do
		# data kept by another server (FerretDB's, in PostgreSQL), unless that one is wiped too
		if declare -F "${s}_wipe" >/dev/null && [[ " ${NAMED[*]} " != *" postgres "* ]]; then
			"${s}_wipe"
		fi
	done
}

main() {
	local cmd=${1:-}
	(($#)) && shift
	case $cmd in
	up)
		select_services up "$@"
		cmd_up
		;;
	down)
		select_services down "$@"
		cmd_down
		;;
	status)
		select_services exact "$@"
		cmd_status
		;;
	restart)
		select_services down "$@"
		cmd_down
		exec 8>&-
		select_services up "${SERVICES[@]}"
		cmd_up
		;;
	install)
		select_services up "$@"
		cmd_install
		;;
	env) cmd_env ;;
	logs) cmd_logs "$@" ;;
	wipe)
		select_services down "$@"
		cmd_wipe
		;;
	kafka-run)
		(($#)) || die "usage: $0 kafka-run CLASS [ARGS...]"
		kafka_install
		kafka_run_class "$@"
		;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
