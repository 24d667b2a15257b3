#!/usr/bin/env bash
# Builds the solution in Release and runs every test project, end-to-end tests included
# (they drive the built Registry.Api with real skopeo, podman and umoci).
# Ends with one plain line "N passed, N failed" for CI; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- tools the end-to-end tests (and the side-by-side benchmark) need -------------------
# postgresql, redis-server: the distributed-profile tests run local servers (Registry.AppHost.Local).
# slapd, ldap-utils: the LDAP tests run their own OpenLDAP server (slapd, slapadd) on loopback ports.
packages=(skopeo podman buildah umoci docker-registry postgresql redis-server slapd ldap-utils chromium)
if [ "$(id -u)" -ne 0 ]; then packages+=(uidmap); fi # rootless podman maps ids through newuidmap
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Installing slapd may start the system's own server (port 389, its default config): the tests
  # run theirs, so stop it.
  if [[ " ${missing[*]} " == *" slapd "* ]] && pgrep -x slapd >/dev/null; then
    as_root service slapd stop >/dev/null 2>&1 || true
  fi
fi

# Azurite, the Azure Blob Storage emulator the Azure driver's tests run against (an npm package).
if ! command -v azurite-blob >/dev/null; then
  if ! command -v npm >/dev/null; then
    echo "==> installing: npm"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  echo "==> installing: azurite (npm)"
  as_root npm install -g --silent azurite >/dev/null
fi

command -v dotnet >/dev/null || { echo "dotnet SDK not found on PATH" >&2; exit 1; }

# --- build --------------------------------------------------------------------------------
echo "==> dotnet build Registry.sln -c Release"
dotnet build Registry.sln -c Release

# --- test ---------------------------------------------------------------------------------
results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "==> dotnet test Registry.sln -c Release"
status=0
dotnet test Registry.sln -c Release --no-build \
  --logger "console;verbosity=normal" \
  --logger "trx" \
  --results-directory "$results" \
  --blame-hang-timeout 15m --blame-hang-dump-type none \
  || status=$?

# --- totals from the TRX files (one per test project) ---------------------------------------
passed=0 failed=0 skipped=0 found=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  found=1
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total="$(count total)" executed="$(count executed)"
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  skipped=$((skipped + total - executed))
done

if [ "$found" -eq 0 ]; then
  echo "no test results were written to $results" >&2
  [ "$status" -ne 0 ] || status=1
fi
if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then status=1; fi

echo
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
