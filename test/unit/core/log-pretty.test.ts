import { describe, it, expect } from 'vitest'
import { prettyLine } from '../../../core/log-pretty.js'
import { defaultLogFormat } from '../../../core/log.js'
import { welcomeText } from '../../../bin/welcome.js'
import { parseConfig } from '../../../core/config.js'
import { readFileSync } from 'node:fs'

describe('human log lines (core/log-pretty.ts)', () => {
  it('turns a pino record into one short line with its fields', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2025, 0, 1, 2, 3, 4), pid: 1, hostname: 'h', name: 'minewatch', part: 'api', msg: 'slow client', token: 'x y', n: 3 }))
    expect(line).toMatch(/^\d\d:\d\d:\d\d WARN {2}api: slow client {2}token="x y" n=3\n$/)
    expect(line).not.toContain('hostname')
  })

  it('passes a line that is not JSON through unchanged', () => {
    expect(prettyLine('plain text')).toBe('plain text\n')
  })

  it('is pretty on a terminal and JSON otherwise, unless MINEWATCH_LOG_FORMAT says', () => {
    expect(defaultLogFormat({ isTTY: true }, {})).toBe('pretty')
    expect(defaultLogFormat({ isTTY: false }, {})).toBe('json')
    expect(defaultLogFormat({ isTTY: true }, { MINEWATCH_LOG_FORMAT: 'json' })).toBe('json')
  })
})

describe('the welcome text of minewatch up', () => {
  it('prints the console URL and, for a demo config only, the demo logins', () => {
    const text = readFileSync('config/demo.yaml', 'utf8')
    const demo = parseConfig(text, 'config/demo.yaml', {}).config
    const out = welcomeText({ config: demo, httpPort: 8080, mqttPort: 1883, host: '0.0.0.0', simulate: true })
    expect(out).toContain('console   http://localhost:8080/')
    expect(out).toContain('demo-operator-zj-token')
    expect(out).toContain('demo-regulator-all-token')
    const prod = { ...demo, demo: false }
    expect(welcomeText({ config: prod, httpPort: 8080, mqttPort: 1883, host: '127.0.0.1', simulate: false })).not.toContain('demo-')
  })
})
