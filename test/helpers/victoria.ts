/**
 * Starts a real VictoriaMetrics (Debian's victoria-metrics package) on a free port in a temp dir.
 * It accepts InfluxDB line protocol on /write and /api/v2/write, so it checks the v2 write path;
 * read back with /api/v1/export (JSON lines) after /internal/force_flush.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, tempDir, waitFor } from './ports.js'

export const VICTORIA_BIN = ['/usr/bin/victoria-metrics', '/usr/local/bin/victoria-metrics'].find((p) => existsSync(p)) ?? 'victoria-metrics'

export interface VictoriaHandle {
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  /** Makes recently written samples searchable (/internal/force_flush). */
  flush(): Promise<void>
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>
}

/** Starts victoria-metrics; resolves once GET /health answers. */
export async function startVictoria (opts: { timeoutMs?: number } = {}): Promise<VictoriaHandle> {
  const dir = tempDir('victoria-')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const log = openSync(join(dir.path, 'victoria.log'), 'a')
  const child: ChildProcess = spawn(VICTORIA_BIN, [
    `-storageDataPath=${join(dir.path, 'data')}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y', // tests write fixed past timestamps
    '-search.latencyOffset=0s', // read back immediately after writing
    '-loggerLevel=ERROR'
  ], { stdio: ['ignore', log, log] })
  closeSync(log)
  // A test process that dies without stop() must not leave victoria-metrics behind.
  const reap = () => { child.kill('SIGKILL') }
  process.once('exit', reap)
  let exitCode: number | null | undefined
  child.once('exit', (code) => { exitCode = code; process.off('exit', reap) })
  let spawnError: Error | undefined
  child.once('error', (err) => { spawnError = err; exitCode = null }) // e.g. ENOENT: the package is not installed
  await waitFor(async () => {
    if (spawnError) throw new Error(`victoria-metrics could not start: ${spawnError.message} (install Debian's victoria-metrics package; scripts/test-all.sh does as root)`)
    if (exitCode !== undefined) throw new Error(`victoria-metrics exited at start with code ${String(exitCode)} (see ${join(dir.path, 'victoria.log')}; tried ${VICTORIA_BIN})`)
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })
      return res.ok
    } catch {
      return false
    }
  }, opts.timeoutMs ?? 20_000, `victoria-metrics /health on ${url}`)
  return {
    url,
    port,
    async flush () {
      const res = await fetch(`${url}/internal/force_flush`)
      if (!res.ok) throw new Error(`victoria-metrics force_flush: ${res.status}`)
    },
    async stop () {
      if (exitCode === undefined) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      dir.remove()
    }
  }
}
