/** `minewatch up` as a child process (from source, with tsx) on free ports: for tests that kill it. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { DuckDBTelemetryStore } from '../../store/duckdb/telemetry.js'
import { freePort, waitFor } from './ports.js'

export interface MinewatchProcess {
  child: ChildProcess
  mqttPort: number
  httpPort: number
  /** The HJ 212 port, when asked for. */
  hj212Port?: number
  /** What the process wrote to stderr so far. */
  stderr(): string
  /** Resolves with the signal that ended the process (null for a normal exit). */
  exited: Promise<NodeJS.Signals | null>
}

/** Starts `minewatch up --config CONFIG --data-dir DIR` and resolves once /healthz answers. */
export async function startMinewatchProcess (opts: {
  config: string, dataDir: string, hj212?: boolean, logLevel?: string, startTimeoutMs?: number,
  /** Fixed ports (a process restarted where its peers expect it); free ones otherwise. */
  mqttPort?: number, httpPort?: number,
  /** A fixed HJ 212 port (implies the gateway). */
  hj212Port?: number,
  /** Added to the child's environment. */
  env?: NodeJS.ProcessEnv
}): Promise<MinewatchProcess> {
  const [mqttPort, httpPort] = [opts.mqttPort ?? await freePort(), opts.httpPort ?? await freePort()]
  const hj212Port = opts.hj212Port ?? (opts.hj212 ? await freePort() : undefined)
  const args = ['--import', 'tsx', 'bin/minewatch.ts', 'up', '--config', opts.config, '--data-dir', opts.dataDir,
    '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), ...(hj212Port !== undefined ? ['--hj212-port', String(hj212Port)] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MINEWATCH_LOG_LEVEL: opts.logLevel ?? 'warn', ...opts.env } })
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += String(d) })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.ok === true, opts.startTimeoutMs ?? 60_000, 'minewatch to start')
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`${(err as Error).message}; stderr: ${stderr}`)
  }
  return { child, mqttPort, httpPort, hj212Port, stderr: () => stderr, exited }
}

/** The acknowledged readings (device, ts) that the DuckDB file in `dataDir` does not hold, among those since `since`. */
export async function missingFromStore (dataDir: string, since: number, acked: ReadonlyArray<{ device: string, ts: number }>): Promise<Array<{ device: string, ts: number }>> {
  const store = new DuckDBTelemetryStore({ path: join(dataDir, 'telemetry.duckdb') })
  await store.init()
  try {
    const stored = new Set((await store.recentKeys(since)).map((k) => `${k.device}/${k.ts}`))
    return acked.filter((a) => !stored.has(`${a.device}/${a.ts}`))
  } finally {
    await store.close()
  }
}
