/** store/duckdb/schema-meta.ts: ordered migrations, each in a transaction; refusals write nothing. */
import { describe, it, expect, afterAll } from 'vitest'
import { join } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { tempDir } from '../../helpers/ports.js'
import { RECORD_VERSION_MIGRATION, checkSchemaFile, upgradeSchema, type SchemaSpec } from '../../../store/duckdb/schema-meta.js'
import { isMinewatchError } from '../../../core/errors.js'

const dir = tempDir('mw-schema-meta-')
afterAll(() => dir.remove())

const BASE = ['CREATE TABLE IF NOT EXISTS t (id INTEGER, name VARCHAR)']
const V2: SchemaSpec = { file: 'test', v1Tables: ['t'], migrations: [RECORD_VERSION_MIGRATION] }
const V3: SchemaSpec = { ...V2, migrations: [RECORD_VERSION_MIGRATION, { to: 3, name: 'names upper-case', sql: ['UPDATE t SET name = upper(name)'] }] }

async function withConn<R> (path: string, fn: (c: DuckDBConnection) => Promise<R>): Promise<R> {
  const inst = await DuckDBInstance.create(path)
  const c = await inst.connect()
  try { return await fn(c) } finally { c.closeSync(); inst.closeSync() }
}
const rows = async (c: DuckDBConnection, sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS()

describe('upgradeSchema', () => {
  it('creates a new file at the current version, then migrates version by version, in order', async () => {
    const path = join(dir.path, 'a.duckdb')
    await withConn(path, async (c) => {
      expect(await upgradeSchema(c, V2, { path, baseDdl: BASE, now: () => 5 })).toBeNull()
      await c.run("INSERT INTO t VALUES (1, 'dust')")
    })
    expect((await checkSchemaFile(path, V2))?.version).toBe(2)
    await expect(checkSchemaFile(path, { ...V2, migrations: [] })).rejects.toThrow(/version 2.*knows up to version 1/)
    await withConn(path, async (c) => {
      expect(await upgradeSchema(c, V3, { path, baseDdl: BASE })).toBe(2)
      expect(await rows(c, 'SELECT name FROM t')).toEqual([{ name: 'DUST' }])
      expect((await rows(c, 'SELECT version, name FROM schema_meta ORDER BY version')).map((r) => r.version)).toEqual([2, 3])
      expect(await upgradeSchema(c, V3, { path, baseDdl: BASE })).toBe(3) // nothing left to run
      expect(await rows(c, 'SELECT name FROM t')).toEqual([{ name: 'DUST' }])
    })
  })

  it('rolls a failed migration back whole: data and version stay as they were', async () => {
    const path = join(dir.path, 'b.duckdb')
    await withConn(path, async (c) => {
      await c.run(BASE[0]!)
      await c.run("INSERT INTO t VALUES (1, 'water')") // an unversioned (version 1) file
    })
    const bad: SchemaSpec = { ...V2, migrations: [RECORD_VERSION_MIGRATION, { to: 3, name: 'broken', sql: ["UPDATE t SET name = 'gone'", 'SELECT * FROM no_such_table'] }] }
    await withConn(path, async (c) => {
      const err = await upgradeSchema(c, bad, { path, baseDdl: BASE }).catch((e: unknown) => e)
      expect(isMinewatchError(err, 'MW_STORE_UNAVAILABLE')).toBe(true)
      expect(String(err)).toMatch(/version 3 \(broken\) failed and was rolled back/)
      expect(await rows(c, 'SELECT name FROM t')).toEqual([{ name: 'water' }])
      expect((await rows(c, 'SELECT version FROM schema_meta')).map((r) => r.version)).toEqual([2])
    })
  })

  it('refuses a file of another kind and a schema_meta of another file', async () => {
    const path = join(dir.path, 'c.duckdb')
    await withConn(path, async (c) => { await upgradeSchema(c, { ...V2, file: 'state' }, { path, baseDdl: BASE }) })
    await expect(checkSchemaFile(path, V2)).rejects.toThrow(/does not describe a minewatch test file/)
    const other = join(dir.path, 'd.duckdb')
    await withConn(other, async (c) => { await c.run('CREATE TABLE t (id INTEGER)'); await c.run('CREATE TABLE u (x INTEGER)') })
    const err = await checkSchemaFile(other, V2).catch((e: unknown) => e)
    expect(isMinewatchError(err, 'MW_SCHEMA_UNKNOWN')).toBe(true)
    expect(await checkSchemaFile(join(dir.path, 'missing.duckdb'), V2)).toBeNull()
  })
})
