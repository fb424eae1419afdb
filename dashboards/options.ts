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

export interface GenerateOptions {
  /**
   * minewatch API base URL as the dashboard viewer's browser reaches it (no trailing slash),
   * for the site boundary GeoJSON. Env MINEWATCH_PUBLIC_API_URL at generation time.
   */
  apiUrl: string
}

/** Default config file the checked-in dashboards are generated from. */
export const DEFAULT_CONFIG = 'config/demo.yaml'
/** Default public API URL: the API's default port on the same host. */
export const DEFAULT_API_URL = 'http://localhost:8080'

/** Reads generation options from the environment. */
export function optionsFromEnv (env: NodeJS.ProcessEnv = process.env): GenerateOptions {
  const apiUrl = (env.MINEWATCH_PUBLIC_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '')
  if (!/^https?:\/\/[^\s]+$/.test(apiUrl)) throw new Error(`MINEWATCH_PUBLIC_API_URL must be an http(s) URL, got ${JSON.stringify(apiUrl)}`)
  return { apiUrl }
}
