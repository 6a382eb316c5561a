#!/usr/bin/env bash
# Install (when absent) and start a Docker engine, plus debootstrap (which makes the local base
# images when no image registry is reachable: `headrace image base`). Runs as root; no systemd on
# these machines, so dockerd runs in the background; safe to run again.
set -euo pipefail
log=${HEADRACE_DOCKERD_LOG:-/var/log/headrace-dockerd.log}

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: ${log})"
  nohup dockerd >"${log}" 2>&1 &
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  if ! docker info >/dev/null 2>&1; then
    echo "dockerd did not start within 60 s; its log (${log}) ends with:" >&2
    tail -n 20 "${log}" >&2 || true
    exit 1
  fi
fi
docker version --format 'Docker engine {{.Server.Version}} is up'
