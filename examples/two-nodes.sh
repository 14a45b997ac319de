#!/usr/bin/env bash
# Two nations' nodes on one machine: Japan's and Australia's, each with its own database, key,
# server and people. They are paired, Australia orders fuel from Japan across them (placed,
# submitted, accepted, delivered, received, invoiced, paid: each step a signed document sent to
# the other node), and each node reconciles the other's signed book with its own: 0 differences.
#
#   examples/two-nodes.sh [WORK_DIR]      # `make two-nodes` runs it with a fresh directory
#
# WORK_DIR (default: a new temporary directory) holds both databases, keys, logs and the book
# files; the servers are stopped when the script ends. ACSA names the acsa command to use
# (default: the one on PATH, or .venv/bin/acsa). Exits 0 when the books agree.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ACSA="${ACSA:-$(command -v acsa || echo "$HERE/../.venv/bin/acsa")}"
PYTHON="${PYTHON:-$(dirname "$ACSA")/python}"
[ -x "$PYTHON" ] || PYTHON=python3
WORK="${1:-$(mktemp -d -t acsa-two-nodes.XXXXXX)}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"   # an absolute path: sqlite:/// + a relative path lands elsewhere
export ACSA_LANG=en COLUMNS=200
unset ACSA_DATABASE_URL ACSA_SERVER ACSA_TOKEN ACSA_NODE_KEY

say() { printf '\n== %s\n' "$*"; }
json() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

JPN_DB="sqlite:///$WORK/jpn.db"     # four slashes in all: an absolute file path
AUS_DB="sqlite:///$WORK/aus.db"
JPN_PORT="${JPN_PORT:-$(free_port)}"
AUS_PORT="${AUS_PORT:-$(free_port)}"
JPN_URL="http://127.0.0.1:$JPN_PORT"
AUS_URL="http://127.0.0.1:$AUS_PORT"

PIDS=()
stop() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT

say "two databases and two node keys in $WORK"
"$ACSA" init --db "$JPN_DB" >/dev/null
"$ACSA" init --db "$AUS_DB" >/dev/null
JPN_KEY="$("$ACSA" node init --nation JPN --key-file "$WORK/jpn.key" --db "$JPN_DB" --json | json 'd["public_key"]')"
AUS_KEY="$("$ACSA" node init --nation AUS --key-file "$WORK/aus.key" --db "$AUS_DB" --json | json 'd["public_key"]')"
echo "JPN $JPN_KEY"
echo "AUS $AUS_KEY"

say "each node registers the other (check the fingerprints by telephone in real life)"
"$ACSA" partners add AUS --url "$AUS_URL" --key "$AUS_KEY" --db "$JPN_DB" --actor jpn-admin >/dev/null
"$ACSA" partners add JPN --url "$JPN_URL" --key "$JPN_KEY" --db "$AUS_DB" --actor aus-admin >/dev/null

say "people on each node, and a token each for the command line"
"$ACSA" users add aus-ops --nation AUS --role requester,logistics,finance,auditor --db "$AUS_DB" >/dev/null
"$ACSA" users add jpn-ops --nation JPN --role approver,logistics,finance,auditor --db "$JPN_DB" >/dev/null
AUS_TOKEN="$("$ACSA" tokens new aus-ops --expires-days 1 --db "$AUS_DB" --json | json 'd["token"]')"
JPN_TOKEN="$("$ACSA" tokens new jpn-ops --expires-days 1 --db "$JPN_DB" --json | json 'd["token"]')"

say "two servers: JPN on $JPN_URL, AUS on $AUS_URL"
ACSA_NODE_KEY="$WORK/jpn.key" "$ACSA" serve --db "$JPN_DB" --host 127.0.0.1 --port "$JPN_PORT" \
  >"$WORK/serve-jpn.log" 2>&1 &
PIDS+=($!)
ACSA_NODE_KEY="$WORK/aus.key" "$ACSA" serve --db "$AUS_DB" --host 127.0.0.1 --port "$AUS_PORT" \
  >"$WORK/serve-aus.log" 2>&1 &
PIDS+=($!)

up() { "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/api/v1/ping', timeout=2)" "$1" 2>/dev/null; }
for url in "$JPN_URL" "$AUS_URL"; do
  for _ in $(seq 1 120); do up "$url" && break; sleep 0.25; done
  up "$url" || { echo "the server at $url did not start; see $WORK/serve-*.log" >&2; exit 1; }
done

aus() { "$ACSA" --server "$AUS_URL" --token "$AUS_TOKEN" "$@"; }
jpn() { "$ACSA" --server "$JPN_URL" --token "$JPN_TOKEN" "$@"; }

# The id JPN's node gave the order whose uid is $1, once it has arrived there in state $2.
arrived() {
  local uid="$1" status="$2" found=""
  for _ in $(seq 1 120); do
    found="$(jpn orders list --json | json "next((str(o['id']) for o in d if o['uid'] == '$uid' and o['status'] == '$status'), '')")"
    [ -n "$found" ] && { echo "$found"; return 0; }
    sleep 0.25
  done
  echo "the order $uid never reached '$status' on JPN's node; see $WORK/serve-*.log" >&2
  return 1
}
# Wait until AUS's node shows the order $1 in state $2.
reached() {
  for _ in $(seq 1 120); do
    [ "$(aus orders show "$1" --json | json 'd["status"]')" = "$2" ] && return 0
    sleep 0.25
  done
  echo "order $1 never reached '$2' on AUS's node" >&2
  return 1
}

say "AUS orders fuel from JPN under JPN-AUS and submits it"
cat >"$WORK/order.json" <<'JSON'
{
  "agreement": "JPN-AUS", "requester": "AUS", "supplier": "JPN",
  "activity": "exercise", "settlement": "cash", "order_date": "2026-10-01",
  "needed_by": "2026-10-05", "location": "RAAF Base Darwin", "operation": "Exercise Pitch Black",
  "cash_reason": "Fuel is consumed in the exercise; returning it at Darwin is difficult",
  "lines": [{"category": "fuel", "description": "JP-8 aviation turbine fuel",
             "nsn": "9130-01-031-5816", "quantity": "12000", "unit": "L",
             "unit_price": "152", "currency": "JPY"}]
}
JSON
PLACED="$(aus orders new --file "$WORK/order.json" --json)"
AUS_ID="$(echo "$PLACED" | json 'd["id"]')"
UID_="$(echo "$PLACED" | json 'd["uid"]')"
aus orders submit "$AUS_ID" >/dev/null
echo "AUS order $AUS_ID, uid $UID_"

say "JPN accepts and delivers"
JPN_ID="$(arrived "$UID_" submitted)"
echo "the same order is JPN's order $JPN_ID"
jpn orders accept "$JPN_ID" >/dev/null
jpn orders deliver "$JPN_ID" >/dev/null
reached "$AUS_ID" delivered

say "AUS receives; JPN invoices; AUS pays"
aus orders receive "$AUS_ID" >/dev/null
arrived "$UID_" received >/dev/null
INVOICE="$(jpn invoices issue "$JPN_ID" --json)"
NUMBER="$(echo "$INVOICE" | json 'd["number"]')"
AMOUNT="$(echo "$INVOICE" | json 'd["amount"]')"
for _ in $(seq 1 120); do
  aus invoices list --json | json "any(i['number'] == '$NUMBER' for i in d)" | grep -q True && break
  sleep 0.25
done
aus payments record "$NUMBER" --amount "$AMOUNT" --date "$(date -u +%F)" --reference TT-1 >/dev/null
for _ in $(seq 1 120); do
  jpn invoices list --json | json "any(i['number'] == '$NUMBER' and i['status'] == 'paid' for i in d)" \
    | grep -q True && break
  sleep 0.25
done
echo "invoice $NUMBER for $AMOUNT JPY paid"

say "each node exports its signed book and reconciles the other's"
"$ACSA" books export --partner AUS --out "$WORK/book-JPN-AUS" --db "$JPN_DB" >/dev/null
"$ACSA" books export --partner JPN --out "$WORK/book-AUS-JPN" --db "$AUS_DB" >/dev/null
"$ACSA" books reconcile "$WORK/book-JPN-AUS.json" --db "$AUS_DB"
"$ACSA" books reconcile "$WORK/book-AUS-JPN.json" --db "$JPN_DB"
echo
echo "two nodes, one order, two books that agree ($WORK)"
