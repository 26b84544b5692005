#!/bin/sh
# One pod of the Redis Sentinel set (redisSentinel.ts): `redisSentinel.sh redis [redis-server arguments]` in the
# Redis container, `redisSentinel.sh sentinel [redis-server arguments]` in the Sentinel one. Each writes its
# config into CONFIG_DIR at every start (Sentinel rewrites its own file as it learns), then execs the server.
#
# The master: as a running sentinel names it; when none answers (the set's first start, or every sentinel
# down), the first node. Redis starts as a replica of any other master; Sentinel monitors it.
#
# Environment:
#   REDIS_PASSWORD      the one password: Redis's, its replication's, and the sentinels' own
#   POD_NAME            this node's name, ending in -<ordinal>
#   REDIS_NODES         every node as host:redisPort:sentinelPort, by ordinal, separated by spaces
#   SENTINEL_MASTER     the name of the master set (Mastodon's REDIS_SENTINEL_MASTER)
#   SENTINEL_QUORUM     sentinels that must agree the master is down
#   SENTINEL_DOWN_AFTER_MS, SENTINEL_FAILOVER_TIMEOUT_MS
#   CONFIG_DIR          a writable directory for the configs
#   DATA_DIR            Redis's data directory
set -eu
mode=${1:-}
[ $# -eq 0 ] || shift
ordinal=${POD_NAME##*-}

# Field $2 (1 host, 2 Redis port, 3 Sentinel port) of node $1.
field() {
  node=$1 col=$2
  set -- $REDIS_NODES
  shift "$node"
  printf '%s\n' "$1" | cut -d: -f"$col"
}

node_count() {
  set -- $REDIS_NODES
  echo $#
}

# One line of a config file (dash's echo would read backslashes in a password as escapes).
line() {
  printf '%s\n' "$*"
}

# A value quoted for a Redis config file.
quoted() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"
}

# The master the first sentinel that answers names, as "host port", skipping node $1's; nothing if none does.
sentinel_master() {
  i=0
  while [ "$i" -lt "$(node_count)" ]; do
    if [ "$i" != "$1" ]; then
      answer=$(REDISCLI_AUTH=$REDIS_PASSWORD timeout 3 redis-cli -h "$(field "$i" 1)" -p "$(field "$i" 3)" --raw \
        sentinel get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | tr '\n' ' ') || answer=
      # shellcheck disable=SC2086
      set -- "$1" $answer
      if [ $# -eq 3 ]; then
        case $3 in
          '' | *[!0-9]*) ;;
          *) echo "$2 $3"; return ;;
        esac
      fi
      set -- "$1"
    fi
    i=$((i + 1))
  done
}

# "host port" of the master, asking every sentinel but node $1's.
current_master() {
  master=$(sentinel_master "$1")
  [ -n "$master" ] || master="$(field 0 1) $(field 0 2)"
  echo "$master"
}

host=$(field "$ordinal" 1)
mkdir -p "$CONFIG_DIR"
case $mode in
  redis)
    port=$(field "$ordinal" 2)
    # Its own sentinel too: when only this container restarts, that one still knows the set.
    master=$(current_master none)
    mhost=${master% *} mport=${master#* }
    conf=$CONFIG_DIR/redis.conf
    {
      line "port $port"
      line "dir $(quoted "$DATA_DIR")"
      line "requirepass $(quoted "$REDIS_PASSWORD")"
      line "masterauth $(quoted "$REDIS_PASSWORD")"
      line "replica-announce-ip $host"
      line "replica-announce-port $port"
      if [ "$mhost" != "$host" ] || [ "$mport" != "$port" ]; then line "replicaof $mhost $mport"; fi
    } >"$conf"
    echo "redis $POD_NAME: master $mhost:$mport"
    exec redis-server "$conf" "$@"
    ;;
  sentinel)
    port=$(field "$ordinal" 3)
    master=$(current_master "$ordinal")
    mhost=${master% *} mport=${master#* }
    # Sentinel resolves the names in its config as it reads it: wait until the master's resolves.
    tries=0
    until getent hosts "$mhost" >/dev/null; do
      tries=$((tries + 1))
      if [ "$tries" -ge 120 ]; then
        echo "sentinel $POD_NAME: $mhost does not resolve" >&2
        exit 1
      fi
      sleep 1
    done
    conf=$CONFIG_DIR/sentinel.conf
    {
      line "port $port"
      line "dir $(quoted "$CONFIG_DIR")"
      # The same id at every start: the other sentinels know it again instead of counting a new one.
      line "sentinel myid $(printf '%s' "$POD_NAME" | sha1sum | cut -c1-40)"
      line "sentinel resolve-hostnames yes"
      line "sentinel announce-hostnames yes"
      line "sentinel announce-ip $host"
      line "sentinel announce-port $port"
      line "sentinel monitor $SENTINEL_MASTER $mhost $mport $SENTINEL_QUORUM"
      line "sentinel auth-pass $SENTINEL_MASTER $(quoted "$REDIS_PASSWORD")"
      line "sentinel down-after-milliseconds $SENTINEL_MASTER $SENTINEL_DOWN_AFTER_MS"
      line "sentinel failover-timeout $SENTINEL_MASTER $SENTINEL_FAILOVER_TIMEOUT_MS"
      line "sentinel parallel-syncs $SENTINEL_MASTER 1"
      line "requirepass $(quoted "$REDIS_PASSWORD")"
    } >"$conf"
    echo "sentinel $POD_NAME: master $mhost:$mport"
    exec redis-server "$conf" --sentinel "$@"
    ;;
  *)
    echo "usage: $0 redis|sentinel [redis-server arguments]" >&2
    exit 2
    ;;
esac
