/**
 * `minewatch backup DIR` asks the running minewatch, through its ops route POST /api/v1/ops/backup
 * (admin token), to back itself up into DIR on this host; `minewatch restore DIR` puts a backup into
 * an empty data dir of a stopped minewatch (lifecycle/backup.ts, docs/storage.md *Backups*).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { restoreBackup, type BackupManifest } from '../lifecycle/backup.js'

export const BACKUP_USAGE = `usage: minewatch backup DIR [--url URL] [--token-file FILE]
  asks the minewatch running at URL (default http://127.0.0.1:$MINEWATCH_HTTP_PORT, 8080) to write a
  consistent backup of its embedded stores into DIR (a new or empty dir on the same host) while ingest
  goes on; needs an admin API token, from FILE or env MINEWATCH_TOKEN. Prints the manifest's files.
`
export const RESTORE_USAGE = `usage: minewatch restore DIR [--data-dir D]
  checks the backup in DIR (manifest, sizes, sha256, schema versions) and copies it into the data dir D
  (env MINEWATCH_DATA_DIR, default ./data), which must be absent or empty; nothing is written when a
  check fails. Then start minewatch on D with the config the backup holds (DIR/config.yaml) or yours.
`

function summary (m: BackupManifest): string {
  return Object.entries(m.files).map(([name, f]) => {
    const rows = f.rows === undefined ? '' : `, ${Object.values(f.rows).reduce((a, b) => a + b, 0)} rows in ${Object.keys(f.rows).length} tables, schema version ${f.schemaVersion}`
    return `  ${name}: ${f.bytes} bytes${rows}`
  }).join('\n')
}

export async function backupCommand (o: { dir: string, url?: string, tokenFile?: string }): Promise<number> {
  const token = o.tokenFile !== undefined ? readFileSync(o.tokenFile, 'utf8').trim() : process.env.MINEWATCH_TOKEN
  if (token === undefined || token === '') throw new Error(`an admin API token is needed: --token-file FILE or env MINEWATCH_TOKEN\n${BACKUP_USAGE}`)
  const url = (o.url ?? `http://127.0.0.1:${process.env.MINEWATCH_HTTP_PORT ?? '8080'}`).replace(/\/+$/, '')
  const dir = resolve(o.dir)
  let res: Response
  try {
    res = await fetch(`${url}/api/v1/ops/backup`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ dir }) })
  } catch (err) {
    throw new Error(`cannot reach minewatch at ${url}: ${(err as Error).message} (is it running? --url)`)
  }
  const body = await res.json().catch(() => ({})) as BackupManifest & { code?: string, message?: string }
  if (!res.ok) throw new Error(`backup refused (HTTP ${res.status}): ${body.code ?? ''} ${body.message ?? ''}`.trim())
  process.stdout.write(`${dir}: backup taken\n${summary(body)}\n`)
  return 0
}

export async function restoreCommand (o: { dir: string, dataDir: string }): Promise<number> {
  const m = await restoreBackup(o.dir, o.dataDir)
  process.stdout.write(`${resolve(o.dataDir)}: restored from ${resolve(o.dir)} (taken by minewatch ${m.minewatch} at ${new Date(m.startedAt).toISOString()})\n${summary(m)}\n`)
  if (m.files['config.yaml'] !== undefined) process.stdout.write(`the config in effect then: ${resolve(o.dir, 'config.yaml')}\n`)
  return 0
}
