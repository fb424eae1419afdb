import { parseConfig } from '../../core/config.js'
import { isMinewatchError } from '../../core/errors.js'

/** Config text of a demo config with one small site `s1` (for tests that edit a config and parse it again). */
export function oneSiteYaml (siteLines: string, rest = ''): string {
  return `
demo: true
sites:
  - id: s1
    name: Site 1
    province: 浙江省
    licence: L1
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [120, 30], [120.01, 30], [120.01, 30.01], [120, 30] ] ] }
${siteLines}
${rest}`
}

/** The problems parseConfig reports for a config text (`file:line: path: message` each), or [] when it loads. */
export function configProblems (text: string, file = 'x.yaml'): string[] {
  try { parseConfig(text, file, {}) } catch (err) {
    if (isMinewatchError(err, 'MW_CONFIG_INVALID')) return err.details as string[]
    throw err
  }
  return []
}
