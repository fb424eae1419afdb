import { describe, it, expect } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { diffConfig, isEmptyDiff } from '../../../reload/diff.js'
import { oneSiteYaml } from '../../helpers/site-yaml.js'

/** A one-site config; each case edits its text. */
const BASE = oneSiteYaml(`    dust:
      limits:
        - { metric: tsp, limit: 1.0, windowS: 3600, standard: GB 16297-1996 }
        - { metric: tsp, limit: 1.0, windowS: 3600, roles: [ extraction ] }
    devices:
      - { id: D1, kind: dust, role: extraction, unit: mg/m3, intervalS: 60, password: d1-secret-1 }
      - { id: D2, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, password: d2-secret-2 }`, `accounts:
  - { username: svc, role: service, password: service-pw-1 }
api:
  tokens:
    - { name: admin, role: admin, token: admin-token-000000001 }
`)
const parse = (text: string) => parseConfig(text).config
const none = { added: [], removed: [], changed: [] }

describe('diffConfig', () => {
  it.each([
    ['nothing changed', BASE, {}],
    ['device added, one disabled, one secret changed', BASE
      .replace('password: d2-secret-2 }', 'password: d2-secret-3, disabled: true }')
      .replace('accounts:', '      - { id: D3, kind: dust, role: transport, unit: mg/m3, intervalS: 60, password: d3-secret-3 }\naccounts:'),
    { devices: { added: ['D3'], removed: [], changed: [{ id: 'D2', fields: ['disabled', 'password'] }], disabled: ['D2'], enabled: [] } }],
    ['device removed', BASE.replace(/^ {6}- \{ id: D2.*\n/m, ''),
      { devices: { added: [], removed: ['D2'], changed: [], disabled: [], enabled: [] } }],
    ['legal and operational limit of the same window told apart', BASE.replace('windowS: 3600, roles', 'windowS: 3600, holdS: 60, roles'),
      { sites: { ...none, changed: [{ id: 's1', fields: ['dust'] }] }, limits: [{ site: 's1', limit: 'tsp:3600[extraction]', change: 'changed', fields: ['holdS'] }] }],
    ['limit added and removed', BASE.replace('metric: tsp, limit: 1.0, windowS: 3600, standard', 'metric: pm10, limit: 0.15, windowS: 86400, standard'),
      { sites: { ...none, changed: [{ id: 's1', fields: ['dust'] }] }, limits: [{ site: 's1', limit: 'pm10:86400[GB 16297-1996]', change: 'added' }, { site: 's1', limit: 'tsp:3600[GB 16297-1996]', change: 'removed' }] }],
    ['accounts and tokens', BASE.replace('service-pw-1', 'service-pw-2').replace('name: admin, role: admin', 'name: ops, role: admin'),
      { accounts: { ...none, changed: [{ id: 'svc', fields: ['password'] }] }, tokens: { added: ['ops'], removed: ['admin'], changed: [] } }],
    ['settings read at start only', `${BASE}broker:\n  host: 127.0.0.1\nstore:\n  kind: duckdb\n  duckdb: { threads: 1 }\nhj212:\n  port: 9212\n`.replace('api:\n', 'api:\n  host: 127.0.0.1\n'),
      { needsRestart: ['api.host', 'broker.host', 'hj212.port', 'store.duckdb'] }]
  ])('%s', (_name, after, expected) => {
    const d = diffConfig(parse(BASE), parse(after))
    expect(d).toEqual({
      sites: none, devices: { ...none, disabled: [], enabled: [] }, limits: [], accounts: none, tokens: none, needsRestart: [],
      ...expected
    })
    expect(isEmptyDiff(d)).toBe(Object.keys(expected).length === 0)
  })

  it('never holds a secret value', () => {
    const d = diffConfig(parse(BASE), parse(BASE.replace('d1-secret-1', 'd1-secret-9').replace('admin-token-000000001', 'admin-token-000000009')))
    expect(JSON.stringify(d)).not.toMatch(/secret-|admin-token-/)
  })
})
