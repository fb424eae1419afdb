import { it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { parseConfig } from '../../../core/config.js'

const TEXT = readFileSync('test/fixtures/hj212/minewatch.yaml', 'utf8')

function problems (text: string): string {
  try {
    parseConfig(text, 'hj.yaml')
  } catch (err) {
    return (err as Error).message
  }
  return ''
}

it('reads hj212 device entries with their defaults', () => {
  const c = parseConfig(TEXT, 'hj.yaml').config
  const d = c.sites[0]!.devices.find((x) => x.id === 'HJ-DUST02')!
  expect(d.hj212).toEqual({ mn: 'GM0001DUST0002', pw: '654321', crc: 'swapped', length: 'chars', encoding: 'utf8', minuteIntervalS: 60 })
  expect(c.hj212.port).toBe(0)
  expect(c.hj212.backfill).toEqual({ enabled: true, gapFactor: 3, maxS: 604_800 })
})

it('check-config reports an MN used twice, with the line', () => {
  const text = TEXT.replace('mn: GM0001DUST0002', 'mn: GM0001DUST0001')
  expect(problems(text)).toMatch(/hj\.yaml:\d+: sites\[0\]\.devices\[1\]\.hj212\.mn: HJ 212 MN 'GM0001DUST0001' is already used by device 'HJ-DUST01'/)
})

it('refuses a plain pw outside demo configs, an entry without pw or pwHash, and HJ 212 on other kinds', () => {
  expect(problems(TEXT.replace('demo: true', 'demo: false').replace(/password: demo-MQ-DUST01-pw/, 'secretHash: scrypt$16384$8$1$AAAA$BBBB').replace(/token: demo-(\w+)-token(-0001)?/g, 'tokenHash: scrypt$16384$8$1$AAAA$BBBB')))
    .toMatch(/hj212\.pw: plain HJ 212 passwords are allowed only in demo configs/)
  expect(problems(TEXT.replace('hj212: { mn: GM0001DUST0001, pw: "123456" }', 'hj212: { mn: GM0001DUST0001 }'))).toMatch(/hj212\.pwHash: an HJ 212 device needs pwHash/)
  expect(problems(TEXT.replace('crc: swapped', 'crc: reversed'))).toMatch(/hj212\.crc/)
  expect(problems(TEXT.replace(/kind: water\n {8}role: discharge/, 'kind: ore\n        role: truck_scale'))).toMatch(/HJ 212 devices are dust monitors or water meters/)
})
