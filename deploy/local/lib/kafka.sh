# shellcheck shell=bash
# Apache Kafka 4.x, KRaft mode, one node that is broker and controller, on 127.0.0.1.
# The jars come from Maven Central (deploy/local/kafka/pom.xml) into the shared cache; the JVM runs
# in the background with a pid file. Sourced by deploy/local/services.sh.

: "${OMS_LOCAL_KAFKA_VERSION:=4.4.0}"
: "${OMS_LOCAL_KAFKA_PORT:=9092}"
: "${OMS_LOCAL_KAFKA_CONTROLLER_PORT:=9093}"
# The listener the network fault tests reach through their TCP proxy (see server.properties.in).
: "${OMS_LOCAL_KAFKA_PROXIED_PORT:=19092}"
: "${OMS_LOCAL_KAFKA_PROXY_PORT:=19094}"
: "${OMS_LOCAL_KAFKA_HEAP_OPTS:=-Xms256m -Xmx512m}"
: "${OMS_LOCAL_KAFKA_JVM_OPTS:=}"
: "${OMS_LOCAL_KAFKA_NUM_PARTITIONS:=3}"
: "${OMS_LOCAL_KAFKA_OFFSETS_PARTITIONS:=8}"
: "${OMS_LOCAL_KAFKA_RETENTION_HOURS:=24}"
: "${OMS_LOCAL_KAFKA_STOP_TIMEOUT:=30}"
: "${OMS_LOCAL_KAFKA_HOME:=$OMS_LOCAL_CACHE_DIR/kafka-$OMS_LOCAL_KAFKA_VERSION}"
: "${OMS_LOCAL_MVN:=mvn}"
: "${OMS_LOCAL_JAVA:=}"

KAFKA_MIN_JAVA=17 # Kafka 4.x brokers need Java 17+
KAFKA_LIBS=$OMS_LOCAL_KAFKA_HOME/libs
KAFKA_DIR=$OMS_LOCAL_VAR_DIR/kafka
KAFKA_DATA_DIR=$KAFKA_DIR/data
KAFKA_LOG_DIR=$KAFKA_DIR/logs
KAFKA_PID_FILE=$KAFKA_DIR/kafka.pid
KAFKA_OUT_FILE=$KAFKA_DIR/kafka.out
KAFKA_SERVER_LOG=$KAFKA_LOG_DIR/server.log
KAFKA_PROPS=$KAFKA_DIR/server.properties
KAFKA_PATTERN="kafka.Kafka $KAFKA_PROPS"

kafka_address() { printf 'kafka://%s:%s' "$LOCAL_HOST" "$OMS_LOCAL_KAFKA_PORT"; }
kafka_logs() { printf '%s\n' "$KAFKA_SERVER_LOG" "$KAFKA_OUT_FILE"; }
# kafka_tail_logs: on a failed start, what this start wrote (server.log from the start offset, then
# the JVM's own stdout/stderr, where a crash before log4j is up lands).
kafka_tail_logs() {
	local offset=0 n=$OMS_LOCAL_LOG_TAIL_LINES
	[[ -s $KAFKA_DIR/start.offset ]] && offset=$(<"$KAFKA_DIR/start.offset")
	if [[ -s $KAFKA_SERVER_LOG ]]; then
		printf '[local] ---- last %s lines of %s written by this start ----\n' "$n" "$KAFKA_SERVER_LOG" >&2
		tail -c +"$((offset + 1))" "$KAFKA_SERVER_LOG" | tail -n "$n" >&2
	fi
	show_log_tail kafka "$KAFKA_OUT_FILE"
}
kafka_pid() { running_pid "$KAFKA_PID_FILE" "$KAFKA_PATTERN"; }
kafka_ports() { printf '%s\n' "$OMS_LOCAL_KAFKA_PORT" "$OMS_LOCAL_KAFKA_CONTROLLER_PORT" "$OMS_LOCAL_KAFKA_PROXIED_PORT"; }
kafka_ready_timeout() { printf '%s\n' "${OMS_LOCAL_KAFKA_READY_TIMEOUT:-120}"; }

# _java_major BIN: the major version of a java binary (8 for 1.8.0_x, 17 for 17.0.x).
_java_major() {
	local v
	v=$("$1" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}') || return 1
	[[ -n $v ]] || return 1
	if [[ $v == 1.* ]]; then
		v=${v#1.}
	fi
	printf '%s\n' "${v%%[.+-]*}"
}

# kafka_java: the first java >= 17 among OMS_LOCAL_JAVA, JAVA_HOME, PATH and /usr/lib/jvm.
KAFKA_JAVA=
kafka_java() {
	local candidate major
	if [[ -n $KAFKA_JAVA ]]; then
		printf '%s\n' "$KAFKA_JAVA"
		return 0
	fi
	local candidates=()
	[[ -n $OMS_LOCAL_JAVA ]] && candidates+=("$OMS_LOCAL_JAVA")
	[[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME/bin/java")
	command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
	for candidate in /usr/lib/jvm/*/bin/java; do
		[[ -x $candidate ]] && candidates+=("$candidate")
	done
	for candidate in "${candidates[@]}"; do
		[[ -x $candidate ]] || continue
		major=$(_java_major "$candidate") || continue
		if [[ $major =~ ^[0-9]+$ ]] && ((major >= KAFKA_MIN_JAVA)); then
			KAFKA_JAVA=$candidate
			printf '%s\n' "$candidate"
			return 0
		fi
	done
	die "kafka: no Java >= $KAFKA_MIN_JAVA found (tried: ${candidates[*]:-none}); set OMS_LOCAL_JAVA"
}

# The jars in the cache are those of the current pom.xml (its checksum is the .complete marker):
# editing the pom refetches them.
_kafka_pom_sum() { sha256sum "$LOCAL_DIR/kafka/pom.xml" | awk '{print $1}'; }
_kafka_jars_current() {
	[[ -s $OMS_LOCAL_KAFKA_HOME/.complete && $(<"$OMS_LOCAL_KAFKA_HOME/.complete") == "$(_kafka_pom_sum)" ]]
}

_kafka_mvn_fetch() {
	local tmp start
	_kafka_jars_current && return 0
	command -v "$OMS_LOCAL_MVN" >/dev/null 2>&1 || die "kafka: Maven ($OMS_LOCAL_MVN) is needed to fetch the Kafka jars"
	mkdir -p "$OMS_LOCAL_CACHE_DIR"
	tmp=$(mktemp -d "$OMS_LOCAL_CACHE_DIR/.kafka-fetch.XXXXXX")
	start=$(now_ms)
	log "kafka: fetching org.apache.kafka:kafka_2.13:$OMS_LOCAL_KAFKA_VERSION and its runtime dependencies (Maven)"
	# shellcheck disable=SC2086 # OMS_LOCAL_MVN_OPTS is a list of options
	if ! "$OMS_LOCAL_MVN" -q -B ${OMS_LOCAL_MVN_OPTS:-} -f "$LOCAL_DIR/kafka/pom.xml" \
		"-Dkafka.version=$OMS_LOCAL_KAFKA_VERSION" \
		dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp/libs" \
		>"$tmp/mvn.log" 2>&1; then
		show_log_tail kafka "$tmp/mvn.log"
		rm -rf "$tmp"
		die "kafka: Maven could not fetch Kafka $OMS_LOCAL_KAFKA_VERSION (is that version on Maven Central?)"
	fi
	[[ -e $tmp/libs/kafka_2.13-$OMS_LOCAL_KAFKA_VERSION.jar ]] || {
		rm -rf "$tmp"
		die "kafka: kafka_2.13-$OMS_LOCAL_KAFKA_VERSION.jar missing after the Maven fetch"
	}
	rm -rf "$KAFKA_LIBS"
	mkdir -p "$OMS_LOCAL_KAFKA_HOME"
	mv "$tmp/libs" "$KAFKA_LIBS"
	rm -rf "$tmp"
	_kafka_pom_sum >"$OMS_LOCAL_KAFKA_HOME/.complete"
	log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS, fetched in $(elapsed "$start")s"
}

kafka_install() {
	kafka_java >/dev/null
	_kafka_jars_current && return 0
	with_install_lock kafka _kafka_mvn_fetch
}

# kafka_run_class CLASS ARGS...: run a class from the Kafka jars (a command-line tool), logging
# warnings to stderr. E.g. org.apache.kafka.tools.TopicCommand --bootstrap-server ... --list
kafka_run_class() {
	local java
	java=$(kafka_java)
	"$java" -Xmx256m -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true \
		"-Dlog4j2.configurationFile=$LOCAL_DIR/kafka/tools-log4j2.xml" \
		-cp "$KAFKA_LIBS/*" "$@"
}

# _kafka_format: once per data dir, a cluster id and `StorageTool format --standalone`.
_kafka_format() {
	local cluster_id out
	[[ -s $KAFKA_DATA_DIR/meta.properties ]] && return 0
	if [[ -s $KAFKA_DIR/cluster.id ]]; then
		cluster_id=$(<"$KAFKA_DIR/cluster.id")
	else
		cluster_id=$(kafka_run_class kafka.tools.StorageTool random-uuid | tail -n 1) ||
			die "kafka: StorageTool random-uuid failed"
		printf '%s\n' "$cluster_id" >"$KAFKA_DIR/cluster.id"
	fi
	log "kafka: formatting $KAFKA_DATA_DIR (cluster id $cluster_id, standalone controller)"
	if ! out=$(kafka_run_class kafka.tools.StorageTool format --standalone \
		-t "$cluster_id" -c "$KAFKA_PROPS" 2>&1); then
		printf '%s\n' "$out" >&2
		die "kafka: StorageTool format failed"
	fi
}

# _kafka_api_versions: an ApiVersions v0 request over plain TCP in bash (no JVM); ready when the
# broker answers with our correlation id and error_code 0.
_kafka_api_versions() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		# size 19 | api_key 18 (ApiVersions) | api_version 0 | correlation_id 42 | client_id "oms-probe"
		printf "\x00\x00\x00\x13\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x09oms-probe" >&3
		reply=$(head -c 10 <&3 | od -An -tx1 | tr -d " \n")
		[[ ${reply:8:12} == 0000002a0000 ]]
	' "$LOCAL_HOST" "$OMS_LOCAL_KAFKA_PORT" 2>/dev/null
}

kafka_probe() { _kafka_api_versions; }

# kafka_running_version: the Kafka version the running broker was started with.
kafka_running_version() {
	local pid v=
	if [[ -s $KAFKA_DIR/running.version ]]; then
		v=$(<"$KAFKA_DIR/running.version")
	elif pid=$(read_pid "$KAFKA_PID_FILE") && [[ -n $pid && -r /proc/$pid/cmdline ]]; then
		# started before running.version existed: the jars' directory names the version
		v=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's|.*/kafka-\([0-9][^/]*\)/libs/.*|\1|p' | head -n 1)
	fi
	printf '%s\n' "${v:-unknown}"
}

# kafka_outdated PID: a broker started from an older template (without the PROXIED listener)
# is restarted by `up`, so a re-run on a machine with an old broker gets the current config.
kafka_outdated() {
	if ! grep -q "PROXIED://127.0.0.1:$OMS_LOCAL_KAFKA_PROXIED_PORT" "$KAFKA_PROPS" 2>/dev/null; then
		printf 'was started without the PROXIED listener (an older server.properties)\n'
	else
		return 1
	fi
}

# kafka_reused: called when `up` reuses a running broker.
kafka_reused() {
	local running
	running=$(kafka_running_version)
	if [[ $running != "$OMS_LOCAL_KAFKA_VERSION" ]]; then
		warn "kafka: the running broker is Kafka $running, not $OMS_LOCAL_KAFKA_VERSION; '$0 restart kafka' switches (data is kept)"
	fi
}

# Ready after a start: the broker logged "Kafka Server started" (it is unfenced, so topics can be
# created at once) since this start, and answers an ApiVersions request.
kafka_ready() {
	local offset=0
	[[ -s $KAFKA_DIR/start.offset ]] && offset=$(<"$KAFKA_DIR/start.offset")
	[[ -e $KAFKA_SERVER_LOG ]] || return 1
	# rolled over since the start (50 MB): read the new file from its beginning
	(($(stat -c %s "$KAFKA_SERVER_LOG") >= offset)) || offset=0
	tail -c +"$((offset + 1))" "$KAFKA_SERVER_LOG" | grep -q 'Kafka Server started' || return 1
	_kafka_api_versions
}

kafka_start() {
	local java pid offset=0
	java=$(kafka_java)
	mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIR"
	render_template "$LOCAL_DIR/kafka/server.properties.in" "$KAFKA_PROPS" \
		"KAFKA_PORT=$OMS_LOCAL_KAFKA_PORT" \
		"KAFKA_CONTROLLER_PORT=$OMS_LOCAL_KAFKA_CONTROLLER_PORT" \
		"KAFKA_PROXIED_PORT=$OMS_LOCAL_KAFKA_PROXIED_PORT" \
		"KAFKA_PROXY_PORT=$OMS_LOCAL_KAFKA_PROXY_PORT" \
		"KAFKA_DATA_DIR=$KAFKA_DATA_DIR" \
		"KAFKA_NUM_PARTITIONS=$OMS_LOCAL_KAFKA_NUM_PARTITIONS" \
		"KAFKA_OFFSETS_PARTITIONS=$OMS_LOCAL_KAFKA_OFFSETS_PARTITIONS" \
		"KAFKA_RETENTION_HOURS=$OMS_LOCAL_KAFKA_RETENTION_HOURS"
	_kafka_format
	[[ -e $KAFKA_SERVER_LOG ]] && offset=$(stat -c %s "$KAFKA_SERVER_LOG")
	printf '%s\n' "$offset" >"$KAFKA_DIR/start.offset"
	printf '%s\n' "$OMS_LOCAL_KAFKA_VERSION" >"$KAFKA_DIR/running.version"
	# The JVM's stdout/stderr (crashes before log4j is up, thread dumps): one file per start.
	[[ -e $KAFKA_OUT_FILE ]] && mv -f "$KAFKA_OUT_FILE" "$KAFKA_OUT_FILE.1"
	printf '==== %s: starting Kafka %s with %s (deploy/local) ====\n' \
		"$(date -Is)" "$OMS_LOCAL_KAFKA_VERSION" "$java" >"$KAFKA_OUT_FILE"
	# JVM flags as in Kafka's kafka-run-class.sh / kafka-server-start.sh, with a small heap.
	# shellcheck disable=SC2086 # the *_OPTS variables are lists of options
	(
		cd "$KAFKA_DIR" &&
			exec setsid nohup "$java" \
				$OMS_LOCAL_KAFKA_HEAP_OPTS \
				-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
				-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError \
				-Djava.awt.headless=true \
				"-Dlog4j2.configurationFile=$LOCAL_DIR/kafka/log4j2.xml" \
				"-Dkafka.logs.dir=$KAFKA_LOG_DIR" \
				$OMS_LOCAL_KAFKA_JVM_OPTS \
				-cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
				</dev/null >>"$KAFKA_OUT_FILE" 2>&1 8>&-
	) &
	pid=$!
	printf '%s\n' "$pid" >"$KAFKA_PID_FILE"
}

kafka_stop() { stop_pid kafka "$KAFKA_PID_FILE" "$KAFKA_PATTERN" "$OMS_LOCAL_KAFKA_STOP_TIMEOUT"; }
