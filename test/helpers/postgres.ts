/**
 * Starts a real PostgreSQL 15 (Debian's package) cluster in a temp dir on a free port. Postgres
 * refuses to run as root: when the tests run as root, initdb and postgres run as the unprivileged
 * `postgres` user the package creates (setpriv), and the cluster dir is handed to that user.
 * Clients connect over TCP with a password (scram-sha-256), as in production; each test file starts
 * its own cluster, and createDatabase() gives each test its own database.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { freePort, tempDir, waitFor } from './ports.js'

export const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((p) => existsSync(join(p, 'postgres'))) ?? '/usr/lib/postgresql/15/bin'

export interface PostgresHandle {
  port: number
  user: string
  password: string
  /** URL of a database, without the password (as minewatch's config holds it). */
  url(database?: string): string
  /** URL with the password in it (for tests that connect directly). */
  urlWithPassword(database?: string): string
  /** Creates a fresh, empty database and returns its name. */
  createDatabase(): Promise<string>
  /** Stops the server (clients are disconnected) and starts it again on the same port and data. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** The command prefix that runs a program as the unprivileged postgres user when we are root. */
function asUser (): { prefix: string[], uid?: number, gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] }
  const id = (flag: string): number => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error('tests run as root and there is no postgres user to run PostgreSQL as (apt-get install postgresql creates it)')
    return Number(r.stdout.trim())
  }
  const uid = id('-u')
  const gid = id('-g')
  return { prefix: ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], uid, gid }
}

let dbCounter = 0

export async function startPostgres (): Promise<PostgresHandle> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`PostgreSQL is not installed (no ${PG_BIN}/initdb): apt-get install postgresql`)
  const dir = tempDir('mw-postgres-')
  const data = join(dir.path, 'data')
  const user = 'minewatch'
  const password = randomBytes(12).toString('hex')
  const runAs = asUser()
  const pwfile = join(dir.path, 'pw')
  writeFileSync(pwfile, password + '\n', { mode: 0o600 })
  mkdirSync(data, { mode: 0o700 })
  if (runAs.uid !== undefined) {
    chownSync(dir.path, runAs.uid, runAs.gid!)
    chownSync(data, runAs.uid, runAs.gid!)
    chownSync(pwfile, runAs.uid, runAs.gid!)
  }
  const run = (cmd: string, args: string[]): ChildProcess => {
    const [bin, ...rest] = [...runAs.prefix, cmd, ...args]
    return spawn(bin!, rest, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir.path })
  }
  const init = run(join(PG_BIN, 'initdb'), ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'])
  let initOut = ''
  init.stdout!.on('data', (d: Buffer) => { initOut += d.toString() })
  init.stderr!.on('data', (d: Buffer) => { initOut += d.toString() })
  const code = await new Promise<number | null>((resolve) => init.once('exit', resolve))
  if (code !== 0) { dir.remove(); throw new Error(`initdb failed (${String(code)}): ${initOut}`) }

  const port = await freePort()
  let log = ''
  let exited = true
  let server: ChildProcess | undefined
  const urlWithPassword = (database = 'postgres'): string => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: urlWithPassword() })
    await c.connect()
    try { return await fn(c) } finally { await c.end() }
  }
  const launch = async (): Promise<void> => {
    // fsync off: a test cluster never needs to survive a power cut, and the CI box is loaded
    const child = server = run(join(PG_BIN, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir.path, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=60', '-c', 'shared_buffers=16MB'])
    exited = false
    child.stdout!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000) })
    child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000) })
    child.once('exit', () => { exited = true })
    await waitFor(async () => {
      if (exited) throw new Error(`postgres exited at start: ${log}`)
      try { await admin(async (c) => await c.query('SELECT 1')); return true } catch { return false }
    }, 60_000, 'postgres to accept connections')
  }
  const halt = async (): Promise<void> => {
    if (exited || server === undefined) return
    const gone = new Promise((r) => server!.once('exit', r))
    server.kill('SIGINT') // fast shutdown: disconnects clients, no checkpoint wait on a test cluster
    await gone
  }
  try {
    await launch()
  } catch (err) {
    if (!exited) server?.kill('SIGKILL')
    dir.remove()
    throw err
  }
  return {
    port,
    user,
    password,
    url: (database = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`,
    urlWithPassword,
    async createDatabase () {
      const name = `mw_${process.pid}_${++dbCounter}`
      await admin(async (c) => await c.query(`CREATE DATABASE ${name}`))
      return name
    },
    async restart () {
      await halt()
      await launch()
    },
    async stop () {
      await halt()
      dir.remove()
    }
  }
}
