/**
 * Issue 10: each mine-site rule constant is defined once, in core/. Scans every TypeScript source
 * outside core/ (and outside tests) for definitions of the rules' literals: a list of the water
 * return roles, the counted HJ 212 flags, the GB 3095-2012 §8 validity thresholds (45 minutes,
 * 20 hours), the whole-day water threshold, the licence's pro-rata shares. Each pattern is first
 * shown to find core/'s own definition, so a pattern that matches nothing cannot pass silently.
 */
import { describe, it, expect } from 'vitest'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const ROOT = new URL('../../../', import.meta.url).pathname
const SKIP = new Set(['node_modules', 'dist', 'test', '.git', 'docs', 'provisioning', 'gazetteer'])

function sources (dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sources(path, out)
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(ROOT, path))
  }
  return out
}

const files = sources(ROOT).map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }))
const inCore = (p: string): boolean => p.startsWith('core/')

interface Rule { name: string, where: string, pattern: RegExp }

/** Each pattern matches how the constant is written in core/, and would match a copy of it. */
const RULES: Rule[] = [
  { name: 'water return roles (core/water.ts RETURN_ROLES)', where: 'core/water.ts', pattern: /['"](thickener|tailings|recycled)_return['"]\s*,\s*['"](thickener|tailings|recycled)_return['"]/ },
  { name: 'counted HJ 212 flags (core/dust.ts COUNTED_FLAGS)', where: 'core/dust.ts', pattern: /\[\s*['"]N['"]\s*,\s*['"]T['"]\s*\]|['"]T['"]\s*\]\s*as const|flag\s*===\s*['"]T['"]/ },
  { name: 'hourly validity, 45 minutes (core/dust.ts HOURLY_MIN_MINUTES)', where: 'core/dust.ts', pattern: /\b\w*(MIN|minute)\w*\s*(=|>=|<|>|<=)\s*45\b|\b45\s*\*\s*(MINUTE|60_?000)\b/i },
  { name: 'daily validity, 20 hours (core/dust.ts DAY_MIN_HOURS)', where: 'core/dust.ts', pattern: /\b\w*(HOURS?|hours?)\w*\s*(=|>=|<|>|<=)\s*20\b|\b20\s*\*\s*(HOUR|3_?600_?000)\b/ },
  { name: 'whole-day water threshold, 50 m³ (core/water.ts MIN_DAY_VOLUME_M3)', where: 'core/water.ts', pattern: /\b\w*VOLUME\w*\s*=\s*50\b|\b\w*(M3|m3)\w*\s*(>=|<)\s*50\b/ },
  { name: 'GB/T 2589-2020 standard-coal coefficients (core/energy.ts)', where: 'core/energy.ts', pattern: /\b0\.1229\b|\b1\.4571\b/ },
  { name: 'totaliser rollover and reset fractions (core/totaliser.ts)', where: 'core/totaliser.ts', pattern: /(ROLLOVER|RESET)\w*\s*=\s*0\.\d+|0\.9\s*\*\s*\w*rollover/i },
  { name: 'licence pro-rata shares (core/ore.ts monthlyShareT, dailyShareT)', where: 'core/ore.ts', pattern: /scaleTPerYear\s*\/\s*(12|365)\b/ }
]

/** Names of the rule constants: each exported exactly once in the tree. */
const NAMES = ['RETURN_ROLES', 'COUNTED_FLAGS', 'HOURLY_MIN_MINUTES', 'DAY_MIN_HOURS', 'CALENDAR_DAY_S', 'MIN_DAY_VOLUME_M3', 'ROLLOVER_FRACTION', 'RESET_FRACTION', 'OUTPUT_FIELD', 'LEGAL_STANDARD_ROLES', 'ALERT_KIND_NAMES']

describe('each mine-site rule constant is defined once, in core/', () => {
  it('scans the whole source tree', () => {
    for (const dir of ['alerts/', 'api/', 'dashboards/', 'ingest/', 'store/', 'simulators/', 'console/src/', 'bin/']) {
      expect(files.some((f) => f.path.startsWith(dir)), dir).toBe(true)
    }
  })

  for (const rule of RULES) {
    it(`${rule.name}: in ${rule.where} and nowhere else`, () => {
      const core = files.find((f) => f.path === rule.where)!
      expect(rule.pattern.test(core.text), `the pattern finds the definition in ${rule.where}`).toBe(true)
      const copies = files.filter((f) => !inCore(f.path)).flatMap((f) =>
        f.text.split('\n').map((line, i) => ({ at: `${f.path}:${i + 1}`, line }))
          .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l.line) && rule.pattern.test(l.line))) // code, not prose in comments
      expect(copies.map((c) => `${c.at}: ${c.line.trim()}`)).toEqual([])
    })
  }

  it('every rule constant is exported once', () => {
    for (const name of NAMES) {
      const defs = files.filter((f) => new RegExp(`\\b(const|let|var)\\s+${name}\\b`).test(f.text)).map((f) => f.path)
      expect(defs, name).toHaveLength(1)
      expect(inCore(defs[0]!), `${name} in ${defs[0]}`).toBe(true)
    }
  })
})
