/** `minewatch audit verify [--data-dir D]`: verifies the audit log of a stopped minewatch's state file. */
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { openStateStore } from '../store/duckdb/state.js'
import { verifyAudit } from './verify.js'

export const AUDIT_USAGE = `usage: minewatch audit verify [--data-dir DIR]
  checks the hash chain of the audit log in DIR/state.duckdb (env MINEWATCH_DATA_DIR, default ./data):
  every record's SHA-256 against its content, each record's link to the one before, no missing seq,
  and every daily digest; prints the chain head, or the first bad record; exits 0 when intact, 1 otherwise.
  Run it on a stopped minewatch (DuckDB locks the file); a running one answers GET /api/v1/audit/verify.
`

export async function auditCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, strict: true })
  if (values.help) { process.stdout.write(AUDIT_USAGE); return 0 }
  if (positionals[0] !== 'verify' || positionals.length > 1) { process.stderr.write(AUDIT_USAGE); return 2 }
  const dir = values['data-dir'] ?? process.env.MINEWATCH_DATA_DIR ?? './data'
  const path = join(dir, 'state.duckdb')
  if (!existsSync(path)) { process.stderr.write(`minewatch audit verify: no state file ${path}\n`); return 1 }
  const state = await openStateStore({ path, rejectsMaxRows: Number.MAX_SAFE_INTEGER })
  try {
    const r = await verifyAudit(state.audit)
    if (r.ok) {
      process.stdout.write(`${path}: audit log intact: ${r.records} records, ${r.digests} daily digests, head ${r.head}\n`)
      return 0
    }
    process.stdout.write(`${path}: audit log BROKEN at record ${r.firstBad!.seq}: ${r.firstBad!.problem} (${r.records} records before it verified)\n`)
    return 1
  } finally {
    await state.close()
  }
}
