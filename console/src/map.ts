/**
 * Site maps with Leaflet: vector drawing from the registry (licence boundary, zones,
 * monitors, people and vehicles) that needs no tiles at all, and an optional tile layer
 * (URL template + its coordinate system). Registry coordinates are CGCS2000 ≈ WGS84; on
 * GCJ-02 tiles everything drawn is converted first (gcj02.ts), so it lines up with the tiles.
 */
import L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import { toTileCoords, type TileCrs } from './gcj02.js'
import type { GeoFeature } from './types.js'

export interface TileSetting { url: string, crs: TileCrs, attribution?: string | null, maxZoom?: number }
/** GET /api/v1/console: the tile layers of the server's config (core/config.ts `console:`). */
export interface ConsoleSettings { tiles: TileSetting | null, siteTiles: Record<string, TileSetting | null> }

const TILE_KEY = 'mw.tiles'

/** This browser's own tile layer (localStorage `mw.tiles`), which overrides the server's. */
export function localTileSetting (): TileSetting | null {
  try {
    const v = JSON.parse(localStorage.getItem(TILE_KEY) ?? 'null') as TileSetting | null
    return v && typeof v.url === 'string' && v.url.includes('{z}') ? v : null
  } catch { return null }
}

export function saveTileSetting (v: TileSetting | null): void {
  if (v) localStorage.setItem(TILE_KEY, JSON.stringify(v))
  else localStorage.removeItem(TILE_KEY)
}

/** The tile layer of a map: this browser's, else the site's from the config, else the config's global one, else none. */
export function tileSetting (settings: ConsoleSettings | null, site?: string): TileSetting | null {
  const local = localTileSetting()
  if (local) return local
  if (!settings) return null
  if (site !== undefined && Object.hasOwn(settings.siteTiles, site)) return settings.siteTiles[site] ?? null
  return settings.tiles
}

export interface Entity { id: string, kind: string, lon: number, lat: number, breach: boolean }
export interface Monitor { id: string, label: string, lon: number, lat: number, state: 'ok' | 'alert' | 'offline' }

const COLORS = { boundary: '#38bdf8', zone: '#f97316', person: '#4ade80', vehicle: '#facc15', breach: '#ef4444', monitor: '#a78bfa', offline: '#6b7280' }

export class SiteMap {
  readonly map: L.Map
  private readonly conv: (lon: number, lat: number) => [number, number]
  private readonly renderer = L.canvas({ padding: 0.2 })
  private readonly geoLayer = L.layerGroup()
  private readonly monitorLayer = L.layerGroup()
  private readonly entityLayer = L.layerGroup()
  private readonly entities = new Map<string, L.CircleMarker>()
  private fitted = false
  private monitorsKey = ''
  /** Set by remove(): a page's data that arrives after it was left must not draw on the removed map. */
  private removed = false

  constructor (el: HTMLElement, tiles: TileSetting | null) {
    this.conv = toTileCoords(tiles?.crs)
    const attribution = tiles?.attribution ?? ''
    // No animations: a control-room screen gains nothing from them, and a page left while one runs had Leaflet's deferred
    // animation callbacks touch the removed map ("Cannot read properties of undefined (reading '_leaflet_pos')", seen in CI).
    this.map = L.map(el, {
      attributionControl: attribution !== '', zoomControl: true, zoomSnap: 0.25, preferCanvas: true, maxZoom: tiles?.maxZoom ?? 19,
      zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false, inertia: false
    })
    this.map.attributionControl?.setPrefix(false) // the tiles' own attribution only, no Leaflet link (offline rooms)
    if (tiles) L.tileLayer(tiles.url, { maxZoom: tiles.maxZoom ?? 19, attribution, crossOrigin: false }).addTo(this.map)
    for (const layer of [this.geoLayer, this.monitorLayer, this.entityLayer]) layer.addTo(this.map)
    this.map.setView([35, 105], 4)
  }

  private ll (lon: number, lat: number): L.LatLngTuple {
    const [x, y] = this.conv(lon, lat)
    return [y, x]
  }

  /** Draws polygons (boundary and zones) and fits the view to them once. */
  setAreas (features: readonly GeoFeature[], styleOf: (f: GeoFeature) => L.PathOptions & { label?: string, onClick?: () => void } = defaultStyle, padding: L.PointTuple = [24, 24]): void {
    if (this.removed) return
    this.geoLayer.clearLayers()
    const bounds = L.latLngBounds([])
    for (const f of features) {
      const rings = f.geometry.coordinates.map((ring) => ring.map(([lon, lat]) => this.ll(lon, lat)))
      const { label, onClick, ...style } = styleOf(f)
      const poly = L.polygon(rings, { renderer: this.renderer, ...style })
      if (label) poly.bindTooltip(label, { sticky: true })
      if (onClick) poly.on('click', onClick)
      poly.addTo(this.geoLayer)
      bounds.extend(poly.getBounds())
    }
    if (!this.fitted && bounds.isValid()) {
      this.map.fitBounds(bounds, { padding, animate: false })
      this.fitted = true
    }
  }

  /** Point markers with a permanent label (sites on the overview, monitors on a site). */
  setMonitors (monitors: readonly Monitor[]): void {
    if (this.removed) return
    const key = monitors.map((m) => `${m.id}|${m.state}|${m.label}|${m.lon}|${m.lat}`).join(';')
    if (key === this.monitorsKey) return // unchanged: keep the markers (redrawn every second otherwise)
    this.monitorsKey = key
    this.monitorLayer.clearLayers()
    for (const m of monitors) {
      const color = m.state === 'alert' ? COLORS.breach : m.state === 'offline' ? COLORS.offline : COLORS.monitor
      L.circleMarker(this.ll(m.lon, m.lat), { renderer: this.renderer, radius: 8, color: '#fff', weight: 2, fillColor: color, fillOpacity: 1 })
        .bindTooltip(m.label, { permanent: true, direction: 'right', className: `mw-label mw-label-${m.state}` })
        .addTo(this.monitorLayer)
    }
  }

  /** People and vehicles: markers move in place (no re-creation), breaches drawn red and larger. */
  setEntities (list: readonly Entity[]): void {
    if (this.removed) return
    const seen = new Set<string>()
    for (const e of list) {
      seen.add(e.id)
      const color = e.breach ? COLORS.breach : e.kind === 'vehicle' ? COLORS.vehicle : COLORS.person
      const radius = e.breach ? 9 : e.kind === 'vehicle' ? 6 : 4
      let m = this.entities.get(e.id)
      if (!m) {
        m = L.circleMarker(this.ll(e.lon, e.lat), { renderer: this.renderer, radius, weight: 1, color: '#0b1220', fillColor: color, fillOpacity: 0.95 })
        m.bindTooltip(e.id)
        m.addTo(this.entityLayer)
        this.entities.set(e.id, m)
      } else {
        m.setLatLng(this.ll(e.lon, e.lat))
        m.setStyle({ fillColor: color })
        m.setRadius(radius)
      }
    }
    for (const [id, m] of this.entities) {
      if (!seen.has(id)) { m.remove(); this.entities.delete(id) }
    }
  }

  get entityCount (): number { return this.entities.size }

  /** The first vertex of the first area as drawn, lon/lat in the tiles' coordinates (tests check the GCJ-02 conversion). */
  get firstVertex (): [number, number] | null {
    const first = this.geoLayer.getLayers()[0] as L.Polygon | undefined
    const ring = first?.getLatLngs()[0] as L.LatLng[] | undefined
    return ring?.[0] ? [ring[0].lng, ring[0].lat] : null
  }

  /** Stops any pan in progress, then removes the map (a page is being left). */
  remove (): void {
    if (this.removed) return
    this.removed = true
    this.map.stop()
    for (const layer of [this.entityLayer, this.monitorLayer, this.geoLayer]) layer.clearLayers()
    this.entities.clear()
    this.map.remove()
    // Leaflet 1.9.4's canvas renderer can still run a redraw it requested (requestAnimationFrame) after removal dropped
    // its context, and threw "reading 'save'/'clearRect'" when a page was left while drawing (console-browser stress
    // test): a removed map has nothing to draw, so its renderer's clear and draw steps become no-ops.
    const r = this.renderer as unknown as { _clear: () => void, _draw: () => void }
    r._clear = r._draw = () => {}
  }
}

function defaultStyle (f: GeoFeature): L.PathOptions & { label?: string } {
  if (f.properties.kind === 'licence_boundary') {
    return { color: COLORS.boundary, weight: 3, fillColor: COLORS.boundary, fillOpacity: 0.06, dashArray: '8 6', label: String(f.properties.name ?? '') }
  }
  return { color: COLORS.zone, weight: 2, fillColor: COLORS.zone, fillOpacity: 0.25, label: String(f.properties.name ?? '') }
}
