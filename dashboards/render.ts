/**
 * Renders every generated file from a config: the two dashboards and the overview map's
 * gazetteer. Output is deterministic: object keys sorted, 2-space indent, no timestamps.
 */
import type { Config } from '../core/config.js'
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { siteDashboard } from './site.js'
import { overviewDashboard } from './overview.js'
import { siteGazetteer, sitesGeoJSON } from './gazetteer.js'
import { layoutProblems } from './layout.js'
import type { GenerateOptions } from './options.js'

/** Folder (relative to the repository root) of the provisioned dashboard JSON. */
export const JSON_DIR = 'dashboards/provisioning/dashboards/json'
/** Folder of the generated gazetteer files (served by Grafana under public/gazetteer/minewatch/). */
export const GAZETTEER_DIR = 'dashboards/gazetteer'

/** JSON with object keys sorted at every level, so regeneration gives byte-identical files. */
export function canonicalJSON (value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort)
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, sort((v as Record<string, unknown>)[k])]))
    }
    return v
  }
  return JSON.stringify(sort(value), null, 2) + '\n'
}

/**
 * Fixes SDK 0.0.21 defaults Grafana versions before 12 misread: an annotations object without
 * its list, and dashboard links placed in the controls menu (a Grafana 12 option).
 */
function finalise (d: Dashboard): Dashboard {
  if (!d.annotations?.list) d.annotations = { list: [] }
  for (const link of d.links ?? []) delete link.placement
  return d
}

/** Both dashboards. Throws when a layout breaks the one-screen rules. */
export function buildDashboards (config: Config, opts: GenerateOptions): Dashboard[] {
  const dashboards = [siteDashboard(config, opts), overviewDashboard(config)].map(finalise)
  for (const d of dashboards) {
    const problems = layoutProblems(d)
    if (problems.length > 0) throw new Error(`dashboard ${d.uid}: layout problems:\n  ${problems.join('\n  ')}`)
  }
  return dashboards
}

/** Every generated file: repository-relative path → content. */
export function renderAll (config: Config, opts: GenerateOptions): Map<string, string> {
  const files = new Map<string, string>()
  for (const d of buildDashboards(config, opts)) files.set(`${JSON_DIR}/${d.uid}.json`, canonicalJSON(d))
  files.set(`${GAZETTEER_DIR}/sites.json`, canonicalJSON(siteGazetteer(config)))
  files.set(`${GAZETTEER_DIR}/sites.geojson`, canonicalJSON(sitesGeoJSON(config)))
  return files
}
