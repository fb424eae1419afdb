/**
 * Checks a batch against core/kinds.ts before anything is written, so a malformed
 * reading is refused with a precise message and never half-written. Ingest has
 * already validated payloads; this guards the store's own invariants.
 */
import { FIELDS, KINDS, isKind, type FieldType, type Kind } from '../core/kinds.js'
import { MinewatchError } from '../core/errors.js'
import type { Reading } from '../core/readings.js'

// Field name → type per kind, as plain objects for fast lookups in the hot loop.
const TYPES: Readonly<Record<Kind, Readonly<Record<string, FieldType>>>> = Object.freeze(
  Object.fromEntries(KINDS.map((k) => [k, Object.freeze(Object.fromEntries(FIELDS[k].map((f) => [f.name, f.type])))])) as Record<Kind, Record<string, FieldType>>
)

function bad (i: number, r: Reading, problem: string): MinewatchError {
  const who = typeof r?.site === 'string' && typeof r?.device === 'string' ? ` (${String(r.kind)} from ${r.site}/${r.device})` : ''
  return new MinewatchError('MW_STORE_REJECTED', `reading [${i}]${who}: ${problem}`)
}

/** Throws MW_STORE_REJECTED naming the first bad reading of the batch. */
export function validateBatch (batch: readonly Reading[]): void {
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!
    if (r === null || typeof r !== 'object') throw bad(i, r, 'not an object')
    if (typeof r.kind !== 'string' || !isKind(r.kind)) throw bad(i, r, `unknown kind ${JSON.stringify(r.kind)} (expected one of ${KINDS.join(', ')})`)
    if (typeof r.site !== 'string' || r.site === '') throw bad(i, r, 'site must be a non-empty string')
    if (typeof r.device !== 'string' || r.device === '') throw bad(i, r, 'device must be a non-empty string')
    if (!Number.isSafeInteger(r.ts) || r.ts < 0) throw bad(i, r, `ts must be a non-negative integer of epoch ms, got ${String(r.ts)}`)
    if (r.seq !== undefined && (!Number.isSafeInteger(r.seq) || r.seq < 0)) throw bad(i, r, `seq must be a non-negative safe integer, got ${String(r.seq)}`)
    const values = r.values
    if (values === null || typeof values !== 'object') throw bad(i, r, 'values must be an object')
    const types = TYPES[r.kind]
    for (const name in values) {
      const type = types[name]
      const v = values[name]
      if (type === undefined) throw bad(i, r, `"${name}" is not a ${r.kind} field (fields: ${FIELDS[r.kind].map((f) => f.name).join(', ')})`)
      if (v === undefined || v === null) continue
      if (type === 'string') {
        if (typeof v !== 'string') throw bad(i, r, `${name} must be a string, got ${typeof v}`)
      } else if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw bad(i, r, `${name} must be a finite number, got ${typeof v === 'number' ? String(v) : typeof v}`)
      } else if (type === 'int' && !Number.isSafeInteger(v)) {
        throw bad(i, r, `${name} must be an integer, got ${v}`)
      }
    }
    if (r.kind === 'locator' && (typeof values.entityId !== 'string' || values.entityId === '')) {
      throw bad(i, r, 'a locator reading needs an entityId')
    }
  }
}
