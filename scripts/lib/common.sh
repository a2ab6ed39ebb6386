# Shared by scripts/run and scripts/test. Sourced, not executed.
# Everything here is idempotent: it installs or starts only what is missing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${ZK_STATE_DIR:-$ROOT/.zhelikit}"
mkdir -p "$STATE_DIR"

log() { printf '\033[1;34m[zhelikit]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[zhelikit]\033[0m %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

APT_UPDATED=""
apt_install() {
  # apt_install PACKAGE... : installs the Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "need Debian packages ${missing[*]} but apt-get is not available"
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  apt_install pkg-config libssl-dev ca-certificates curl gcc libc6-dev make
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (rustup) first"
}

# Demo credentials shared by the mock platform and the BFF. Generated at first run, kept in
# the state directory (git-ignored), never committed: no secret ships with the code.
ensure_demo_env() {
  local f="$STATE_DIR/demo.env"
  if [ ! -f "$f" ]; then
    local irs zzd
    irs="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    zzd="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    cat > "$f" <<ENV
ZK_ZLB_SERVICE_CODE=zhelikit-demo
ZK_IRS_ACCESS_KEY=zhelikit-demo-access-key
ZK_IRS_SECRET_KEY=$irs
ZK_MINIPROGRAM_APP_ID=zhelikit-demo-miniprogram
ZK_ZZD_APP_KEY=zhelikit-demo-zzd
ZK_ZZD_APP_SECRET=$zzd
ENV
    log "generated demo credentials in $f"
  fi
  set -a; . "$f"; set +a
}

# wait_for_http URL SECONDS : polls until URL answers 2xx, at most SECONDS.
wait_for_http() {
  local url="$1" limit="$2" i=0
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -gt $((limit * 10)) ] && return 1
    sleep 0.1
  done
}

# Node.js and npm for the mini-app side (the JS bridge, later the simulator and samples), from
# Debian when the machine has none; the packages come from the npm registry, locked.
ensure_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# Installs the mini-app packages from package-lock.json (only when it changed) and builds them.
build_miniapps() {
  ensure_node
  local stamp="$ROOT/miniapps/node_modules/.zhelikit-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/miniapps/package-lock.json" "$stamp"; then
    log "npm ci (miniapps)"
    (cd "$ROOT/miniapps" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$ROOT/miniapps/package-lock.json" "$stamp"
  fi
  log "building the mini-app packages"
  (cd "$ROOT/miniapps" && npm run --silent build) >&2
}
