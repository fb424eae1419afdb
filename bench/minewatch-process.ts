/** Runs `minewatch up` as a child process for benchmarks, and reads its peak RSS from /proc. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address() as { port: number }; srv.close(() => resolve(port)) })
  })
}

export interface MinewatchProcess {
  child: ChildProcess
  mqttPort: number
  httpPort: number
  /** Peak resident set size so far, bytes (VmHWM). */
  peakRss(): number
  /** The last 64 KiB the process wrote to stderr (also passed through to this process's stderr). */
  stderr(): string
  /** SIGTERM, then wait for a clean exit (everything flushed). */
  stop(): Promise<number | null>
}

/**
 * `opts.dist`: run the build (dist/bin/minewatch.js, as installed) instead of the sources through tsx.
 * `opts.root`: the source tree to run from (default the working directory), e.g. another commit's worktree.
 */
export async function startMinewatchProcess (configFile: string, dataDir: string, env: NodeJS.ProcessEnv = {}, extraArgs: string[] = [], opts: { dist?: boolean, root?: string } = {}): Promise<MinewatchProcess> {
  // A free port can be taken by another process between freePort() and the child's bind (other
  // test runs share the machine): the child then exits with MW_PORT_IN_USE, and it is started again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(configFile, dataDir, env, extraArgs, opts)
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= 5) throw err
      process.stderr.write(`  minewatch: ${err.message}; starting again on other ports (attempt ${attempt + 1})\n`)
    }
  }
}

class PortTaken extends Error {}

async function startOnce (configFile: string, dataDir: string, env: NodeJS.ProcessEnv, extraArgs: string[], opts: { dist?: boolean, root?: string }): Promise<MinewatchProcess> {
  const cwd = opts.root ?? process.cwd()
  if (opts.dist && !existsSync(join(cwd, 'dist/bin/minewatch.js'))) throw new Error(`${join(cwd, 'dist/bin/minewatch.js')} is missing: run npm run build first`)
  const [mqttPort, httpPort] = [await freePort(), await freePort()]
  // BENCH_CHILD_NODE_ARGS: node flags NODE_OPTIONS refuses, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const entry = opts.dist ? ['dist/bin/minewatch.js'] : ['--import', 'tsx', 'bin/minewatch.ts']
  const child = spawn(process.execPath, [...nodeArgs, ...entry, 'up', '--config', configFile, '--data-dir', dataDir,
    '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), ...extraArgs], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MINEWATCH_LOG_LEVEL: 'warn', ...(process.env.BENCH_CHILD_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_CHILD_NODE_OPTIONS } : {}), ...env } })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => { process.stderr.write(d); stderr = (stderr + String(d)).slice(-65_536) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve())) // stdio read to the end
  const deadline = Date.now() + 60_000
  while (true) {
    if (child.exitCode !== null) {
      await closed
      if (stderr.includes('MW_PORT_IN_USE')) throw new PortTaken(`a port was taken before minewatch bound it (${/MW_PORT_IN_USE[^\n]*/.exec(stderr)?.[0] ?? ''})`)
      throw new Error(`minewatch exited with ${child.exitCode} at start`)
    }
    const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error('minewatch did not start within 60 s')
    await new Promise((r) => setTimeout(r, 200))
  }
  let lastPeak = 0
  const peakRss = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m) lastPeak = Number(m[1]) * 1024
    } catch { /* exited: keep the last value read */ }
    return lastPeak
  }
  return {
    child, mqttPort, httpPort, peakRss, stderr: () => stderr,
    async stop () { peakRss(); child.kill('SIGTERM'); return await exited }
  }
}

/** Sum of a Prometheus counter across its labels, from GET /metrics. */
export async function metricSum (httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

export function percent (n: number, d: number): string {
  return d === 0 ? '—' : `${((100 * n) / d).toFixed(1)} %`
}
