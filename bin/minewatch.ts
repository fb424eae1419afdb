#!/usr/bin/env node
/**
 * The minewatch command.
 *   minewatch up [--config F] [--data-dir D] [--mqtt-port N] [--http-port N] [--hj212-port N] [--simulate] [--seed N]
 *   minewatch simulate --broker mqtt://… [--config F] [--sites a,b] [--scenario S] [--seed N] [--speed X] [--duration 10m]
 *   minewatch check-config [--config F]
 *   minewatch reload [--data-dir D] [--timeout S]
 *   minewatch config export [--config F] [--data-dir D] [--out FILE]
 *   minewatch uplink status [--data-dir D] [--json]
 *   minewatch hash-secret [--for device|account|token|hj212 [--next]] [secret]   (reads stdin when no argument)
 *   minewatch export --site S --kind K --from YYYY-MM-DD --to YYYY-MM-DD --out FILE [--format csv|parquet] [--what readings|rollup-1m|rollup-1h] [--data-dir D]
 *   minewatch audit verify [--data-dir D]
 *   minewatch backup DIR [--url URL] [--token-file F]
 *   minewatch restore DIR [--data-dir D]
 */
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { loadConfig } from '../core/config.js'
import { GENERATED_SECRET_N, generateDeviceSecret, hashSecret } from '../core/secrets.js'
import { isMinewatchError } from '../core/errors.js'
import { createLogger, defaultLogFormat, type LogFormat } from '../core/log.js'
import { demoConfigFile, packageVersion } from '../core/package.js'
import { welcomeText } from './welcome.js'

const USAGE = `minewatch — mine-site telemetry: MQTT broker, ingest, store, alerts, API

Usage:
  minewatch up [options]            run broker + ingest + store + alerts + API
      --config FILE      site registry and settings (env MINEWATCH_CONFIG, default: the demo config shipped with minewatch)
      --data-dir DIR     DuckDB files, spool (env MINEWATCH_DATA_DIR, default ./data)
      --mqtt-port N      MQTT TCP port (env MINEWATCH_MQTT_PORT, default 1883)
      --http-port N      HTTP API port (env MINEWATCH_HTTP_PORT, default 8080)
      --simulate         also run every configured device as a simulator (demo)
      --seed N           simulator seed (default 1)
      --hj212-port N     HJ 212 TCP port for dust/water monitors (env MINEWATCH_HJ212_PORT, config hj212.port; off when unset)
      --log-format F     pretty (default on a terminal) or json (default otherwise; env MINEWATCH_LOG_FORMAT)
  minewatch simulate --broker URL [options]   publish simulated sites to any MQTT broker (minewatch simulate --help)
  minewatch check-config [--config FILE]      validate a config and report every problem
  minewatch reload [--data-dir DIR]           make the running minewatch re-read its config (as SIGHUP does) and print the outcome
  minewatch config export [--config FILE] [--data-dir DIR] [--out FILE]   the config with the device changes made through the API folded in (YAML)
  minewatch uplink status [--data-dir DIR]    each uplink target's backlog, last acknowledgement and rate (docs/uplink.md)
  minewatch hash-secret [SECRET]              print an scrypt hash for secretHash/passwordHash/tokenHash/pwHash
      --for KIND --next  print it as the YAML line of a rotation's second secret (nextSecretHash, ...)
  minewatch export --site S --kind K --from DAY --to DAY --out FILE [--format csv|parquet] [--what readings|rollup-1m|rollup-1h] [--data-dir DIR]
                                              readings (or rollups) of a stopped minewatch's data dir for inspectors (minewatch export --help)
  minewatch audit verify [--data-dir DIR]     prove the audit log of a stopped minewatch was not altered (minewatch audit --help)
  minewatch backup DIR [--url URL] [--token-file F]   a consistent backup of the running minewatch into DIR (minewatch backup --help)
  minewatch restore DIR [--data-dir DIR]      put a backup into an empty data dir (minewatch restore --help)
  minewatch --version                         print the version
  minewatch help

Every command answers --help.
`

const UP_USAGE = USAGE.split('\n').slice(3, 11).join('\n') + '\n'
const CHECK_CONFIG_USAGE = `usage: minewatch check-config [--config FILE]
  validates a config (env MINEWATCH_CONFIG, default: the demo config shipped with minewatch) and lists every problem as file:line: path: message
`
const RELOAD_USAGE = `usage: minewatch reload [--data-dir DIR] [--timeout SECONDS]
  finds the minewatch running on DIR (env MINEWATCH_DATA_DIR, default ./data) by its pid file
  (DIR/minewatch.pid), sends it SIGHUP and waits (default 60 s) for DIR/reload.json to report the outcome;
  prints what changed, or every problem of an invalid config; exits 0 when applied or unchanged, 1 otherwise
`
const CONFIG_EXPORT_USAGE = `usage: minewatch config export [--config FILE] [--data-dir DIR] [--out FILE]
  prints (or writes to FILE) the config file (env MINEWATCH_CONFIG) with the device changes stored in
  DIR (env MINEWATCH_DATA_DIR, default ./data) folded in, as YAML; minewatch must not be running on DIR
  (while it runs: GET /api/v1/ops/config/export). Made the file, the stored changes become no-ops.
`
const UPLINK_USAGE = `usage: minewatch uplink status [--data-dir DIR] [--json]
  prints each uplink target's backlog, last acknowledgement and rate, as the minewatch running on DIR
  (env MINEWATCH_DATA_DIR, default ./data) last wrote them (DIR/uplink/status.json, every second)
`
const HASH_SECRET_USAGE = `usage: minewatch hash-secret [--for device|account|token|hj212] [--next] [SECRET]
       minewatch hash-secret --for device --generate [--next]
  prints the scrypt hash of SECRET (read from stdin when not given; at least 8 characters)
  for secretHash (devices), passwordHash (accounts), tokenHash (API tokens) or pwHash (HJ 212 devices)
  --for KIND   print the YAML line for that kind instead of the bare hash (secretHash: '...')
  --next       with --for: the rotation window's second secret (nextSecretHash, nextPasswordHash,
               nextTokenHash, nextPwHash); see docs/operations.md
  --generate   with --for device: make a new 256-bit random secret, print it on the first line (give it
               to the device; minewatch keeps only the hash) and its hash on the second, at the cheaper
               scrypt cost a random secret allows (2^10 instead of 2^14: 10,000 devices reconnecting at once
               are admitted in seconds, not minutes; docs/security.md)
`

const EXPORT_USAGE = `usage: minewatch export --site S --kind K --from YYYY-MM-DD --to YYYY-MM-DD --out FILE [--format csv|parquet] [--what readings|rollup-1m|rollup-1h] [--data-dir DIR]
  writes the site's readings of kind K (dust, water, locator, ore, status) stamped in the Beijing days
  from … to (inclusive, at most 366), or with --what their 1-minute or 1-hour rollups (docs/storage.md),
  to FILE as CSV (default) or Parquet, from DIR/telemetry.duckdb
  (env MINEWATCH_DATA_DIR, default ./data) opened read-only; FILE must not exist. While minewatch runs
  on DIR use GET /api/v1/sites/S/export instead (docs/api.md)
`

/** The config key of a secret hash for each kind of login, and of its rotation window's second one. */
const HASH_KEYS = {
  device: ['secretHash', 'nextSecretHash'],
  account: ['passwordHash', 'nextPasswordHash'],
  token: ['tokenHash', 'nextTokenHash'],
  hj212: ['pwHash', 'nextPwHash']
} as const

function logFormat (value: string | undefined): LogFormat {
  if (value === undefined) return defaultLogFormat()
  if (value !== 'json' && value !== 'pretty') throw new Error(`--log-format must be pretty or json, got '${value}'`)
  return value
}

function port (value: string, name: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number 0–65535, got '${value}'`)
  return n
}

async function up (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' }, 'data-dir': { type: 'string' }, 'mqtt-port': { type: 'string' }, 'http-port': { type: 'string' },
      simulate: { type: 'boolean', default: false }, seed: { type: 'string' }, 'log-format': { type: 'string' },
      'hj212-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    },
    strict: true
  })
  if (values.help) { process.stdout.write(`usage:\n${UP_USAGE}`); return 0 }
  const env = process.env
  const configFile = values.config ?? env.MINEWATCH_CONFIG ?? demoConfigFile
  const logger = createLogger({ format: logFormat(values['log-format']) })
  const { startMinewatch } = await import('./up.js')
  // a SIGHUP during start-up must not end the process (Node's default): the file is being read now anyway
  const earlyHup = () => logger.warn('SIGHUP during start-up ignored: the config file is being read now')
  process.on('SIGHUP', earlyHup)
  const mw = await startMinewatch({
    config: loadConfig(configFile),
    dataDir: values['data-dir'] ?? env.MINEWATCH_DATA_DIR ?? './data',
    mqttPort: port(values['mqtt-port'] ?? env.MINEWATCH_MQTT_PORT ?? '1883', '--mqtt-port'),
    httpPort: port(values['http-port'] ?? env.MINEWATCH_HTTP_PORT ?? '8080', '--http-port'),
    simulate: values.simulate,
    seed: values.seed !== undefined ? Number(values.seed) : undefined,
    hj212Port: (values['hj212-port'] ?? env.MINEWATCH_HJ212_PORT) !== undefined ? port((values['hj212-port'] ?? env.MINEWATCH_HJ212_PORT)!, '--hj212-port') : undefined,
    logger
  })
  process.off('SIGHUP', earlyHup)
  process.stdout.write(welcomeText({ config: mw.config.config, httpPort: mw.httpPort, mqttPort: mw.mqttPort, host: mw.config.config.api.host, simulate: values.simulate }))
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'shutting down: stopping intake, flushing ingest, alerts and stores')
      mw.close().then(resolve, (err) => { logger.error({ err }, 'shutdown failed'); resolve() })
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
    // SIGHUP (systemctl reload, `minewatch reload`): re-read the config and apply it live; the coordinator logs the outcome
    process.on('SIGHUP', () => { if (!stopping) void mw.reload('SIGHUP') })
  })
  logger.info('minewatch stopped')
  return 0
}

async function main (): Promise<number> {
  const [command, ...rest] = process.argv.slice(2)
  switch (command) {
    case 'up':
      return await up(rest)
    case 'simulate': {
      const { simulateCommand } = await import('../simulators/cli.js')
      return await simulateCommand(rest)
    }
    case 'check-config': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      if (values.help) { process.stdout.write(CHECK_CONFIG_USAGE); return 0 }
      const loaded = loadConfig(values.config ?? process.env.MINEWATCH_CONFIG ?? demoConfigFile)
      for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`)
      const devices = loaded.config.sites.reduce((n, s) => n + s.devices.length, 0)
      process.stdout.write(`${loaded.file}: ok (${loaded.config.sites.length} sites, ${devices} devices)\n`)
      return 0
    }
    case 'reload': {
      const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      if (values.help) { process.stdout.write(RELOAD_USAGE); return 0 }
      const { reloadCommand } = await import('./reload.js')
      return await reloadCommand({ dataDir: values['data-dir'] ?? process.env.MINEWATCH_DATA_DIR ?? './data', timeoutS: values.timeout !== undefined ? Number(values.timeout) : 60 })
    }
    case 'config': {
      const [sub, ...args] = rest
      const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      if (values.help || sub !== 'export') { (values.help ? process.stdout : process.stderr).write(CONFIG_EXPORT_USAGE); return values.help ? 0 : 2 }
      const { configExportCommand } = await import('../devices/cli.js')
      return await configExportCommand({ config: values.config ?? process.env.MINEWATCH_CONFIG ?? demoConfigFile, dataDir: values['data-dir'] ?? process.env.MINEWATCH_DATA_DIR ?? './data', out: values.out })
    }
    case 'uplink': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      if (values.help) { process.stdout.write(UPLINK_USAGE); return 0 }
      if (positionals[0] !== 'status' || positionals.length !== 1) { process.stderr.write(UPLINK_USAGE); return 2 }
      const { readUplinkStatus, formatUplinkStatus } = await import('../uplink/status.js')
      const dataDir = values['data-dir'] ?? process.env.MINEWATCH_DATA_DIR ?? './data'
      const status = readUplinkStatus(dataDir)
      if (status === undefined) { process.stderr.write(`${dataDir}: no uplink status (no minewatch with uplink targets has run on this data dir)\n`); return 1 }
      process.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatUplinkStatus(status, Date.now())}\n`)
      return 0
    }
    case 'hash-secret': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { for: { type: 'string' }, next: { type: 'boolean', default: false }, generate: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      if (values.help) { process.stdout.write(HASH_SECRET_USAGE); return 0 }
      const kind = values.for
      if (kind !== undefined && !(kind in HASH_KEYS)) throw new Error(`--for must be one of ${Object.keys(HASH_KEYS).join(', ')}, got '${kind}'`)
      if (values.next && kind === undefined) throw new Error('--next needs --for device|account|token|hj212 (it names the key to write)')
      if (values.generate) {
        if (kind !== 'device') throw new Error('--generate needs --for device: only a device secret can be made by minewatch (a person chooses an account password or a token, and an HJ 212 PW is set on the instrument)')
        if (positionals.length > 0) throw new Error('--generate makes the secret: give no SECRET with it')
        const secret = generateDeviceSecret()
        process.stdout.write(`${secret}\n${HASH_KEYS.device[values.next ? 1 : 0]}: '${hashSecret(secret, undefined, GENERATED_SECRET_N)}'\n`)
        return 0
      }
      const secret = positionals[0] ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
      if (secret.length < 8) throw new Error('a secret needs at least 8 characters')
      const hash = hashSecret(secret)
      process.stdout.write(kind === undefined ? `${hash}\n` : `${HASH_KEYS[kind as keyof typeof HASH_KEYS][values.next ? 1 : 0]}: '${hash}'\n`)
      return 0
    }
    case 'export': {
      const opt = { type: 'string' } as const
      const { values } = parseArgs({ args: rest, options: { site: opt, kind: opt, from: opt, to: opt, out: opt, format: opt, what: opt, 'data-dir': opt, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      if (values.help) { process.stdout.write(EXPORT_USAGE); return 0 }
      for (const k of ['site', 'kind', 'from', 'to', 'out'] as const) if (values[k] === undefined) throw new Error(`--${k} is required\n${EXPORT_USAGE}`)
      const { exportCommand } = await import('../lifecycle/export-cli.js')
      const rows = await exportCommand({ dataDir: values['data-dir'] ?? process.env.MINEWATCH_DATA_DIR ?? './data', site: values.site!, kind: values.kind!, from: values.from!, to: values.to!, format: values.format ?? 'csv', what: values.what, out: values.out! })
      process.stdout.write(`${values.out}: ${rows} ${values.what === undefined || values.what === 'readings' ? 'readings' : `${values.what} rows`}\n`)
      return 0
    }
    case 'audit': {
      const { auditCommand } = await import('../audit/cli.js')
      return await auditCommand(rest)
    }
    case 'backup': case 'restore': {
      const opt = { type: 'string' } as const
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { url: opt, 'token-file': opt, 'data-dir': opt, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
      const { BACKUP_USAGE, RESTORE_USAGE, backupCommand, restoreCommand } = await import('./backup.js')
      const usage = command === 'backup' ? BACKUP_USAGE : RESTORE_USAGE
      if (values.help) { process.stdout.write(usage); return 0 }
      if (positionals.length !== 1) { process.stderr.write(usage); return 2 }
      if (command === 'backup') return await backupCommand({ dir: positionals[0]!, url: values.url, tokenFile: values['token-file'] })
      return await restoreCommand({ dir: positionals[0]!, dataDir: values['data-dir'] ?? process.env.MINEWATCH_DATA_DIR ?? './data' })
    }
    case '--version': case '-v': case 'version':
      process.stdout.write(`minewatch ${packageVersion}\n`)
      return 0
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`unknown command '${command}'\n\n${USAGE}`)
      return 2
  }
}

main().then((code) => {
  process.exitCode = code
  // `up` has closed everything; do not wait for stray handles of dependencies.
  if (process.argv[2] === 'up') setTimeout(() => process.exit(code), 200).unref()
}, (err: unknown) => {
  if (isMinewatchError(err)) {
    process.stderr.write(`minewatch: ${err.code}: ${err.message}\n`)
  } else {
    process.stderr.write(`minewatch: ${(err as Error).message ?? String(err)}\n`)
  }
  // Exit now: a part that failed half-way through start-up may still hold timers or sockets.
  process.exit(1)
})
