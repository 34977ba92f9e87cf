#!/usr/bin/env bash
# Lighthouse scores of the portal, on Lighthouse's mobile preset with Debian's Chromium: the
# sign-in page, and an organization's members page signed in as its ADMIN (50 members). Starts a
# release server of its own on a fresh SQLite file and prints performance and accessibility.
#
# Lighthouse (npm, pinned at 12.2.3; about 110 MB) is installed on first use into
# .tools/lighthouse, from the npm registry. Needs the built portal and release binary:
#   scripts/build-portal.sh && cargo build --release --bin steward && scripts/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LIGHTHOUSE_VERSION=12.2.3
PORT=${PORT:-18180}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ "$(cat .tools/lighthouse/version 2>/dev/null || true)" != "$LIGHTHOUSE_VERSION" ]; then
  echo "==> installing lighthouse $LIGHTHOUSE_VERSION into .tools/lighthouse"
  mkdir -p .tools/lighthouse
  npm install --prefix .tools/lighthouse --no-audit --no-fund --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION"
  echo "$LIGHTHOUSE_VERSION" > .tools/lighthouse/version
fi

export STEWARD_DATABASE_URL="sqlite://$WORK/steward.db?mode=rwc"
export STEWARD_BIND="127.0.0.1:$PORT"
export STEWARD_PUBLIC_URL="$URL"
export RUST_LOG=warn
PASSWORD='violet-anchor-tundra-obelisk-41'
target/release/steward create-admin --email root@example.com --password "$PASSWORD" > /dev/null
target/release/steward serve > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "$URL/healthz" > /dev/null && break; sleep 0.1; done

# GraphQL as `$TOKEN`; prints the answer.
gql() {
  curl -sf "$URL/graphql" -H 'Content-Type: application/json' ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
    -c "$WORK/cookies" -d "$1"
}
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

TOKEN=$(gql "{\"query\":\"mutation { login(email: \\\"root@example.com\\\", password: \\\"$PASSWORD\\\") { accessToken } }\"}" \
  | field "['data']['login']['accessToken']")
ORG=$(gql '{"query":"mutation { createOrganization(input: { slug: \"acme\", name: \"Acme\", domains: [\"acme.test\"] }) { id } }"}' \
  | field "['data']['createOrganization']['id']")
for n in $(seq 1 50); do
  gql "{\"query\":\"mutation(\$o: ID!) { createUser(input: { orgId: \$o, email: \\\"member$n@acme.test\\\", name: \\\"Member $n\\\", sendInvitation: false }) { id } }\",\"variables\":{\"o\":\"$ORG\"}}" > /dev/null
done

# One Lighthouse run; prints "page  performance  accessibility".
run() {
  local name=$1 url=$2 headers=${3:-}
  .tools/lighthouse/node_modules/.bin/lighthouse "$url" --quiet \
    --only-categories=performance,accessibility --output=json --output-path="$WORK/$name.json" \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
    ${headers:+--extra-headers="$headers"} > "$WORK/$name.log" 2>&1 || { tail -20 "$WORK/$name.log" >&2; return 1; }
  python3 - "$WORK/$name.json" "$name" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
categories = report["categories"]
score = lambda name: round(categories[name]["score"] * 100)
audits = report["audits"]
# Where the page ended up: a members page that fell back to sign-in would not be what it claims.
final = report.get("finalDisplayedUrl", "").split("/", 3)[-1]
print(f"| {sys.argv[2]} (/{final}) | {score('performance')} | {score('accessibility')} | "
      f"{audits['first-contentful-paint']['displayValue']} | {audits['largest-contentful-paint']['displayValue']} | "
      f"{audits['total-blocking-time']['displayValue']} |")
PY
}

echo "Lighthouse $LIGHTHOUSE_VERSION, mobile preset (simulated slow 4G, 4x CPU slowdown), $(chromium --version)"
echo "| page | performance | accessibility | first contentful paint | largest contentful paint | total blocking time |"
echo "|---|---|---|---|---|---|"
run sign-in "$URL/login"
# Signed in the way the portal is after a reload: by its refresh cookie, which the portal trades
# for an access token on load (one run spends one refresh token).
TOKEN=""
gql "{\"query\":\"mutation { login(email: \\\"root@example.com\\\", password: \\\"$PASSWORD\\\") { accessToken } }\"}" > /dev/null
REFRESH=$(awk '$6 == "steward_refresh" { print $7 }' "$WORK/cookies")
run members "$URL/orgs/$ORG" "{\"Cookie\": \"steward_refresh=$REFRESH\"}"
