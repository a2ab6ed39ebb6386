# The mock platform's push providers for a BFF about to start: FCM's demo service-account key
# file (as downloaded from the Firebase console), Push Kit's demo app (Android phones without
# Google services) and APNs' demo team key (a .p8, as from the developer account), exported as
# the BFF's ZK_FCM_* / ZK_HMS_* / ZK_APNS_* settings. Sourced after common.sh.
#
#   use_mock_push <platform host:port> <directory for the key files>
use_mock_push() {
  local platform="$1" dir="$2" hms apns
  curl -fsS "http://$platform/__admin/fcm/service-account" > "$dir/fcm-service-account.json" \
    || die "the mock platform gave no FCM service account"
  export ZK_FCM_SERVICE_ACCOUNT_FILE="$dir/fcm-service-account.json" ZK_FCM_URL="http://$platform/fcm"
  hms="$(curl -fsS "http://$platform/__admin/hms/credentials")" || die "the mock platform gave no Push Kit credentials"
  export ZK_HMS_APP_ID="$(printf '%s' "$hms" | sed -E 's/.*"client_id":"([^"]*)".*/\1/')"
  export ZK_HMS_CLIENT_SECRET="$(printf '%s' "$hms" | sed -E 's/.*"client_secret":"([^"]*)".*/\1/')"
  export ZK_HMS_TOKEN_URL="http://$platform/huawei/oauth2/v3/token" ZK_HMS_URL="http://$platform/hms"
  curl -fsS "http://$platform/__admin/apns/key.p8" > "$dir/apns-key.p8" || die "the mock platform gave no APNs key"
  apns="$(curl -fsS "http://$platform/__admin/apns/key")" || die "the mock platform gave no APNs key"
  export ZK_APNS_KEY_FILE="$dir/apns-key.p8" ZK_APNS_URL="http://$platform/apns"
  export ZK_APNS_KEY_ID="$(printf '%s' "$apns" | sed -E 's/.*"key_id":"([^"]*)".*/\1/')"
  export ZK_APNS_TEAM_ID="$(printf '%s' "$apns" | sed -E 's/.*"team_id":"([^"]*)".*/\1/')"
  export ZK_APNS_TOPIC="$(printf '%s' "$apns" | sed -E 's/.*"topic":"([^"]*)".*/\1/')"
}
