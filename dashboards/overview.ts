/**
 * 监管总览: every site of the registry on one screen for a regulator: a table (worst dust
 * ratio, recycling rate, breaches today, offline devices, open alerts), a map of the sites
 * and the alert timeline.
 */
import { DashboardBuilder, DashboardLinkBuilder, DashboardLinkType, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { BigValueColorMode, BigValueGraphMode, BigValueTextMode, GraphDrawStyle, StackingConfigBuilder, StackingMode, VizLegendOptionsBuilder, LegendDisplayMode, LegendPlacement, MapLayerOptionsBuilder, FrameGeometrySourceBuilder, FrameGeometrySourceMode, TableCellDisplayMode, TableSortByFieldStateBuilder } from '@grafana/grafana-foundation-sdk/common'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries'
import { PanelBuilder as GeomapPanel, MapViewConfigBuilder, ControlsOptionsBuilder, TooltipOptionsBuilder, TooltipMode } from '@grafana/grafana-foundation-sdk/geomap'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import type { Config } from '../core/config.js'
import { MEASUREMENT } from '../core/kinds.js'
import { select, as, call, since } from './influxql.js'
import { DATASOURCE, influx } from './target.js'
import * as q from './queries.js'
import { at } from './layout.js'
import { UNITS, GREEN, ORANGE, RED, thresholds, byName, byType, prop, valueText, lastNotNull } from './fields.js'
import { HEALTH_ALERT_KINDS, alertMappings } from './labels.js'
import { DASHBOARD_DEFAULTS, GAZETTEER_GEOJSON_PATH, GAZETTEER_PATH, OVERVIEW_UID, SITE_UID } from './options.js'
import { PRESENCE_FIELD } from './site-facts.js'

/** Seconds within which a site must have sent dust data to count as reporting. */
const SITE_REPORTING_S = 3600 // 1 h

const siteNames = (config: Config): Record<string, string> => Object.fromEntries(config.sites.map((s) => [s.id, s.name]))
const siteLink = { title: '打开矿山一屏', url: `/d/${SITE_UID}?var-site=\${__value.raw}`, targetBlank: false }

function summaryStat (id: number, x: number, title: string, description: string): StatPanel {
  return new StatPanel().id(id).title(title).description(description).gridPos(at(x, 0, 6, 3))
    .datasource(DATASOURCE).unit(UNITS.count).decimals(0).noValue('0')
    .colorMode(BigValueColorMode.Background).graphMode(BigValueGraphMode.None).textMode(BigValueTextMode.Value)
    .reduceOptions(lastNotNull())
}

function summaries (config: Config): StatPanel[] {
  const total = config.sites.length
  const reporting = select(as('count("n")', 'sites')).from(
    select(as(call('count', PRESENCE_FIELD), 'n')).from(MEASUREMENT.dust).where(since(SITE_REPORTING_S)).groupBy('site'))
  return [
    summaryStat(1, 0, `有数据矿山 (共 ${total} 座)`, '最近 1 小时内有扬尘数据上报的矿山数; 少于登记总数时为橙色, 无数据为红色。')
      .withTarget(influx('A', reporting))
      .thresholds(thresholds(RED, [1, ORANGE], [total, GREEN])),
    summaryStat(2, 6, '今日超标次数', '今日 (北京时间) 所有矿山触发的告警数, 不含设备离线与数据质量。')
      .timeFrom('now/d')
      .withTarget(influx('A', select(as('sum("breaches")', 'breaches')).from(q.firedCount('breaches', false, HEALTH_ALERT_KINDS))))
      .thresholds(thresholds(GREEN, [1, RED])),
    summaryStat(3, 12, '未关闭告警', '所有矿山当前未解除的告警数 (触发次数减解除次数)。')
      .withTarget(influx('A', select(as('sum("open")', 'open')).from(q.openAlertCount('open', false))))
      .thresholds(thresholds(GREEN, [1, ORANGE])),
    summaryStat(4, 18, '离线设备', '所有矿山当前未解除的「设备离线」告警数。')
      .withTarget(influx('A', select(as('sum("offline")', 'offline')).from(q.openAlertCount('offline', false, ['device_offline']))))
      .thresholds(thresholds(GREEN, [1, ORANGE]))
  ]
}

function sitesTable (config: Config): TablePanel {
  const floors = [...new Set(config.sites.map((s) => s.water.floor))]
  const rateProps = floors.length === 1 ? [prop.thresholds(RED, [floors[0]!, GREEN]), prop.cell(TableCellDisplayMode.ColorText)] : []
  const p = new TablePanel().id(5).title('各矿山状况').gridPos(at(0, 3, 14, 11))
    .description('每座矿山一行: 最大扬尘比值 = 各监测仪在限值平均时间窗内的 TSP 均值 ÷ 本矿限值的最大值 (≥100% 即超标); 今日水循环利用率; 今日超标次数 (不含设备离线与数据质量); 离线设备; 未关闭告警。点击矿山名打开该矿的一屏。' +
      (floors.length === 1 ? '' : ' 各矿水循环下限不同, 该列不着色, 以各矿一屏为准。'))
    .datasource(DATASOURCE).timeFrom('now/d').hideTimeOverride(true)
  const dust = q.dustWorstRatio(config, false)
  const water = q.waterRate(config, false)
  if (dust) p.withTarget(influx('A', dust, { format: 'table' }))
  if (water) p.withTarget(influx('B', water, { format: 'table' }))
  return p
    .withTarget(influx('C', q.firedCount('breaches_today', false, HEALTH_ALERT_KINDS), { format: 'table' }))
    .withTarget(influx('D', q.openAlertCount('offline_devices', false, ['device_offline']), { format: 'table' }))
    .withTarget(influx('E', q.openAlertCount('open_alerts', false), { format: 'table' }))
    .transformations([{ id: 'joinByField', options: { byField: 'site', mode: 'outer' } }])
    .sortBy([new TableSortByFieldStateBuilder().displayName('最大扬尘比值').desc(true)])
    .noValue('-')
    .overrides([
      byType('time', [prop.hidden()]),
      byName('site', [prop.displayName('矿山'), prop.mappings([valueText(siteNames(config))]), { id: 'links', value: [siteLink] }, prop.width(220)]),
      byName('dust_ratio', [prop.displayName('最大扬尘比值'), prop.unit(UNITS.percent01), prop.decimals(0),
        prop.thresholds(GREEN, [0.8, ORANGE], [1, RED]), prop.cell(TableCellDisplayMode.ColorBackground)]),
      byName('rate', [prop.displayName('今日水循环利用率'), prop.unit(UNITS.percent01), prop.decimals(1), ...rateProps]),
      byName('breaches_today', [prop.displayName('今日超标'), prop.unit(UNITS.count), prop.thresholds(GREEN, [1, RED]), prop.cell(TableCellDisplayMode.ColorText), prop.noValue('0')]),
      byName('offline_devices', [prop.displayName('离线设备'), prop.unit(UNITS.count), prop.thresholds(GREEN, [1, ORANGE]), prop.cell(TableCellDisplayMode.ColorText), prop.noValue('0')]),
      byName('open_alerts', [prop.displayName('未关闭告警'), prop.unit(UNITS.count), prop.thresholds(GREEN, [1, ORANGE]), prop.cell(TableCellDisplayMode.ColorText), prop.noValue('0')])
    ])
}

function sitesMap (config: Config): GeomapPanel {
  const p = new GeomapPanel().id(6).title('矿山分布').gridPos(at(14, 3, 10, 11))
    .description('灰色为各矿采矿许可范围和位置 (由站点配置生成); 圆点颜色为最大扬尘比值: 绿 < 80%, 橙 < 100%, 红为超标。无近期扬尘数据的矿山只显示灰色。')
    .datasource(DATASOURCE)
    .unit(UNITS.percent01).thresholds(thresholds(GREEN, [0.8, ORANGE], [1, RED]))
    .view(new MapViewConfigBuilder().id('fit').allLayers(true).padding(20))
    .controls(new ControlsOptionsBuilder().showZoom(true).mouseWheelZoom(true).showScale(true).showAttribution(true))
    .basemap(new MapLayerOptionsBuilder().type('default').name('底图'))
    .tooltip(new TooltipOptionsBuilder().mode(TooltipMode.Details))
  const dust = q.dustWorstRatio(config, false)
  const layers = [
    new MapLayerOptionsBuilder().type('geojson').name('矿区范围').tooltip(true).config({
      src: GAZETTEER_GEOJSON_PATH,
      style: { color: { fixed: 'text' }, opacity: 0.3, lineWidth: 1 },
      rules: []
    })
  ]
  if (dust) {
    p.withTarget(influx('A', dust, { format: 'table' }))
    layers.push(new MapLayerOptionsBuilder().type('markers').name('最大扬尘比值').tooltip(true)
      .location(new FrameGeometrySourceBuilder().mode(FrameGeometrySourceMode.Lookup).lookup('site').gazetteer(GAZETTEER_PATH))
      .filterData({ id: 'byRefId', options: 'A' })
      .config({
        showLegend: true,
        style: {
          color: { field: 'dust_ratio', fixed: 'green' },
          opacity: 0.9,
          size: { fixed: 10, min: 2, max: 15 },
          symbol: { fixed: 'img/icons/marker/circle.svg', mode: 'fixed' },
          symbolAlign: { horizontal: 'center', vertical: 'center' },
          rotation: { fixed: 0, min: -360, max: 360, mode: 'mod' }
        }
      }))
  }
  return p.layers(layers)
}

function timeline (config: Config): TimeseriesPanel {
  return new TimeseriesPanel().id(7).title('告警时间线 (触发次数)').gridPos(at(0, 14, 14, 11))
    .description('每个时间间隔内各矿山触发的告警数 (所有类型), 按矿山堆叠。')
    .datasource(DATASOURCE).withTarget(influx('A', q.firedTimeline(), { alias: '$tag_site' }))
    .unit(UNITS.count).decimals(0).min(0)
    .drawStyle(GraphDrawStyle.Bars).fillOpacity(80).lineWidth(1)
    .stacking(new StackingConfigBuilder().mode(StackingMode.Normal).group('A'))
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
    .overrides(config.sites.map((s) => byName(s.id, [prop.displayName(s.name)])))
}

function recentEvents (config: Config): TablePanel {
  return new TablePanel().id(8).title('最新告警事件').gridPos(at(14, 14, 10, 11))
    .description('所选时间范围内所有矿山的告警状态变化, 最新在上, 最多 200 条。')
    .datasource(DATASOURCE).withTarget(influx('A', q.alertEvents(false, 200), { format: 'table' }))
    .transformations([{
      id: 'organize',
      options: {
        excludeByName: { alertId: true, value: true, limit: true },
        renameByName: { Time: '时间', site: '矿山', kind: '类型', severity: '级别', [q.STATE_TAG]: '状态', message: '内容' }
      }
    }])
    .mappings([valueText(siteNames(config)), ...alertMappings()])
    .cellOptions({ type: TableCellDisplayMode.ColorText }).noValue('无告警事件')
    .overrides([byName('时间', [prop.unit(UNITS.dateTime), prop.width(160)]), byName('矿山', [{ id: 'links', value: [siteLink] }])])
}

/** The 监管总览 dashboard over every site in `config`. */
export function overviewDashboard (config: Config): Dashboard {
  const b = new DashboardBuilder('监管总览').uid(OVERVIEW_UID)
    .description('所有矿山的监管总览: 扬尘、水循环、超标、离线设备、未关闭告警、分布图与告警时间线 (minewatch 生成, 请勿在界面中修改)。')
    .tags(['minewatch', '监管']).timezone(DASHBOARD_DEFAULTS.timezone).readonly()
    .time({ from: 'now-7d', to: 'now' }).refresh('1m')
    .link(new DashboardLinkBuilder('矿山一屏').type(DashboardLinkType.Link).url(`/d/${SITE_UID}`).icon('dashboard').tooltip('').keepTime(false).includeVars(false).targetBlank(false).asDropdown(false).tags([]))
  for (const p of [...summaries(config), sitesTable(config), sitesMap(config), timeline(config), recentEvents(config)]) b.withPanel(p)
  return b.build()
}
