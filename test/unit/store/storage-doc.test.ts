/** Keeps docs/storage.md's field tables in step with core/kinds.ts and the DuckDB schema. */
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { FIELDS, KINDS } from '../../../core/kinds.js'
import { SQL_TYPE, ALERT_EVENT_COLUMNS, DAY_FACT_COLUMNS } from '../../../store/duckdb/schema.js'

const doc = readFileSync(new URL('../../../docs/storage.md', import.meta.url), 'utf8')

/** Rows `| a | b | c | … |` of the table that follows the line starting with `heading`. */
function tableAfter (heading: string): string[][] {
  const start = doc.indexOf(heading)
  expect(start, `docs/storage.md has "${heading}"`).toBeGreaterThanOrEqual(0)
  const lines = doc.slice(start).split('\n').slice(1)
  const rows: string[][] = []
  let inTable = false
  for (const line of lines) {
    if (line.startsWith('|')) {
      inTable = true
      rows.push(line.split('|').slice(1, -1).map((c) => c.trim()))
    } else if (inTable) break
  }
  return rows.slice(2) // header and separator
}

describe('docs/storage.md', () => {
  for (const kind of KINDS) {
    it(`lists the ${kind} fields with their types and units, in storage order`, () => {
      const rows = tableAfter(`**${kind}**`)
      expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual(FIELDS[kind].map((f) => [f.name, SQL_TYPE[f.type], f.unit]))
    })
  }

  it('lists every alert_events column', () => {
    const documented = tableAfter('**alert_events**').flatMap((r) => r[0]!.split(',').map((c) => c.trim()))
    expect(documented.sort()).toEqual(ALERT_EVENT_COLUMNS.map(([n]) => n).sort())
  })

  it('lists every day_facts column with its type', () => {
    const documented = tableAfter('**day_facts**').flatMap((r) => r[0]!.split(',').map((c) => [c.trim(), r[1]!]))
    expect(documented).toEqual(DAY_FACT_COLUMNS.map(([n, t]) => [n, t]))
  })
})
