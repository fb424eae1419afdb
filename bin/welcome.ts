/** What `minewatch up` prints once it is up: where the console, API and broker are, and the demo logins. */
import type { Config } from '../core/config.js'

export interface WelcomeInput {
  config: Config
  httpPort: number
  mqttPort: number
  /** Host the listeners were bound to (shown as localhost when bound to every interface). */
  host: string
  simulate: boolean
}

function shownHost (host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host
}

/** Columns a string takes in a terminal (CJK characters take two). */
function columns (s: string): number {
  let n = 0
  for (const ch of s) n += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1
  return n
}

function pad (s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - columns(s)))
}

export function welcomeText (w: WelcomeInput): string {
  const host = shownHost(w.host)
  const base = `http://${host}:${w.httpPort}`
  const lines = [
    '',
    `  minewatch is up${w.simulate ? ' (simulated demo sites)' : ''}`,
    `  console   ${base}/`,
    `  API       ${base}/api/v1   (OpenAPI: ${base}/docs)`,
    `  MQTT      mqtt://${host}:${w.mqttPort}`
  ]
  const plain = w.config.api.tokens.filter((t) => t.token)
  if (w.config.demo && plain.length > 0) {
    lines.push('', '  demo logins (paste a token into the console; demo config only):')
    const width = Math.max(...plain.map((t) => columns(t.name)))
    for (const t of plain) {
      const sites = t.sites === '*' ? 'all sites' : t.sites.join(', ')
      lines.push(`    ${t.role.padEnd(9)} ${pad(t.name, width)}  ${t.token}   (${sites})`)
    }
  }
  lines.push('')
  return lines.join('\n') + '\n'
}
