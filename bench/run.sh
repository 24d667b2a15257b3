#!/usr/bin/env bash
# Side-by-side benchmark: our registry (Release build) vs Debian's docker-registry (distribution 2.8.2).
# Usage: bench/run.sh [--quick] [--profile embedded|distributed|all] [--size-mb N] [--small-count N] [--duration S] [...]
#        (see bench/README.md)
# Env: SKIP_BUILD=1 reuses existing builds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

need() { # need BINARY DEBIAN_PACKAGE: install it when we can (root + apt), else say how
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: installing $2" >&2
    { apt-get install -y -qq "$2" || { apt-get update -qq && apt-get install -y -qq "$2"; }; } >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "run.sh: $1 not found: apt-get install $2" >&2; return 1; }
}

need docker-registry docker-registry
need wrk wrk || echo "run.sh: manifest GETs will use the in-process HttpClient instead of wrk" >&2

# The distributed profile also starts PostgreSQL, Redis and Azurite from installed binaries.
distributed=0
prev=""
for arg in "$@"; do
  case "$prev/$arg" in
    */--distributed | --profile/distributed | --profile/all) distributed=1 ;;
  esac
  prev="$arg"
done
if [ "$distributed" = 1 ]; then
  pg() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1; }
  pg || need pg_ctlcluster postgresql || true # Debian's postgres binary is not on PATH: check the directory again
  pg || { echo "run.sh: PostgreSQL not found: apt-get install postgresql" >&2; exit 1; }
  need redis-server redis-server
  if ! command -v azurite-blob >/dev/null 2>&1; then
    need npm npm
    if [ "$(id -u)" = 0 ]; then echo "run.sh: installing azurite (npm)" >&2; npm install -g --silent azurite >/dev/null; fi
    command -v azurite-blob >/dev/null 2>&1 || { echo "run.sh: azurite-blob not found: npm install -g azurite" >&2; exit 1; }
  fi
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  dotnet build "$root/Registry.Api" -c Release -nologo -v quiet
  dotnet build "$here/Registry.Bench" -c Release -nologo -v quiet # also builds AppHost (its PostgreSQL/Redis/Azurite launchers)
fi

exec dotnet "$here/Registry.Bench/bin/Release/net10.0/Registry.Bench.dll" \
  --api-dll "$root/Registry.Api/bin/Release/net10.0/Registry.Api.dll" "$@"
