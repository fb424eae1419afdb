/** Shapes of the API's answers, taken from the server's own schemas (type-only: nothing of api/ is bundled). */
import type { z } from 'zod'
import type { alertSchema, transitionSchema, readingSchema } from '../../api/schemas.js'
export type { DailyReport } from '../../api/reports/schema.js'
export type { SiteScreen, OverviewRow } from '../../api/reports/screen.js'

export type Alert = z.infer<typeof alertSchema>
export type Transition = z.infer<typeof transitionSchema>
export type Reading = z.infer<typeof readingSchema> & { name: string | null, role: string | null }

export interface DeviceView { id: string, kind: string, name: string | null, role: string | null, unit: string | null, intervalS: number, location: [number, number] | null }
export interface DustLimit { metric: string, limit: number, windowS: number, standard: string | null, severity: string, roles: string[] | null }
export interface SiteDetail {
  id: string, name: string, province: string, licence: string, mineral: string, scaleTPerYear: number
  dustLimits: DustLimit[]
  water: { floor: number, formula: string, standard: string }
  deviceList: DeviceView[]
}
export interface SitesList { items: { id: string, name: string, province: string }[] }
export interface GeoFeature { id: string, geometry: { type: 'Polygon', coordinates: [number, number][][] }, properties: Record<string, unknown> }
export interface Series { points: { device: string, t: number, value: number }[], stepMs: number, unit: string }
