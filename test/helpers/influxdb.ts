/**
 * Starts a real InfluxDB 1.x (Debian's influxdb package, /usr/bin/influxd) on free ports in a temp dir.
 * Creates no database or user: tests (or the store's init) do that. stop() + restart() keep the
 * same ports and data, for outage tests; remove() deletes the data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync, existsSync, mkdirSync, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, tempDir, waitFor } from './ports.js'

export const INFLUXD_BIN = ['/usr/bin/influxd', '/usr/local/bin/influxd'].find((p) => existsSync(p)) ?? 'influxd'

export interface InfluxDBHandle {
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  /** Temp dir holding config, meta, data, wal and influxd.log. */
  dir: string
  /** Is influxd running now. */
  readonly running: boolean
  /** Graceful stop (SIGTERM) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>
  /** Stops the server (SIGTERM), keeping ports and data, so restart() can bring it back. */
  pause(): Promise<void>
  /** Starts the server again on the same port and data dir; resolves when /ping answers. */
  restart(): Promise<void>
  /** SIGKILL (no clean shutdown), keeping data; restart() brings it back. */
  kill(): Promise<void>
}

export interface StartInfluxDBOptions {
  /** Turns on HTTP auth and creates this admin user (InfluxDB 1.x allows the first admin without auth). */
  admin?: { username: string, password: string }
  /** Startup wait, ms. */
  timeoutMs?: number
}

function configText (dir: string, httpPort: number, rpcPort: number, authEnabled: boolean): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  index-version = "inmem"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  cache-max-memory-size = 268435456

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[retention]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${authEnabled ? 'true' : 'false'}
  log-enabled = false
  pprof-enabled = false
  flux-enabled = false
  max-body-size = 25000000

[logging]
  level = "warn"
  suppress-logo = true

[ifql]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
`
}

async function ping (url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) })
    return res.status === 204
  } catch {
    return false
  }
}

/** Starts influxd; resolves once GET /ping answers 204. */
export async function startInfluxDB (opts: StartInfluxDBOptions = {}): Promise<InfluxDBHandle> {
  const dir = tempDir('influxdb-')
  for (const d of ['meta', 'data', 'wal']) mkdirSync(join(dir.path, d))
  const port = await freePort()
  const rpcPort = await freePort()
  const url = `http://127.0.0.1:${port}`
  const conf = join(dir.path, 'influxdb.conf')
  writeFileSync(conf, configText(dir.path, port, rpcPort, opts.admin !== undefined))
  const timeoutMs = opts.timeoutMs ?? 20_000 // 20 s
  let child: ChildProcess | null = null
  let removed = false

  const launch = async (): Promise<void> => {
    const log = openSync(join(dir.path, 'influxd.log'), 'a')
    const c = spawn(INFLUXD_BIN, ['run', '-config', conf], { stdio: ['ignore', log, log] })
    closeSync(log)
    child = c
    // A test process that dies without stop() must not leave influxd behind.
    const reap = () => { c.kill('SIGKILL') }
    process.once('exit', reap)
    let exitCode: number | null | undefined
    c.once('exit', (code) => { exitCode = code; process.off('exit', reap); if (child === c) child = null })
    await waitFor(async () => {
      if (exitCode !== undefined) throw new Error(`influxd exited at start with code ${String(exitCode)} (see ${join(dir.path, 'influxd.log')}; tried ${INFLUXD_BIN})`)
      return await ping(url)
    }, timeoutMs, `influxd /ping on ${url}`)
  }

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c: ChildProcess | null = child
    if (c === null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill(signal)
    await exited
  }

  await launch()
  if (opts.admin !== undefined) {
    const q = `CREATE USER "${opts.admin.username}" WITH PASSWORD '${opts.admin.password.replace(/'/g, "\\'")}' WITH ALL PRIVILEGES`
    const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }) })
    if (!res.ok) throw new Error(`creating the InfluxDB admin user failed: ${res.status} ${await res.text()}`)
  }

  return {
    url,
    port,
    dir: dir.path,
    get running () { return child !== null },
    async stop () {
      await halt('SIGTERM')
      if (!removed) { removed = true; dir.remove() }
    },
    async pause () { await halt('SIGTERM') },
    async kill () { await halt('SIGKILL') },
    async restart () {
      if (removed) throw new Error('influxd handle was stopped; its data dir is gone')
      await halt('SIGTERM')
      await launch()
    }
  }
}
