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

# Installing and starting the engine needs root; use sudo where it exists.
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    log "no Docker daemon answers and this is not root (no sudo): run this script as root, or use --backend process"
    exit 1
  fi
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/gameday-dockerd.log)"
  # setsid: the daemon outlives this script and is not in its process group.
  $SUDO sh -c 'setsid nohup dockerd >/var/log/gameday-dockerd.log 2>&1 </dev/null &'
fi

for _ in $(seq 1 120); do
  if $SUDO docker info >/dev/null 2>&1; then
    log "daemon ready"
    if ! docker info >/dev/null 2>&1; then
      log "warning: the daemon answers root only; add $(id -un) to the docker group (and log in again) so gameday can reach it"
    fi
    # testcontainers-go creates its own bridge network when none called
    # `bridge` exists; keep the default one in place.
    docker network inspect bridge >/dev/null 2>&1 || log "warning: no default bridge network"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 60s; see /var/log/gameday-dockerd.log"
exit 1
