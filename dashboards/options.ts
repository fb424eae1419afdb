/** Generation settings: dashboard uids, the public API URL the browser fetches GeoJSON from, paths. */

/** Fixed uids: links and bookmarks (/d/<uid>) survive regeneration. */
export const SITE_UID = 'minewatch-site'
export const OVERVIEW_UID = 'minewatch-overview'

export const DASHBOARD_DEFAULTS = Object.freeze({
  /** Beijing time: "today", "this month" and "this year" panels start at Beijing midnight. */
  timezone: 'Asia/Shanghai'
})

/** Where Grafana serves the generated site gazetteer (mount dashboards/gazetteer/ at /usr/share/grafana/public/gazetteer/minewatch/). */
export const GAZETTEER_PATH = 'public/gazetteer/minewatch/sites.json'
/** ... and the sites' licence boundaries, zones and positions as GeoJSON. */
export const GAZETTEER_GEOJSON_PATH = 'public/gazetteer/minewatch/sites.geojson'

export interface GenerateOptions {
  /**
   * minewatch API base URL as the dashboard viewer's browser reaches it (no trailing slash).
   * When set, the site map loads `<apiUrl>/api/v1/sites/${site}/boundary.geojson` (needs a Grafana
   * that interpolates variables in GeoJSON URLs, and an API answering it without a token, with CORS);
   * when not, it loads the registry's boundaries and zones that Grafana serves itself
   * (GAZETTEER_GEOJSON_PATH). Env MINEWATCH_PUBLIC_API_URL at generation time.
   */
  apiUrl?: string
}

/** Default config file the checked-in dashboards are generated from. */
export const DEFAULT_CONFIG = 'config/demo.yaml'
/** Reads generation options from the environment. */
export function optionsFromEnv (env: NodeJS.ProcessEnv = process.env): GenerateOptions {
  const raw = env.MINEWATCH_PUBLIC_API_URL
  if (raw === undefined || raw === '') return {}
  const apiUrl = raw.replace(/\/+$/, '')
  if (!/^https?:\/\/[^\s]+$/.test(apiUrl)) throw new Error(`MINEWATCH_PUBLIC_API_URL must be an http(s) URL, got ${JSON.stringify(raw)}`)
  return { apiUrl }
}
