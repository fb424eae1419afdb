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
