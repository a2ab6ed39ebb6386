# A live mock platform + BFF for tests that run outside cargo (the Kotlin bindings' tests).
# Sourced after common.sh. Binaries must be built (target/debug). Ports are free ones chosen at
# start; state lives in a temporary directory removed at stop.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

LIVE_PIDS=()
LIVE_DIR=""

stop_live_stack() {
  for p in "${LIVE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${LIVE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  LIVE_PIDS=()
  [ -n "$LIVE_DIR" ] && rm -rf "$LIVE_DIR"
  LIVE_DIR=""
}

start_live_stack() {
  LIVE_DIR="$(mktemp -d /tmp/zk-live-XXXXXX)"
  local platform="127.0.0.1:$(free_port)" bff="127.0.0.1:$(free_port)"
  local secret; secret="$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
  export ZK_ZLB_SERVICE_CODE="zhelikit-live-test" ZK_ZLB_CALLBACK_URLS="http://127.0.0.1/callback/"
  export ZK_IRS_ACCESS_KEY="zhelikit-live-test-ak" ZK_IRS_SECRET_KEY="$secret"
  export ZK_MINIPROGRAM_APP_ID="zhelikit-live-test-mp" ZK_ZZD_APP_KEY="zhelikit-live-test-zzd" ZK_ZZD_APP_SECRET="$secret-zzd"
  MOCK_PLATFORM_ADDR="$platform" ZK_BFF_URL="http://$bff" RUST_LOG=warn "$ROOT/target/debug/mock-platform" >"$LIVE_DIR/mock.log" 2>&1 &
  LIVE_PIDS+=($!)
  wait_for_http "http://$platform/__admin/health" 30 || { cat "$LIVE_DIR/mock.log" >&2; die "live mock platform did not start"; }
  . "$ROOT/scripts/lib/push.sh"
  use_mock_push "$platform" "$LIVE_DIR"
  # Access tokens of three seconds: the Kotlin tests let one expire.
  BFF_ADDR="$bff" ZK_PLATFORM_URL="http://$platform" DATABASE_URL="sqlite:$LIVE_DIR/bff.db" RUST_LOG="${ZK_LIVE_LOG:-warn}" ZK_ACCESS_TTL_SECS=3 ZK_DEV_CLOCK=1 \
    "$ROOT/target/debug/bff-server" >"$LIVE_DIR/bff.log" 2>&1 &
  LIVE_PIDS+=($!)
  wait_for_http "http://$bff/readyz" 60 || { cat "$LIVE_DIR/bff.log" >&2; die "live BFF did not start"; }
  export ZK_TEST_BFF_URL="http://$bff" ZK_TEST_PLATFORM_URL="http://$platform"
  export ZK_TEST_SERVICE_CODE="$ZK_ZLB_SERVICE_CODE" ZK_TEST_CALLBACK="http://127.0.0.1/callback/kotlin" ZK_TEST_ZZD_APP_KEY="$ZK_ZZD_APP_KEY"
}

# The mini-app simulator on the live stack, for the browser tests. Needs start_live_stack first
# and the simulator built (target/debug/zhelikit-simulator) and the mini-app packages built.
start_live_simulator() {
  local simulator="127.0.0.1:$(free_port)" apps="127.0.0.1:$(free_port)"
  SIMULATOR_ADDR="$simulator" SIMULATOR_APPS_ADDR="$apps" ZK_BFF_URL="$ZK_TEST_BFF_URL" ZK_PLATFORM_URL="$ZK_TEST_PLATFORM_URL" \
    ZK_MINIAPPS_DIR="$ROOT/miniapps" RUST_LOG=warn "$ROOT/target/debug/zhelikit-simulator" >"$LIVE_DIR/simulator.log" 2>&1 &
  LIVE_PIDS+=($!)
  wait_for_http "http://$simulator/api/miniapps" 30 || { cat "$LIVE_DIR/simulator.log" >&2; die "live simulator did not start"; }
  export ZK_TEST_SIMULATOR_URL="http://$simulator"
}
