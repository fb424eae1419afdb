#!/usr/bin/env bash
# Installs what is missing (Debian packages when run as root, npm packages from the lockfile),
# then runs every check: lint, typecheck, dashboards drift check, build, unit + contract + integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Servers the tests start for real (never mocks): Mosquitto, InfluxDB 1.x, VictoriaMetrics; openssl makes TLS test certs.
# chromium runs the web console's browser tests (puppeteer-core drives it; no browser download); fonts-noto-cjk draws its Chinese.
packages=(mosquitto influxdb victoria-metrics openssl chromium fonts-noto-cjk)
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
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json || status=$?
# One plain closing line: 'N passed, N failed, N skipped'.
node -e '
  const fs = require("node:fs")
  if (!fs.existsSync(".tmp/vitest.json")) { console.log("tests: 0 passed, 1 failed"); process.exit(0) }
  const r = JSON.parse(fs.readFileSync(".tmp/vitest.json", "utf8"))
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)
'
exit $status
