import { describe, it, expect } from 'vitest'
import { parseConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { hashSecret, SecretVerifier } from '../../../core/secrets.js'
import { Authenticator } from '../../../broker/auth.js'
import { oneSiteYaml } from '../../helpers/site-yaml.js'

const yaml = oneSiteYaml(`    devices:
      - { id: D-PLAIN, kind: water, role: fresh_intake, intervalS: 60, password: plain-secret-1 }
      - { id: D-HASH, kind: ore, role: belt_scale, intervalS: 60, secretHash: '${hashSecret('hashed-secret-2')}' }`, `accounts:
  - { username: svc, role: service, password: service-pw-123 }`)

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

describe('Authenticator across a reload (rotation window, disabled devices)', () => {
  const OLD = hashSecret('old-secret-1')
  const NEXT = hashSecret('next-secret-2')
  const site = (devices: string) => oneSiteYaml(`    devices:\n${devices}`, `accounts:
  - { username: svc, role: service, passwordHash: '${OLD}', nextPasswordHash: '${NEXT}' }`)
  const build = (devices: string, verifier: SecretVerifier) => {
    const { config } = parseConfig(site(devices))
    return new Authenticator(new Registry(config), config.accounts, verifier)
  }
  const pw = (s: string): Buffer => Buffer.from(s)

  it('accepts both secrets in the window, only the new one after it, and never the removed one from the cache', async () => {
    const verifier = new SecretVerifier()
    const during = build(`      - { id: D1, kind: ore, role: belt_scale, intervalS: 60, secretHash: '${OLD}', nextSecretHash: '${NEXT}' }`, verifier)
    expect((await during.check('D1', pw('old-secret-1'))).ok).toBe(true)
    expect((await during.check('D1', pw('next-secret-2'))).ok).toBe(true)
    expect((await during.check('svc', pw('next-secret-2'))).ok).toBe(true)
    expect((await during.check('D1', pw('other-secret-3'))).ok).toBe(false)
    expect(during.verified('D1', pw('old-secret-1'))?.username).toBe('D1')

    // the same verifier (its cache holds the old secret as verified) behind the config after the window
    const after = build(`      - { id: D1, kind: ore, role: belt_scale, intervalS: 60, secretHash: '${NEXT}' }`, verifier)
    expect(after.verified('D1', pw('old-secret-1'))).toBeUndefined()
    expect(await after.check('D1', pw('old-secret-1'))).toEqual({ ok: false, reason: 'bad_password' })
    expect((await after.check('D1', pw('next-secret-2'))).ok).toBe(true)
  })

  it('refuses a disabled device like an unknown one and gives it no principal', async () => {
    const auth = build('      - { id: D1, kind: water, role: fresh_intake, intervalS: 60, password: plain-secret-1, disabled: true }', new SecretVerifier())
    expect(await auth.check('D1', pw('plain-secret-1'))).toEqual({ ok: false, reason: 'unknown_user' })
    expect(auth.principalFor('D1')).toBeUndefined()
    expect(auth.principalFor('svc')).toEqual({ type: 'account', username: 'svc', role: 'service', sites: '*' })
  })
})
