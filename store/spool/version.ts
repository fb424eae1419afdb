/**
 * The spool directory's layout version: `<dir>/version.json` = `{"spool": N}`. Version 1 is the
 * layout of segments (framing.ts, magic MWS1) and cursor.json; a directory without the file is a
 * version-1 spool (minewatch wrote none before) and gets it at open. A newer version is refused
 * (MW_SCHEMA_TOO_NEW), an unreadable one too (MW_SCHEMA_UNKNOWN), before the spool is touched.
 */
import { existsSync, readFileSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { MinewatchError } from '../../core/errors.js'
import { packageVersion } from '../../core/package.js'

export const SPOOL_VERSION = 1
export const SPOOL_VERSION_FILE = 'version.json'

/** The spool version of a directory: null when it has no version file. Throws when it must not be opened. */
export function checkSpoolVersion (dir: string): number | null {
  const path = join(dir, SPOOL_VERSION_FILE)
  if (!existsSync(path)) return null
  let version: unknown
  try {
    version = (JSON.parse(readFileSync(path, 'utf8')) as { spool?: unknown }).spool
  } catch (err) {
    throw new MinewatchError('MW_SCHEMA_UNKNOWN', `${path} is not a spool version file: ${(err as Error).message}; nothing was changed`, { cause: err })
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new MinewatchError('MW_SCHEMA_UNKNOWN', `${path} holds no spool version (${JSON.stringify(version)}); nothing was changed`)
  }
  if (version > SPOOL_VERSION) {
    throw new MinewatchError('MW_SCHEMA_TOO_NEW', `spool ${dir} has version ${version}, written by a newer minewatch; this minewatch (${packageVersion}) knows up to version ${SPOOL_VERSION}; nothing was changed`)
  }
  return version
}

/** Checks the directory, then records the current version when it has none (write-temp, fsync, rename). */
export function stampSpoolVersion (dir: string): void {
  if (checkSpoolVersion(dir) !== null) return
  const path = join(dir, SPOOL_VERSION_FILE)
  const tmp = `${path}.tmp`
  writeFileSync(tmp, JSON.stringify({ spool: SPOOL_VERSION }) + '\n')
  const fd = openSync(tmp, 'r')
  try { fsyncSync(fd) } finally { closeSync(fd) }
  renameSync(tmp, path)
}
