#!/bin/sh
# Install the real components the integration tests and the benchmark start:
#   notary-server + notary (Debian package `notary`), the distribution registry
#   (`docker-registry`, binary /usr/bin/docker-registry), skopeo and openssl.
#
# Idempotent: when every tool is already present it does nothing.
# Otherwise it needs root and apt-get (Debian/Ubuntu). The docker-registry package
# starts a system service on *:5000 with htpasswd auth when installed; we block it
# with a temporary /usr/sbin/policy-rc.d (exit 101) and stop/disable it if it is
# running anyway. The tests start their own registry on 127.0.0.1.
set -eu

log() { printf '[install-system-deps] %s\n' "$*"; }

have_all() {
  command -v notary-server >/dev/null 2>&1 &&
    command -v notary >/dev/null 2>&1 &&
    [ -x /usr/bin/docker-registry ] &&
    command -v skopeo >/dev/null 2>&1 &&
    command -v openssl >/dev/null 2>&1
}

stop_registry_service() {
  # Stop the packaged service if something brought it up (it listens on :5000).
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    if systemctl is-active --quiet docker-registry 2>/dev/null; then
      log "stopping the docker-registry system service"
      systemctl stop docker-registry || true
    fi
    if systemctl is-enabled --quiet docker-registry 2>/dev/null; then
      log "disabling the docker-registry system service"
      systemctl disable docker-registry || true
    fi
  elif [ -x /etc/init.d/docker-registry ]; then
    if /etc/init.d/docker-registry status >/dev/null 2>&1; then
      log "stopping the docker-registry init.d service"
      /etc/init.d/docker-registry stop || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
      update-rc.d docker-registry disable >/dev/null 2>&1 || true
    fi
  fi
}

if have_all; then
  log "notary-server, notary, docker-registry, skopeo and openssl are present: nothing to do"
  stop_registry_service
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "missing tools; re-run as root (sudo $0) to install: notary docker-registry skopeo openssl" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "missing tools and no apt-get: install notary (0.7), docker-registry (distribution 2.8), skopeo and openssl by hand" >&2
  exit 1
fi

POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
cleanup() {
  if [ "$CREATED_POLICY" -eq 1 ]; then
    rm -f "$POLICY"
    log "removed temporary $POLICY"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -e "$POLICY" ]; then
  log "$POLICY already exists; leaving it as it is"
else
  printf '#!/bin/sh\n# temporary: keep package services from starting (install-system-deps.sh)\nexit 101\n' >"$POLICY"
  chmod 0755 "$POLICY"
  CREATED_POLICY=1
  log "created temporary $POLICY (exit 101) so docker-registry's service does not start"
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update
log "apt-get install notary docker-registry skopeo openssl"
apt-get install -y --no-install-recommends notary docker-registry skopeo openssl

stop_registry_service

if have_all; then
  log "done: $(command -v notary-server) $(command -v notary) /usr/bin/docker-registry $(command -v skopeo)"
else
  log "installation finished but a tool is still missing" >&2
  exit 1
fi
