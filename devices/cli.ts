/**
 * `minewatch config export [--config F] [--data-dir D] [--out FILE]`: the config file with the
 * device changes stored in D's state file folded in, as YAML (devices/export.ts). The state
 * file is opened, so minewatch must not be running on D; while it runs, the same YAML comes from
 * GET /api/v1/ops/config/export.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig } from '../core/config.js'
import { MinewatchError } from '../core/errors.js'
import { openStateStore } from '../store/duckdb/state.js'
import type { DeviceChange } from '../store/state.js'
import { applyOverrides } from './overrides.js'
import { exportConfig } from './export.js'

export async function configExportCommand (opts: { config: string, dataDir: string, out?: string }): Promise<number> {
  const file = loadConfig(opts.config)
  const statePath = join(resolve(opts.dataDir), 'state.duckdb')
  let changes: DeviceChange[] = []
  if (existsSync(statePath)) {
    let state: Awaited<ReturnType<typeof openStateStore>>
    try {
      state = await openStateStore({ path: statePath, rejectsMaxRows: file.config.ingest.rejects.maxRows })
    } catch (err) {
      throw new MinewatchError('MW_STORE_UNAVAILABLE', `${statePath}: ${(err as Error).message} (is minewatch running on ${opts.dataDir}? then use GET /api/v1/ops/config/export)`, { cause: err })
    }
    try { changes = await state.deviceChanges.list() } finally { await state.close() }
  }
  const merged = applyOverrides(file, changes)
  for (const o of merged.overrides ?? []) if (o.outcome !== 'applied') process.stderr.write(`note: device change #${o.seq} is ${o.outcome === 'noop' ? 'a no-op' : 'skipped'}: ${o.detail ?? ''}\n`)
  const yaml = exportConfig(readFileSync(file.file, 'utf8'), merged)
  if (opts.out === undefined) { process.stdout.write(yaml); return 0 }
  const tmp = `${opts.out}.tmp`
  writeFileSync(tmp, yaml)
  renameSync(tmp, opts.out)
  process.stderr.write(`${opts.out}: ${changes.length} device change(s) folded into ${file.file}\n`)
  return 0
}
