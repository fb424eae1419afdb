import { describe, it, expect } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { hashSecret } from '../../../core/secrets.js'
import { Authenticator } from '../../../broker/auth.js'

const yaml = `
demo: true
sites:
  - id: s1
    name: Site 1
    province: 浙江省
    licence: L1
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [120, 30], [120.01, 30], [120.01, 30.01], [120, 30] ] ] }
    devices:
      - { id: D-PLAIN, kind: water, role: fresh_intake, intervalS: 60, password: plain-secret-1 }
      - { id: D-HASH, kind: ore, role: belt_scale, intervalS: 60, secretHash: '${hashSecret('hashed-secret-2')}' }
accounts:
  - { username: svc, role: service, password: service-pw-123 }
`

describe('Authenticator', () => {
  const { config } = parseConfig(yaml)
  const auth = new Authenticator(new Registry(config), config.accounts)
  const pw = (s: string): Buffer => Buffer.from(s)

  it.each([
    ['D-PLAIN', 'plain-secret-1', { type: 'device', username: 'D-PLAIN', site: 's1', kind: 'water' }],
    ['D-HASH', 'hashed-secret-2', { type: 'device', username: 'D-HASH', site: 's1', kind: 'ore' }],
    ['svc', 'service-pw-123', { type: 'account', username: 'svc', role: 'service', sites: '*' }]
  ])('accepts %s with its secret', async (user, secret, principal) => {
    expect(await auth.check(user, pw(secret))).toEqual({ ok: true, principal })
    // second time from the SecretVerifier cache: same answer, and known without waiting
    expect(await auth.check(user, pw(secret))).toEqual({ ok: true, principal })
    expect(auth.verified(user, pw(secret))).toEqual(principal)
  })

  it.each([
    ['D-PLAIN', 'plain-secret-2', 'bad_password'],
    ['D-PLAIN', 'plain-secret-1x', 'bad_password'],
    ['D-HASH', 'plain-secret-1', 'bad_password'],
    ['D-HASH', '', 'no_credentials'],
    ['svc', 'hashed-secret-2', 'bad_password'],
    ['nobody', 'plain-secret-1', 'unknown_user'],
    ['', 'x', 'no_credentials']
  ])('refuses %s / %s: %s', async (user, secret, reason) => {
    expect(await auth.check(user || undefined, secret ? pw(secret) : undefined)).toEqual({ ok: false, reason })
    expect(auth.verified(user || undefined, secret ? pw(secret) : undefined)).toBeUndefined()
  })
})
