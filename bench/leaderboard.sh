#!/usr/bin/env bash
# Leaderboard benchmark: seeds an organisation, starts the release build and drives it with
# wrk (Debian package `wrk`), printing requests/s, p50 and p99 for each kind of read, the
# same with If-None-Match, and POST /postcards throughput.
#
#   bench/leaderboard.sh [sqlite|postgres] [EMPLOYEES] [POSTCARDS]     (default sqlite 20000 1000000)
#
# Seeded databases are kept in bench/out (REUSE=1 skips seeding when one exists); a run
# takes a few minutes. DURATION (seconds per measurement, default 10) and PG_URL
# (default postgres://postgres@127.0.0.1:5432) and PG_OPTS (default ?sslmode=disable) can be set; SEED_ONLY=1 stops after seeding,
# ONLY_POST=1 measures only POST /postcards. Sends carry an Idempotency-Key, as the web app's
# do (IDEMPOTENCY_KEYS=0 leaves it out).
# Every run measures a fresh copy of the seeded database (NAME_run), so runs are repeatable:
# the POST phase adds ~10,000 postcards this week from 512 senders with the sending limits
# raised, and on a reused database each run would find those senders' weeks fuller (dearer
# allowance counts and pair histories than any real week, where the allowance bounds them).
set -euo pipefail

BACKEND=${1:-sqlite}
EMPLOYEES=${2:-20000}
POSTCARDS=${3:-1000000}
DURATION=${DURATION:-10}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
# Loopback needs no TLS; libpq would otherwise negotiate it (Debian's server offers it) and
# encrypt every round trip, about a tenth of the CPU of a send here.
PG_OPTS=${PG_OPTS-?sslmode=disable}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
# BIN=path/to/champion measures that binary instead of building the checkout.
BIN=${BIN:-}
PORT=18080
BASE=http://127.0.0.1:$PORT
mkdir -p "$OUT"
export BENCH_OUT=$OUT CHAMPION_CONFIG_DIR=$OUT CHAMPION__LOG__LEVEL=warn CHAMPION__SERVER__PORT=$PORT
# No SMTP server here: sends still queue their notification emails (that cost is measured),
# but no worker tries to deliver them, and the digest clock does not run during measurements.
export CHAMPION__SMTP__WORKER=false CHAMPION__DIGEST__ENABLED=false

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/champion
fi

NAME=bench_${EMPLOYEES}_${POSTCARDS}
# Per backend: start afresh, run one SQL query in a named database (rows on stdout, one
# column), copy the seed for a run, tidy up after seeding.
case $BACKEND in
  sqlite) SEED_URL=sqlite://$OUT/$NAME.db RUN_URL=sqlite://$OUT/${NAME}_run.db
          FRESH() { rm -f "$OUT/$NAME.db"*; }
          QUERY_IN() { python3 -c 'import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]' "$OUT/$1.db" "$2"; }
          # The backup API copies a consistent database whatever its write-ahead log holds.
          COPY() { rm -f "$OUT/${NAME}_run.db"*; python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$OUT/$NAME.db" "$OUT/${NAME}_run.db"; }
          TIDY() { :; } ;;
  postgres) SEED_URL=$PG_URL/$NAME$PG_OPTS RUN_URL=$PG_URL/${NAME}_run$PG_OPTS
          FRESH() { psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" -c "CREATE DATABASE $NAME"; }
          QUERY_IN() { psql "$PG_URL/$1" -qtAc "$2"; }
          # A copy of the seeded database (its statistics and visibility map too); from
          # Postgres 15 on, file by file rather than through the write-ahead log.
          COPY() {
            local strategy=""
            [ "$(psql "$PG_URL/postgres" -qtAc "SHOW server_version_num")" -ge 150000 ] && strategy="STRATEGY FILE_COPY"
            psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS ${NAME}_run WITH (FORCE)" \
              -c "CREATE DATABASE ${NAME}_run TEMPLATE $NAME $strategy"
          }
          # This machine's Postgres runs without autovacuum; a production one would have
          # known the seeded tables' statistics and set their visibility maps by now.
          TIDY() { psql "$PG_URL/$NAME" -qc "VACUUM (ANALYZE)"; } ;;
  *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac
# One SQL query on the seeded database, or on the copy being measured.
QUERY() { QUERY_IN "$NAME" "$1"; }
RUN_QUERY() { QUERY_IN "${NAME}_run" "$1"; }

if [ "${REUSE:-0}" = 1 ] && QUERY "SELECT 1 FROM employees LIMIT 1" 2>/dev/null | grep -q 1; then
  echo "== reusing $NAME ($BACKEND)"
else
  FRESH
  echo "== seeding $EMPLOYEES employees and $POSTCARDS postcards ($BACKEND)"
  start=$(date +%s)
  CHAMPION__DATABASE__URL=$SEED_URL "$BIN" seed --employees "$EMPLOYEES" --postcards "$POSTCARDS"
  echo "   seeded in $(( $(date +%s) - start )) s"
fi
TIDY
if [ "${SEED_ONLY:-0}" = 1 ]; then
  exit 0
fi
start=$(date +%s)
COPY
echo "   measuring a fresh copy, ${NAME}_run (copied in $(( $(date +%s) - start )) s)"
export CHAMPION__DATABASE__URL=$RUN_URL

SERVER=
serve() {  # serve ANSWERS [extra env...]: ANSWERS = 0 recomputes every read (no answer cache)
  stop
  # Warnings only, and the line saying the board memory is warmed. Boards keep the default
  # freshness (server.leaderboard_cache_ms), as in production.
  env CHAMPION__SERVER__ANSWER_CACHE_ENTRIES="$1" CHAMPION__LOG__LEVEL=warn,champion::startup=info "${@:2}" \
    "$BIN" serve > "$OUT/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1
}
# Waits until the server has read recent ended buckets into memory (see board_memory_warm_days).
warmed() {
  for _ in $(seq 1200); do grep -q "board memory" "$OUT/server.log" && return; sleep 0.1; done
  echo "the board memory was not warmed within 120 s" >&2; exit 1
}
stop() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=; fi; }
trap stop EXIT

TOKEN=$("$BIN" token --email person1@bench.example)
printf "%-44s %10s %9s %9s\n" "measurement" "req/s" "p50" "p99"
measure() {  # measure LABEL CONNECTIONS PATH [HEADER [WRK_SCRIPT]]
  local label=$1 conns=$2 path=$3 extra=()
  [ -n "${4:-}" ] && extra+=(-H "$4")
  [ -n "${5:-}" ] && extra+=(-s "$5")
  local out
  out=$(wrk -t2 -c"$conns" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "${extra[@]}" "$BASE$path")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; fi
  printf "%-44s %10s %9s %9s\n" "$label" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}

# Custom periods end today (the seed's history does too) and add up a tiling of buckets.
TODAY=$(date -u +%F)
READS=(
  "weekly|/api/v1/leaderboard?period=week"
  "monthly|/api/v1/leaderboard?period=month"
  "all-time|/api/v1/leaderboard?period=all"
  "weekly, one department|/api/v1/leaderboard?period=week&department=Department%20007"
  "monthly, one behaviour|/api/v1/leaderboard?period=month&behaviour=small-win"
  "departments board, monthly|/api/v1/leaderboard/departments?period=month"
  "custom, last 28 days|/api/v1/leaderboard?period=custom&from=$(date -u -d '27 days ago' +%F)&to=$TODAY"
  "custom, last 365 days|/api/v1/leaderboard?period=custom&from=$(date -u -d '364 days ago' +%F)&to=$TODAY"
  "custom, 365 days, a page deep in the board|/api/v1/leaderboard?period=custom&from=$(date -u -d '364 days ago' +%F)&to=$TODAY&offset=$((EMPLOYEES - 100))"
)

if [ "${ONLY_POST:-0}" != 1 ]; then
echo "-- custom periods, the first read after a start: cold (nothing in memory), then after"
echo "   the server has read the last 400 days' ended buckets in the background"
seconds() { curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$BASE$1"; }
for r in "${READS[@]}"; do
  case $r in custom*)
    serve 0 CHAMPION__SERVER__BOARD_MEMORY_WARM_DAYS=0
    printf "%-44s first %6.3f s, then %6.3f s\n" "${r%%|*}, cold" "$(seconds "${r#*|}")" "$(seconds "${r#*|}")"
    serve 0
    warmed
    printf "%-44s first %6.3f s, then %6.3f s\n" "${r%%|*}, warmed" "$(seconds "${r#*|}")" "$(seconds "${r#*|}")" ;;
  esac
done
echo "   warming: $(sed 's/\x1b\[[0-9;]*m//g' "$OUT/server.log" | grep -o 'buckets=.*')"

echo "-- recomputed on every request (cache off), 4 connections, after warming; the fixed"
echo "   custom ranges read once first (their first read is the line above)"
serve 0
warmed
for r in "${READS[@]}"; do
  case $r in custom*) seconds "${r#*|}" >/dev/null ;; esac
  measure "${r%%|*}" 4 "${r#*|}"
done
measure "custom, random ranges (bench/custom.lua)" 4 / "" "$ROOT/bench/custom.lua"

echo "-- repeated identical reads (cache on), 32 connections"
serve 4096
for r in "${READS[@]}"; do measure "${r%%|*}" 32 "${r#*|}"; done
for r in "${READS[@]}"; do
  etag=$(curl -sI -H "Authorization: Bearer $TOKEN" "$BASE${r#*|}" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
  measure "${r%%|*} + If-None-Match (304)" 32 "${r#*|}" "If-None-Match: $etag"
done
fi

if [ "${IDEMPOTENCY_KEYS:-1}" = 0 ]; then keyed="without Idempotency-Key"; else keyed="each with its own Idempotency-Key, as the web app sends"; fi
echo "-- POST /postcards, 32 connections, $keyed (allowance and pair cap raised so senders never run out)"
serve 4096 CHAMPION__RULES__WEEKLY_ALLOWANCE=100000000 CHAMPION__RULES__SAME_PAIR_PER_WEEK=100000000
# A started instance first reads recent ended buckets into memory (board_memory_warm_days),
# seconds of both cores at 1M postcards: sends are measured after that, as on an instance
# that has been up for a minute.
warmed
# 512 senders and 5,000 recipients spread over the org, so repeated runs do not pile thousands
# of postcards onto a few people (which would change the next run's boards), and so senders
# rarely wait for each other (a send holds its sender until it commits, as 1,000 sends a
# second from one company come from many people).
senders=$(seq 2 513 | sed 's/.*/person&@bench.example/')
for e in $senders; do "$BIN" token --email "$e"; done > "$OUT/tokens.txt"
RUN_QUERY "SELECT id FROM employees WHERE active AND email NOT IN ($(echo "$senders" | sed "s/.*/'&'/" | paste -sd,))
       ORDER BY random() LIMIT 5000" > "$OUT/recipients.txt"
# Busy CPU time of the whole machine (user, nice, system, irq, softirq; not idle, iowait or
# steal) per request: throughput on a shared VM moves with its neighbours, this much less.
busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
before=$(busy)
out=$(wrk -t2 -c32 -d"${DURATION}s" --latency -s "$ROOT/bench/post.lua" "$BASE")
after=$(busy)
echo "$out" | grep -q "Non-2xx" && echo "$out" | grep "Non-2xx"
printf "%-44s %10s %9s %9s\n" "POST /postcards" \
  "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
  "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
  "$(echo "$out" | awk '$1 == "99%" {print $2}')"
requests=$(echo "$out" | awk '/requests in/ {print $1}')
echo "   CPU per send (all processes, wrk included): $(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
  'BEGIN {printf "%.2f ms", 1000 * t / hz / n}')"

echo "-- recomputed (cache off), 4 connections, while ~70 sends a second arrive (2 paced"
echo "   connections): each send changes today's bucket, which this instance's memory then takes in"
serve 0 CHAMPION__RULES__WEEKLY_ALLOWANCE=100000000 CHAMPION__RULES__SAME_PAIR_PER_WEEK=100000000
warmed
POST_PAUSE_MS=20 wrk -t1 -c2 -d"$((3 * DURATION + 3))s" -s "$ROOT/bench/post.lua" "$BASE" > "$OUT/paced.txt" &
paced=$!
sleep 1
for r in "${READS[@]}"; do
  case $r in weekly\|*|custom*) measure "${r%%|*}, during sends" 4 "${r#*|}" ;; esac
done
wait $paced
echo "   sends meanwhile: $(awk '/Requests\/sec/ {print $2}' "$OUT/paced.txt")/s"
stop
"$BIN" leaderboard verify
