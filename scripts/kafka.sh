#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft: broker and controller in one JVM) on 127.0.0.1
# for the tests, without Docker. Jars come from Maven Central via scripts/kafka/pom-<major>.xml
# into .kafka/lib-<version> and are cached in ~/.m2; nothing is installed outside this
# repository's .kafka/ folder.
#
#   scripts/kafka.sh start   fetch jars if needed, start a broker, wait until it accepts
#                            connections, print KAFKA_BROKERS=127.0.0.1:<port>
#   scripts/kafka.sh stop    stop it (SIGTERM, then SIGKILL after 15 s) and delete its data
#   scripts/kafka.sh status  print KAFKA_BROKERS=... if a broker started here is running
#   scripts/kafka.sh version print the Kafka version that start uses (KAFKA_VERSION)
#
# Environment: KAFKA_VERSION (3.9.1, the default, or 4.4.0; both are tested in CI),
# KAFKA_PORT (default: a free port), KAFKA_CONTROLLER_PORT (the KRaft controller listener,
# default: a free port), KAFKA_HOME_DIR (jars and default state,
# default <repo>/.kafka), KAFKA_STATE_DIR (where this broker's pid and data live, default
# KAFKA_HOME_DIR; give each concurrent user its own), KAFKA_OWNER_PID (stop the broker when this
# process dies, so an interrupted test run never leaves one behind), KAFKA_START_TIMEOUT
# (seconds, default 120), KAFKA_AUTO_CREATE_TOPICS (true, the default, or false: the broker's
# auto.create.topics.enable, as production clusters often set it).
# Exit codes: 0 ok, 1 failure, 2 bad usage or unsupported KAFKA_VERSION, 3 no Java on this
# machine (the broker cannot run here).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
home="${KAFKA_HOME_DIR:-$repo/.kafka}"
kafka_version="${KAFKA_VERSION:-3.9.1}"
case "$kafka_version" in
  3.9.1 | 4.4.0) ;;
  *) printf 'kafka.sh: KAFKA_VERSION=%s is not supported (use 3.9.1 or 4.4.0)\n' "$kafka_version" >&2; exit 2 ;;
esac
major="${kafka_version%%.*}"
auto_create="${KAFKA_AUTO_CREATE_TOPICS:-true}"
case "$auto_create" in
  true | false) ;;
  *) printf 'kafka.sh: KAFKA_AUTO_CREATE_TOPICS=%s must be true or false\n' "$auto_create" >&2; exit 2 ;;
esac
lib="$home/lib-$kafka_version"
state_dir="${KAFKA_STATE_DIR:-$home}"
state="$state_dir/broker.env"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

port_open() {
  node -e 'const c=require("net").connect(+process.argv[1],"127.0.0.1");c.on("connect",()=>{c.destroy();process.exit(0)});c.on("error",()=>process.exit(1));' "$1"
}

fetch_jars() {
  # .complete is written only after Maven copied every jar: an interrupted fetch is redone.
  if [ -f "$lib/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch the Kafka jars"; exit 1; }
  log "fetching Apache Kafka $kafka_version jars from Maven Central (cached in ~/.m2)"
  rm -rf "$lib"
  mvn -q -B -f "$repo/scripts/kafka/pom-$major.xml" -Dkafka.version="$kafka_version" -Dkafka.lib="$lib" validate >&2
  touch "$lib/.complete"
}

# A random Kafka cluster id (16 bytes, URL-safe base64 without padding, as StorageTool
# random-uuid prints; never starting with "-"), without starting a JVM for it.
cluster_id() {
  node -e 'let id; do id = require("crypto").randomBytes(16).toString("base64url"); while (id.startsWith("-")); console.log(id);'
}

running_pid() {
  [ -f "$state" ] || return 1
  local pid
  pid="$(sed -n 's/^KAFKA_PID=//p' "$state")"
  # A recorded pid counts only while it is still our broker (pids get reused).
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka" && echo "$pid"
}

start() {
  command -v java >/dev/null || { log "no java on PATH: cannot run a Kafka broker here"; exit 3; }
  if running_pid >/dev/null; then
    local running_version
    running_version="$(sed -n 's/^KAFKA_VERSION=//p' "$state")"
    if [ "${running_version:-3.9.1}" != "$kafka_version" ]; then
      log "a Kafka ${running_version:-3.9.1} broker already runs from $state_dir; stop it first or set KAFKA_STATE_DIR"
      exit 1
    fi
    sed -n 's/^KAFKA_BROKERS=/KAFKA_BROKERS=/p' "$state"
    return
  fi
  fetch_jars
  local port controller data
  port="${KAFKA_PORT:-$(free_port)}"
  controller="${KAFKA_CONTROLLER_PORT:-$(free_port)}"
  if [ "$controller" = "$port" ]; then log "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"; exit 1; fi
  mkdir -p "$home" "$state_dir"
  data="$(mktemp -d "$home/run.XXXXXX")"
  if [ "$major" = 3 ]; then
    # 3.x: a static voter set.
    cat > "$data/server.properties" <<PROPS
controller.quorum.voters=1@127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
PROPS
  else
    # 4.x: a dynamic quorum, bootstrapped from this one controller (storage formatted --standalone).
    cat > "$data/server.properties" <<PROPS
controller.quorum.bootstrap.servers=127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
PROPS
  fi
  cat >> "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=1
auto.create.topics.enable=$auto_create
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true "-Dkafka.logs.dir=$data")
  local format_args=(-t k1s0-scheduler-test-cluster)
  if [ "$major" = 3 ]; then
    java_opts+=("-Dlog4j.configuration=file:$repo/scripts/kafka/log4j.properties")
  else
    java_opts+=("-Dlog4j2.configurationFile=$repo/scripts/kafka/log4j2.properties")
    format_args=(-t "$(cluster_id)" --standalone)
  fi
  java "${java_opts[@]}" -cp "$lib/*" kafka.tools.StorageTool format \
    "${format_args[@]}" -c "$data/server.properties" --ignore-formatted > "$data/format.log" 2>&1 \
    || { log "storage format failed:"; cat "$data/format.log" >&2; exit 1; }
  # setsid: the broker must not die with the shell that started it, nor get its signals.
  setsid java "${java_opts[@]}" -cp "$lib/*" kafka.Kafka "$data/server.properties" > "$data/stdout.log" 2>&1 < /dev/null &
  local pid=$!
  printf 'KAFKA_PID=%s\nKAFKA_BROKERS=127.0.0.1:%s\nKAFKA_DATA=%s\nKAFKA_VERSION=%s\n' "$pid" "$port" "$data" "$kafka_version" > "$state"
  if [ -n "${KAFKA_OWNER_PID:-}" ]; then
    # Watchdog: when the owner (a test run) dies without calling stop, stop the broker and
    # delete its data; when the broker stops first, the watchdog ends too.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
      if kill -0 "$2" 2>/dev/null; then kill -TERM "$2"; sleep 15; kill -KILL "$2" 2>/dev/null; fi
      rm -rf "$3"' kafka-watchdog "$KAFKA_OWNER_PID" "$pid" "$data" > /dev/null 2>&1 < /dev/null &
  fi
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
  until port_open "$port" && grep -q "Kafka Server started" "$data/broker.log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker exited during start-up; last lines of its log:"
      tail -n 40 "$data/stdout.log" "$data/broker.log" >&2 2>/dev/null || true
      rm -f "$state"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "broker did not become ready in ${KAFKA_START_TIMEOUT:-120} s"
      stop
      exit 1
    fi
    sleep 0.2
  done
  log "Kafka $kafka_version broker ready on 127.0.0.1:$port (controller port $controller, pid $pid)"
  echo "KAFKA_BROKERS=127.0.0.1:$port"
}

stop() {
  local pid data
  pid="$(running_pid || true)"
  data="$( [ -f "$state" ] && sed -n 's/^KAFKA_DATA=//p' "$state" || true)"
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "broker did not stop in 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$state"
  if [ -n "$data" ] && [ -d "$data" ]; then rm -rf "$data"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if running_pid >/dev/null; then sed -n 's/^KAFKA_BROKERS=/KAFKA_BROKERS=/p' "$state"; else exit 1; fi ;;
  version) echo "$kafka_version" ;;
  *) echo "usage: $0 start|stop|status|version" >&2; exit 2 ;;
esac
