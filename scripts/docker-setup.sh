#!/usr/bin/env bash
# docker-setup.sh: make a Docker engine answer on this machine.
# Installs Debian's docker.io if dockerd is missing, starts dockerd if no
# daemon answers, and waits for `docker info`. Idempotent: where Docker already
# runs it does nothing. Needs root for the install and the start.
set -euo pipefail

log() { echo "docker-setup: $*" >&2; }

if docker info >/dev/null 2>&1; then
  log "a Docker daemon already answers"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/gameday-dockerd.log)"
  # setsid: the daemon outlives this script and is not in its process group.
  setsid nohup dockerd >/var/log/gameday-dockerd.log 2>&1 < /dev/null &
fi

for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    log "daemon ready"
    # testcontainers-go creates its own bridge network when none called
    # `bridge` exists; keep the default one in place.
    docker network inspect bridge >/dev/null 2>&1 || log "warning: no default bridge network"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 60s; see /var/log/gameday-dockerd.log"
exit 1
