#!/usr/bin/env bash
# Installs what the platform and its tests need on a Debian/Ubuntu machine that has the .NET SDK:
# PostgreSQL 15 server binaries and RabbitMQ. Sourced by run.sh and test.sh; does nothing when all is there.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "error: need root (or sudo) to install: $*" >&2; exit 1
  fi
}

ensure_prerequisites() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK is required (dotnet not found on PATH)." >&2
    exit 1
  fi

  local missing=()
  [ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} (apt-get) ..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi

  # Debian starts the packaged servers where an init system runs; the platform runs its own private instances
  # instead, so the system-wide ones are not needed (and on machines without systemd they never started).
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# The portal's end-to-end tests drive Debian's Chromium through Playwright (which never downloads a browser here), and
# a CJK font makes their screenshots readable. Only the test command needs them.
ensure_test_browser() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} (apt-get) ..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
}

# deploy/ is rendered with `kubectl kustomize` in the tests (offline: nothing is applied anywhere). The machine image
# usually has kubectl; where it does not, Debian's kubernetes-client brings one (kubectl 1.20, kustomize 2.0: the
# kustomizations keep to what it reads). Only the test command needs it.
ensure_kubectl() {
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "Installing kubernetes-client (apt-get) ..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
  fi
}
