import { hashSecret, GENERATED_SECRET_N } from '../../../core/secrets.js'
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { parseConfig, loadConfig } from '../../../core/config.js'
import { isMinewatchError, MinewatchError } from '../../../core/errors.js'

const demoText = readFileSync('config/demo.yaml', 'utf8')

function problems (text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'x.yaml', env)
  } catch (err) {
    if (isMinewatchError(err, 'MW_CONFIG_INVALID')) return err.details as string[]
    throw err
  }
  return []
}

const square = '{ type: Polygon, coordinates: [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]] }'
const minimal = (devices: string, extra = '') => `
${extra}
sites:
  - id: s1
    name: 测试矿
    province: 浙江省
    licence: C1
    scaleTPerYear: 1000000
    boundary: ${square}
    devices:
${devices}
`

describe('config', () => {
  it('loads the demo config: three sites with realistic device counts (domain.md §7)', () => {
    const { config, warnings } = loadConfig('config/demo.yaml')
    expect(config.sites.map((s) => s.province)).toEqual(['浙江省', '甘肃省', '贵州省'])
    for (const site of config.sites) {
      const count = (kind: string) => site.devices.filter((d) => d.kind === kind).length
      expect(count('dust')).toBeGreaterThanOrEqual(4)
      expect(count('dust')).toBeLessThanOrEqual(8)
      expect(count('water')).toBeGreaterThanOrEqual(4)
      expect(site.simulation?.people).toBeGreaterThanOrEqual(80)
      expect(site.simulation?.vehicles).toBeGreaterThanOrEqual(10)
      expect(site.dust.limits.find((l) => l.metric === 'tsp')?.standard).toBe('GB 16297-1996')
    }
    expect(config.sites[1]!.water.formula).toBe('beneficiation')
    expect(warnings.join()).toMatch(/plain password/)
    expect(warnings.join()).not.toMatch(/demo-ZJ/) // never a secret in a warning
    expect(Object.isFrozen(config.sites[0])).toBe(true)
  })

  it('reports every problem at once, with file, line and path', () => {
    const text = minimal(`
      - { id: d1, kind: dust, intervalS: 60, password: longenough1 }
      - { id: d2, kind: water, intervalS: 60, password: longenough2 }
      - { id: d1, kind: ore, intervalS: 60, role: truck_scale, password: longenough3 }
      - { id: d4, kind: status, intervalS: -5, password: longenough4 }`, 'demo: true')
    const p = problems(text)
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^x\.yaml:\d+: sites\[0\]\.devices\[0\]\.unit: a dust monitor needs its unit/),
      expect.stringMatching(/^x\.yaml:\d+: sites\[0\]\.devices\[1\]\.role: a water meter needs a role/),
      expect.stringMatching(/^x\.yaml:\d+: sites\[0\]\.devices\[3\]\.intervalS: /)
    ]))
    expect(p.length).toBeGreaterThanOrEqual(3)
    const line = Number(/^x\.yaml:(\d+):/.exec(p.find((x) => x.includes('devices[1]'))!)![1])
    expect(text.split('\n')[line - 1]).toContain('d2')
  })

  it('reports duplicate device ids across sites only after the schema passes', () => {
    const text = minimal(`
      - { id: d1, kind: status, intervalS: 60, password: longenough1 }
      - { id: d1, kind: status, intervalS: 60, password: longenough2 }`, 'demo: true')
    expect(problems(text)).toEqual([expect.stringMatching(/devices\[1\]\.id: device id 'd1' is already used/)])
  })

  it('allows plain passwords only in demo configs', () => {
    const text = minimal('      - { id: d1, kind: status, intervalS: 60, password: longenough1 }')
    expect(problems(text)).toEqual([expect.stringMatching(/devices\[0\]\.password: plain passwords are allowed only in demo configs/)])
    const hashed = minimal(`      - { id: d1, kind: status, intervalS: 60, secretHash: "${hashSecret('longenough1')}" }`)
    expect(problems(hashed)).toEqual([])
  })

  it('rejects an open boundary ring and unknown keys', () => {
    const text = minimal('      - { id: d1, kind: status, intervalS: 60, password: longenough1, colour: red }', 'demo: true')
      .replace('[120, 30]]]', '[120, 30.02]]]')
    const p = problems(text)
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/boundary\.coordinates\[0\]: ring must be closed/),
      expect.stringMatching(/devices\[0\]: Unrecognized key: "colour"/)
    ]))
  })

  it('interpolates environment variables and reports missing ones', () => {
    const text = minimal('      - { id: d1, kind: status, intervalS: 60, password: longenough1 }', 'demo: true') +
      'store: { kind: influx, influx: { url: "${INFLUX_URL}", api: v1, password: "${INFLUX_PW:-none}" } }\n'
    expect(problems(text)).toEqual([expect.stringMatching(/store\.influx\.url: environment variable INFLUX_URL is not set/), expect.stringMatching(/url/)])
    const { config } = parseConfig(text, 'x.yaml', { INFLUX_URL: 'http://127.0.0.1:8086' })
    expect(config.store.influx).toMatchObject({ url: 'http://127.0.0.1:8086', password: 'none' })
  })

  it('reports YAML syntax errors with line and column', () => {
    expect(problems('sites: [\n  - a: b\n')[0]).toMatch(/^x\.yaml:\d+:\d+: YAML: /)
  })

  it('refuses scrypt hashes too cheap for what they protect', () => {
    const cheap = hashSecret('x'.repeat(43), undefined, GENERATED_SECRET_N)
    const device = (h: string) => `      - { id: D1, kind: status, intervalS: 60, secretHash: "${h}" }`
    expect(problems(minimal(device(cheap)))).toEqual([])
    expect(problems(minimal(device(hashSecret('s', undefined, 256)))).join()).toMatch(/secretHash: secretHash has scrypt N = 256, below 1024/)
    const account = `accounts:\n  - { username: svc, role: service, sites: '*', passwordHash: "${cheap}" }`
    expect(problems(minimal(device(cheap), account)).join()).toMatch(/accounts\[0\]\.passwordHash: passwordHash has scrypt N = 1024, below 16384/)
  })

  it('says which file is missing', () => {
    expect(() => loadConfig('nope/missing.yaml')).toThrow(MinewatchError)
    expect(() => loadConfig('nope/missing.yaml')).toThrow(/configuration file not found: nope\/missing\.yaml/)
  })

  it('validates the console\'s tile layers: URL template, coordinate system, known sites', () => {
    const dev = '      - { id: D1, kind: status, intervalS: 60, secretHash: "scrypt$16384$8$1$c2FsdA$aGFzaA" }'
    const tiles = (yaml: string) => problems(minimal(dev, `console:\n${yaml}`))
    expect(tiles('  tiles: { url: "https://t.example/{z}/{x}/{y}.png", crs: gcj02 }\n  siteTiles: { s1: null }')).toEqual([])
    expect(parseConfig(minimal(dev, 'console:\n  tiles: { url: "http://127.0.0.1:9/{z}/{x}/{y}.png", crs: wgs84 }'), 'x.yaml', {}).config.console.tiles).toEqual({ url: 'http://127.0.0.1:9/{z}/{x}/{y}.png', crs: 'wgs84', maxZoom: 18 })
    expect(tiles('  tiles: { url: "https://t.example/{x}/{y}.png", crs: gcj02 }').join()).toMatch(/console\.tiles\.url: a tile URL template needs \{z\}, \{x\} and \{y\}/)
    expect(tiles('  tiles: { url: "ftp://t.example/{z}/{x}/{y}.png", crs: gcj02 }').join()).toMatch(/console\.tiles\.url: a tile URL is an http/)
    expect(tiles('  tiles: { url: "https://t.example/{z}/{x}/{y}.png" }').join()).toMatch(/console\.tiles\.crs/)
    expect(tiles('  tiles: { url: "https://t.example/{z}/{x}/{y}.png", crs: bd09 }').join()).toMatch(/console\.tiles\.crs/)
    expect(tiles('  siteTiles: { nowhere: null }').join()).toMatch(/console\.siteTiles\.nowhere: unknown site 'nowhere'/)
    expect(parseConfig(minimal(dev), 'x.yaml', {}).config.console).toEqual({ siteTiles: {} })
  })

  it('keeps the demo file parseable as the README promises', () => {
    expect(() => parseConfig(demoText, 'config/demo.yaml', {})).not.toThrow()
  })
})

describe('config: store.state (where the state lives)', () => {
  const withState = (yaml: string) => `${demoText}\nstore:\n  state:\n${yaml}\n`
  it('defaults to the embedded DuckDB file', () => {
    expect(parseConfig(demoText, 'x.yaml', {}).config.store.state).toEqual({ engine: 'duckdb' })
  })

  it('takes a postgres url, a password variable and a pool size, with defaults', () => {
    const { config } = parseConfig(withState('    engine: postgres\n    postgres: { url: "postgres://mw@db.internal:5432/minewatch", passwordEnv: MW_PG_PASSWORD }'), 'x.yaml', {})
    expect(config.store.state).toEqual({ engine: 'postgres', postgres: { url: 'postgres://mw@db.internal:5432/minewatch', passwordEnv: 'MW_PG_PASSWORD', poolSize: 10, claimLeaseMs: 300_000 } })
  })

  it('refuses postgres without its section, a password in the url, and a bad pool size', () => {
    expect(problems(withState('    engine: postgres')).join('\n')).toMatch(/store\.state\.postgres: store\.state\.engine postgres needs store\.state\.postgres/)
    expect(problems(withState('    engine: postgres\n    postgres: { url: "postgres://mw:secret@db:5432/minewatch" }')).join('\n')).toMatch(/store\.state\.postgres\.url: a postgres url must hold no password/)
    expect(problems(withState('    engine: postgres\n    postgres: { url: "mysql://db/x" }')).join('\n')).toMatch(/store\.state\.postgres\.url: a postgres url is postgres:/)
    expect(problems(withState('    engine: postgres\n    postgres: { url: "postgres://mw@db/x", poolSize: 0 }')).join('\n')).toMatch(/store\.state\.postgres\.poolSize/)
    expect(problems(withState('    engine: sqlite')).join('\n')).toMatch(/store\.state\.engine/)
  })
})
