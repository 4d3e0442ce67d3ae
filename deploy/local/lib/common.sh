# shellcheck shell=bash
# Shared helpers of deploy/local/services.sh: logging, pid files, ports, waiting, stopping.
# Sourced, not run. Every server is started by this code in the background with a pid file under
# var/services/<name>/, and only a process whose pid file we wrote and whose command line matches
# is ever signalled.

LOCAL_HOST=127.0.0.1 # every server binds to loopback only; not configurable on purpose

log() { printf '[local] %s\n' "$*" >&2; }
warn() { printf '[local] WARNING: %s\n' "$*" >&2; }
die() {
	printf '[local] ERROR: %s\n' "$*" >&2
	exit 1
}

# now_ms: milliseconds since the epoch (for the timings printed by `up`).
now_ms() { date +%s%3N; }

# elapsed START_MS: seconds since START_MS, one decimal.
elapsed() {
	local ms=$(($(now_ms) - $1))
	printf '%d.%01d' $((ms / 1000)) $(((ms % 1000) / 100))
}

# render_template SRC DST KEY=VALUE...: copy SRC to DST replacing every @KEY@ by VALUE.
render_template() {
	local src=$1 dst=$2
	shift 2
	local args=() kv key value
	for kv in "$@"; do
		key=${kv%%=*}
		value=${kv#*=}
		value=${value//\\/\\\\}
		value=${value//|/\\|}
		value=${value//&/\\&}
		args+=(-e "s|@${key}@|${value}|g")
	done
	sed "${args[@]}" "$src" >"$dst.tmp"
	if grep -q '@[A-Z_]*@' "$dst.tmp"; then
		die "unreplaced placeholder in $dst: $(grep -o '@[A-Z_]*@' "$dst.tmp" | head -n 1)"
	fi
	mv -f "$dst.tmp" "$dst"
}

# pid_alive PID PATTERN: PID is a live process (not a zombie) whose command line contains PATTERN.
pid_alive() {
	local pid=$1 pattern=$2 cmdline state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	state=$(proc_state "$pid") || return 1
	[[ $state != Z ]] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"$pattern"* ]]
}

# proc_state PID: the state letter of PID (R, S, D, Z...), from /proc/PID/stat.
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	printf '%s\n' "${stat%% *}"
}

# pid_exists PID: a live process (not a zombie), whatever its command line (a process we just
# forked may not have exec'ed its program yet).
pid_exists() {
	local state
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	state=$(proc_state "$1") || return 1
	[[ -n $state && $state != Z ]]
}

# read_pid FILE: the pid in FILE, or nothing.
read_pid() {
	[[ -s $1 ]] || return 0
	tr -dc '0-9' <"$1"
}

# running_pid PIDFILE PATTERN: print the pid if the pid file names a live matching process;
# a stale pid file (dead process or reused pid) is removed.
running_pid() {
	local file=$1 pattern=$2 pid
	pid=$(read_pid "$file")
	if [[ -n $pid ]] && pid_alive "$pid" "$pattern"; then
		printf '%s\n' "$pid"
		return 0
	fi
	if [[ -e $file ]]; then
		log "removing stale pid file $file${pid:+ (no such server runs as pid $pid any more)}"
		rm -f "$file"
	fi
	return 1
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$LOCAL_HOST" "$1" 2>/dev/null
}

# port_owner PORT: a line saying which process listens on PORT (best effort).
port_owner() {
	if command -v ss >/dev/null 2>&1; then
		ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1
	fi
}

# ensure_port_free NAME PORT: fail clearly if a process that is not ours holds PORT.
ensure_port_free() {
	local name=$1 port=$2 owner
	if port_open "$port"; then
		owner=$(port_owner "$port")
		die "$name: port $LOCAL_HOST:$port is already in use by a process this script did not start${owner:+ ($owner)}. Stop it, or choose another port with the OMS_LOCAL_*_PORT variables (see deploy/local/README.md)."
	fi
}

# stop_pid NAME PIDFILE PATTERN TIMEOUT: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL.
stop_pid() {
	local name=$1 file=$2 pattern=$3 timeout=$4 pid start deadline
	if ! pid=$(running_pid "$file" "$pattern"); then
		log "$name: not running"
		return 0
	fi
	start=$(now_ms)
	log "$name: stopping pid $pid (SIGTERM)"
	kill -TERM "$pid" 2>/dev/null || true
	kill -CONT "$pid" 2>/dev/null || true # a stopped (SIGSTOP) process handles TERM only once resumed
	deadline=$((SECONDS + timeout))
	while pid_alive "$pid" "$pattern"; do
		if ((SECONDS >= deadline)); then
			warn "$name: pid $pid still alive after ${timeout}s, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.5
			break
		fi
		sleep 0.2
	done
	rm -f "$file"
	log "$name: stopped in $(elapsed "$start")s (data kept)"
}

# show_log_tail NAME FILE...: the last lines of each existing log file, on stderr.
show_log_tail() {
	local name=$1 f
	shift
	for f in "$@"; do
		[[ -s $f ]] || continue
		printf '[local] ---- last %s lines of %s ----\n' "${OMS_LOCAL_LOG_TAIL_LINES}" "$f" >&2
		tail -n "${OMS_LOCAL_LOG_TAIL_LINES}" "$f" >&2
		printf '[local] ---- end of %s (%s) ----\n' "$f" "$name" >&2
	done
}

# with_install_lock NAME CMD...: run CMD under an exclusive lock in the shared cache, so two
# clones installing at once do not write the same files.
with_install_lock() {
	local name=$1 rc=0
	shift
	mkdir -p "$OMS_LOCAL_CACHE_DIR"
	(
		flock -w 1800 9 || die "$name: could not lock $OMS_LOCAL_CACHE_DIR/.install-$name.lock"
		"$@"
	) 9>"$OMS_LOCAL_CACHE_DIR/.install-$name.lock" || rc=$?
	return "$rc"
}

# apt_install NAME PACKAGE...: install Debian packages (non-interactive, quiet, no recommends),
# with sudo when not root, without letting their maintainer scripts start Debian's own service
# (a policy-rc.d that says "no", only for the install, and only if the machine has none).
# apt-get's output goes to $OMS_LOCAL_VAR_DIR/NAME-apt.log, shown if it fails.
apt_install() {
	local name=$1 sudo=() policy=/usr/sbin/policy-rc.d made_policy=0 rc=0 apt_log
	shift
	apt_log=$OMS_LOCAL_VAR_DIR/$name-apt.log
	mkdir -p "$OMS_LOCAL_VAR_DIR"
	if ((EUID != 0)); then
		command -v sudo >/dev/null 2>&1 || die "$name: installing $* needs root (apt-get install $*)"
		sudo=(sudo -n)
	fi
	command -v apt-get >/dev/null 2>&1 || die "$name: $* is not installed and there is no apt-get; install it by hand (see deploy/local/README.md)"
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
		"${sudo[@]}" chmod 755 "$policy"
		made_policy=1
	fi
	log "$name: installing Debian package(s) $* (apt-get)"
	{
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq update &&
			"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -qq \
				-o Dpkg::Use-Pty=0 --no-install-recommends install "$@"
	} >"$apt_log" 2>&1 || rc=$?
	if ((made_policy)); then
		"${sudo[@]}" rm -f "$policy"
	fi
	if ((rc != 0)); then
		show_log_tail "$name" "$apt_log"
		die "$name: apt-get install $* failed (exit $rc)"
	fi
}
