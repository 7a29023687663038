#!/usr/bin/env bash
# Do announcements slow down sending? POST /postcards (with Idempotency-Key, as the web app
# sends) measured by bench/leaderboard.sh's POST phase twice on the same seeded organisation:
# without integrations, then with Slack connected (announcing every public postcard, and a
# direct message to recipients who want one) to a local stand-in answering after 20 ms.
#
#   bench/announcements.sh [sqlite|postgres] [EMPLOYEES] [POSTCARDS]   (default postgres 2000 50000)
#
# BIN, DURATION, REUSE as for bench/leaderboard.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=${1:-postgres}
EMPLOYEES=${2:-2000}
POSTCARDS=${3:-50000}
SLACK_PORT=18081

echo "== without integrations"
ONLY_POST=1 bash "$ROOT/bench/leaderboard.sh" "$BACKEND" "$EMPLOYEES" "$POSTCARDS" | grep -E "POST /postcards|CPU per send|Non-2xx"

python3 "$ROOT/bench/slack_standin.py" $SLACK_PORT &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT
sleep 0.5
echo "== with Slack connected (every public postcard announced, recipients sent a direct message)"
export CHAMPION__SLACK__SIGNING_SECRET=bench-signing-secret CHAMPION__SLACK__BOT_TOKEN=xoxb-bench \
  CHAMPION__SLACK__ANNOUNCE_CHANNEL=C-BENCH CHAMPION__SLACK__API_BASE_URL=http://127.0.0.1:$SLACK_PORT
REUSE=1 ONLY_POST=1 bash "$ROOT/bench/leaderboard.sh" "$BACKEND" "$EMPLOYEES" "$POSTCARDS" | grep -E "POST /postcards|CPU per send|Non-2xx"
echo "   announcements Slack had received when the server stopped: $(curl -s http://127.0.0.1:$SLACK_PORT/count)"
