/**
 * The one-screen budget and layout checks. Grafana's grid is 24 columns wide; a grid row is
 * 30 px tall with an 8 px gap between rows (Grafana's GRID_CELL_HEIGHT and GRID_CELL_VMARGIN),
 * so a panel h rows tall takes 38·h − 8 px and a layout R rows tall takes 38·R − 8 px.
 *
 * On a 1920×1080 screen the browser shows the full 1080 px in kiosk/full-screen mode; Grafana's
 * top bar (40 px), the variables and time-picker bar (48 px) and the dashboard padding
 * (2 × 16 px) leave 960 px: 38·R − 8 ≤ 960 gives R ≤ 25 rows.
 */
import type { Dashboard, GridPos, Panel } from '@grafana/grafana-foundation-sdk/dashboard'

export const GRID_COLUMNS = 24
export const ROW_PX = 30 // Grafana GRID_CELL_HEIGHT
export const ROW_GAP_PX = 8 // Grafana GRID_CELL_VMARGIN
export const SCREEN_HEIGHT_PX = 1080
/** Top bar 40 px + variables bar 48 px + padding 2 × 16 px. */
export const CHROME_PX = 40 + 48 + 2 * 16
/** Largest layout height, in grid rows, that fits the screen without scrolling. */
export const MAX_ROWS = Math.floor((SCREEN_HEIGHT_PX - CHROME_PX + ROW_GAP_PX) / (ROW_PX + ROW_GAP_PX)) // 25

/** Height in pixels of `rows` grid rows. */
export function rowsToPx (rows: number): number {
  return rows <= 0 ? 0 : rows * (ROW_PX + ROW_GAP_PX) - ROW_GAP_PX
}

/** A panel position: x, y, w, h in grid units. */
export function at (x: number, y: number, w: number, h: number): GridPos {
  return { x, y, w, h }
}

function overlaps (a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/** Every layout problem of a dashboard: missing/overlapping positions, width over 24, height over budget, duplicate ids. */
export function layoutProblems (d: Dashboard): string[] {
  const problems: string[] = []
  const panels = (d.panels ?? []) as Panel[]
  const ids = new Set<number>()
  const placed: { title: string, pos: GridPos }[] = []
  for (const p of panels) {
    const title = p.title ?? `(panel ${String(p.id)})`
    if (p.id === undefined) problems.push(`${title}: no id`)
    else if (ids.has(p.id)) problems.push(`${title}: duplicate id ${p.id}`)
    else ids.add(p.id)
    const g = p.gridPos
    if (!g) { problems.push(`${title}: no gridPos`); continue }
    if (![g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n))) problems.push(`${title}: gridPos must be integers`)
    if (g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1) problems.push(`${title}: gridPos out of range`)
    if (g.x + g.w > GRID_COLUMNS) problems.push(`${title}: x ${g.x} + w ${g.w} exceeds ${GRID_COLUMNS} columns`)
    if (g.y + g.h > MAX_ROWS) problems.push(`${title}: bottom at row ${g.y + g.h} exceeds the ${MAX_ROWS}-row (${rowsToPx(MAX_ROWS)} px) screen budget`)
    for (const o of placed) if (overlaps(g, o.pos)) problems.push(`${title}: overlaps ${o.title}`)
    placed.push({ title, pos: g })
  }
  return problems
}
