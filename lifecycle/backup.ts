/**
 * Backups of a running minewatch and restores into an empty data dir (issue 19 point 3;
 * docs/storage.md *Backups*). takeBackup runs inside the running process (the ops route
 * POST /api/v1/ops/backup, called by `minewatch backup DIR`): each DuckDB file is copied as of one
 * instant by its own store (store/duckdb/backup.ts) while ingest keeps committing. The manifest is
 * written last, so a backup without one is partial. restoreBackup checks everything (manifest,
 * sizes, checksums, schema versions) before it writes anything.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path'
import { MinewatchError } from '../core/errors.js'
import { packageVersion } from '../core/package.js'
import type { Clock } from '../core/clock.js'
import type { DatabaseSnapshot } from '../store/duckdb/backup.js'
import { checkSchemaFile, currentVersion } from '../store/duckdb/schema-meta.js'
import { TELEMETRY_SCHEMA } from '../store/duckdb/schema.js'
import { STATE_SCHEMA } from '../store/duckdb/state-schema.js'
import { DATA_FILES } from './check.js'

export const MANIFEST_FILE = 'manifest.json'
/** Layout of a backup dir; a restore refuses another. */
export const BACKUP_FORMAT = 1
/** The config file in effect when the backup was taken (device changes made through the API are in state.duckdb). */
export const CONFIG_COPY = 'config.yaml'

export interface BackupFile {
  bytes: number
  sha256: string
  /** DuckDB files: the schema version and the rows of each table, as of the snapshot. */
  schemaVersion?: number
  rows?: Record<string, number>
}

export interface BackupManifest {
  format: number
  minewatch: string
  /** When the backup started (epoch ms, the process's clock): every write acknowledged before is in it. */
  startedAt: number
  finishedAt: number
  /** Telemetry store of the running minewatch; 'influx' backups hold no telemetry (back InfluxDB up with its own tools). */
  telemetryStore: string
  files: Record<string, BackupFile>
}

/** What takeBackup needs from the running process. */
export interface BackupSources {
  /** The DuckDB telemetry store; absent with InfluxDB. */
  telemetry?: { snapshot(target: string): Promise<DatabaseSnapshot> }
  telemetryStore: string
  state: { snapshot(target: string): Promise<DatabaseSnapshot> }
  /** The outage spool (InfluxDB deployments): copied as of one instant (store/segments/snapshot.ts). */
  spool?: { snapshotSpool(target: string): Promise<string[]> }
  /** The uplink queues and their alert cursor. */
  uplink?: { snapshot(dataDir: string): Promise<string[]> }
  /** The config file minewatch was started from, when there is one. */
  configFile?: string
  clock: Clock
}

/** Streamed: a telemetry file of many GB is neither read into memory nor hashed on the event loop in one go. */
async function sha256 (path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** fsync off the event loop (a telemetry copy can be large). */
async function fsyncPath (path: string): Promise<void> {
  const fh = await open(path, 'r')
  try { await fh.sync() } finally { await fh.close() }
}

async function describe (path: string, snap?: DatabaseSnapshot): Promise<BackupFile> {
  return { bytes: statSync(path).size, sha256: await sha256(path), ...(snap ? { schemaVersion: snap.schemaVersion, rows: snap.rows } : {}) }
}

/** True when dir does not exist or holds nothing. */
function isEmptyDir (dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0
}

/**
 * Takes a backup into `dir` (absolute; created; must be absent or empty). The state file is copied
 * first, then telemetry: an alert in the copy may be missing a reading that came after it, never the
 * other way round (readings are kept, the alert engine re-evaluates at start).
 */
export async function takeBackup (dirIn: string, src: BackupSources): Promise<BackupManifest> {
  if (!dirIn.startsWith('/')) throw new MinewatchError('MW_BAD_REQUEST', `backup dir must be an absolute path, got '${dirIn}'`)
  const dir = resolve(dirIn)
  if (!isEmptyDir(dir)) throw new MinewatchError('MW_BAD_REQUEST', `backup dir ${dir} is not empty: a backup goes into a new or empty dir`)
  try {
    mkdirSync(dir, { recursive: true })
  } catch (err) {
    throw new MinewatchError('MW_BAD_REQUEST', `cannot create backup dir ${dir}: ${(err as Error).message}`, { cause: err })
  }
  const startedAt = src.clock.now()
  const files: Record<string, BackupFile> = {}
  try {
    const statePath = join(dir, DATA_FILES.state)
    files[DATA_FILES.state] = await describe(statePath, await src.state.snapshot(statePath))
    if (src.telemetry) {
      const telPath = join(dir, DATA_FILES.telemetry)
      files[DATA_FILES.telemetry] = await describe(telPath, await src.telemetry.snapshot(telPath))
    }
    // the queues after the telemetry: a batch may be both in the copy of the store and in the spool (replayed
    // again on restore: InfluxDB overwrites the same point) but none acknowledged before is in neither
    const queued = [
      ...(src.spool ? (await src.spool.snapshotSpool(join(dir, DATA_FILES.spool))).map((f) => join(DATA_FILES.spool, f)) : []),
      ...(src.uplink ? await src.uplink.snapshot(dir) : [])
    ]
    for (const name of queued) files[name] = await describe(join(dir, name))
    if (src.configFile !== undefined && existsSync(src.configFile)) {
      copyFileSync(src.configFile, join(dir, CONFIG_COPY))
      files[CONFIG_COPY] = await describe(join(dir, CONFIG_COPY))
    }
    for (const name of Object.keys(files)) await fsyncPath(join(dir, name))
    const manifest: BackupManifest = { format: BACKUP_FORMAT, minewatch: packageVersion, startedAt, finishedAt: src.clock.now(), telemetryStore: src.telemetryStore, files }
    const tmp = join(dir, `${MANIFEST_FILE}.tmp`)
    writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n')
    await fsyncPath(tmp)
    renameSync(tmp, join(dir, MANIFEST_FILE))
    await fsyncPath(dir)
    return manifest
  } catch (err) {
    // a failed backup leaves no partial dir behind that could pass for one
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true })
    throw err
  }
}

function invalid (dir: string, why: string): MinewatchError {
  return new MinewatchError('MW_BACKUP_INVALID', `${dir}: ${why}`)
}

/** Reads and checks a backup dir: manifest, every file's size and checksum, schema versions this minewatch can open. */
export async function verifyBackup (dirIn: string): Promise<BackupManifest> {
  const dir = resolve(dirIn)
  const mf = join(dir, MANIFEST_FILE)
  if (!existsSync(mf)) throw invalid(dir, `no ${MANIFEST_FILE}: not a backup, or a partial one (the manifest is written last)`)
  let m: BackupManifest
  try {
    m = JSON.parse(readFileSync(mf, 'utf8')) as BackupManifest
  } catch (err) {
    throw invalid(dir, `${MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof m !== 'object' || m === null || typeof m.files !== 'object' || m.files === null) throw invalid(dir, `${MANIFEST_FILE} has no files`)
  if (m.format !== BACKUP_FORMAT) throw invalid(dir, `backup format ${String(m.format)}, this minewatch ${packageVersion} reads format ${BACKUP_FORMAT}`)
  if (m.files[DATA_FILES.state] === undefined) throw invalid(dir, `the manifest lists no ${DATA_FILES.state}`)
  for (const [name, f] of Object.entries(m.files)) {
    if (isAbsolute(name) || normalize(name) !== name || name.split(sep).some((p) => p === '..' || p.startsWith('.'))) throw invalid(dir, `manifest names a file outside the dir: '${name}'`)
    const p = join(dir, name)
    if (!existsSync(p)) throw invalid(dir, `${name} is missing`)
    const bytes = statSync(p).size
    if (bytes !== f.bytes) throw invalid(dir, `${name} has ${bytes} bytes, the manifest says ${f.bytes}`)
    if (await sha256(p) !== f.sha256) throw invalid(dir, `${name} does not match its sha256 in the manifest (corrupt)`)
  }
  for (const [name, spec] of [[DATA_FILES.state, STATE_SCHEMA], [DATA_FILES.telemetry, TELEMETRY_SCHEMA]] as const) {
    const f = m.files[name]
    if (f === undefined) continue
    if (f.schemaVersion !== undefined && f.schemaVersion > currentVersion(spec)) {
      throw new MinewatchError('MW_SCHEMA_TOO_NEW', `${join(dir, name)}: ${spec.file} schema version ${f.schemaVersion}; this minewatch ${packageVersion} knows up to ${currentVersion(spec)}: restore it with that minewatch or a newer one`)
    }
    await checkSchemaFile(join(dir, name), spec) // opened read-only: also refuses a newer or unknown file whatever the manifest says
  }
  return m
}

/**
 * Restores the backup in `from` into `dataDir`, which must be absent or empty. Nothing is written
 * before the whole backup is verified; files are copied under temporary names and renamed into place.
 */
export async function restoreBackup (from: string, dataDirIn: string): Promise<BackupManifest> {
  const dataDir = resolve(dataDirIn)
  if (!isEmptyDir(dataDir)) throw new MinewatchError('MW_DATA_DIR_NOT_EMPTY', `${dataDir} holds ${readdirSync(dataDir).length} entries; restore into a new or empty data dir`)
  const m = await verifyBackup(from)
  mkdirSync(dataDir, { recursive: true })
  // everything but the config copy, into a temp dir inside the data dir, then renamed into place
  const names = Object.keys(m.files).filter((n) => n !== CONFIG_COPY)
  const staging = join(dataDir, '.restoring')
  try {
    for (const name of names) {
      const tmp = join(staging, name)
      mkdirSync(dirname(tmp), { recursive: true })
      copyFileSync(join(resolve(from), name), tmp)
      await fsyncPath(tmp)
      if (await sha256(tmp) !== m.files[name]!.sha256) throw invalid(from, `${name} changed while it was copied`)
    }
    for (const top of readdirSync(staging)) renameSync(join(staging, top), join(dataDir, top))
    rmSync(staging, { recursive: true })
    await fsyncPath(dataDir)
  } catch (err) {
    for (const e of readdirSync(dataDir)) rmSync(join(dataDir, e), { recursive: true, force: true })
    throw err
  }
  return m
}
