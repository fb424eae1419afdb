/**
 * The reading kinds and their fields: the one place where measurement, tag and
 * field names are defined. Stores, dashboards and docs/storage.md all follow it.
 */

export const KINDS = ['dust', 'water', 'locator', 'ore', 'status', 'energy'] as const
export type Kind = (typeof KINDS)[number]

export function isKind (value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value)
}

/** Type of a stored field value. */
export type FieldType = 'float' | 'int' | 'string'

export interface FieldDef {
  /** Name on the wire (device payload) and in storage. */
  name: string
  type: FieldType
  /** Canonical unit after normalisation ('' when dimensionless). */
  unit: string
  /**
   * True when the value is stored as an InfluxDB tag (indexed, bounded cardinality).
   * Only `entity` (person|vehicle) and `entityId` on locator readings are tags;
   * site, device and kind are tags on every measurement (see SERIES_TAGS).
   */
  tag?: boolean
  /** Chinese label for dashboards and alert texts. */
  label: string
}

/** Tags present on every stored reading. Cardinality: sites × devices. */
export const SERIES_TAGS = ['site', 'device'] as const

/** InfluxDB measurement name (and DuckDB table name) per kind. */
export const MEASUREMENT: Readonly<Record<Kind, string>> = Object.freeze({
  dust: 'dust',
  water: 'water',
  locator: 'locator',
  ore: 'ore',
  status: 'status',
  energy: 'energy'
})

/** Measurement holding alert lifecycle events, for dashboards. */
export const ALERT_EVENTS_MEASUREMENT = 'alert_events'

/** Measurement holding the core-computed figures of each site and Beijing day (store/telemetry.ts DayFacts), for dashboards. */
export const DAY_FACTS_MEASUREMENT = 'day_facts'

/**
 * Fields of each kind, in storage order. Numeric values are in the canonical unit.
 * `seq` is stored on every kind as an int field (the device's own counter).
 * Only ever append a field to a kind: a DuckDB file written before gains it as its last column
 * (store/duckdb/schema.ts readingColumnsDdl), and its columns must stay in this order.
 */
export const FIELDS: Readonly<Record<Kind, readonly FieldDef[]>> = Object.freeze({
  dust: [
    { name: 'tsp', type: 'float', unit: 'mg/m³', label: '总悬浮颗粒物 TSP' },
    { name: 'pm10', type: 'float', unit: 'mg/m³', label: 'PM10' },
    { name: 'pm25', type: 'float', unit: 'mg/m³', label: 'PM2.5' },
    { name: 'temp', type: 'float', unit: '°C', label: '温度' },
    { name: 'rh', type: 'float', unit: '%', label: '相对湿度' },
    { name: 'windSpeed', type: 'float', unit: 'm/s', label: '风速' },
    { name: 'windDir', type: 'float', unit: '°', label: '风向' },
    { name: 'noise', type: 'float', unit: 'dB(A)', label: '噪声' },
    // HJ 212-2017 data flag: N normal, F stopped, M maintenance, S manual, D fault, C calibrating, T over range, B comms fault
    { name: 'flag', type: 'string', unit: '', label: '数据标记' },
    // HJ 212 gateway (docs/hj212.md): factors beyond the contract's, and interval statistics of
    // CN 2051/2061/2031 (minute, hour, day; ts = interval start), kept apart from real-time values.
    { name: 'pm1', type: 'float', unit: 'mg/m³', label: 'PM1.0' },
    { name: 'pressure', type: 'float', unit: 'kPa', label: '气压' },
    { name: 'intervalS', type: 'int', unit: 's', label: '统计周期' },
    { name: 'tspAvg', type: 'float', unit: 'mg/m³', label: 'TSP 均值' },
    { name: 'tspMin', type: 'float', unit: 'mg/m³', label: 'TSP 最小值' },
    { name: 'tspMax', type: 'float', unit: 'mg/m³', label: 'TSP 最大值' },
    { name: 'pm10Avg', type: 'float', unit: 'mg/m³', label: 'PM10 均值' },
    { name: 'pm10Min', type: 'float', unit: 'mg/m³', label: 'PM10 最小值' },
    { name: 'pm10Max', type: 'float', unit: 'mg/m³', label: 'PM10 最大值' },
    { name: 'pm25Avg', type: 'float', unit: 'mg/m³', label: 'PM2.5 均值' },
    { name: 'pm25Min', type: 'float', unit: 'mg/m³', label: 'PM2.5 最小值' },
    { name: 'pm25Max', type: 'float', unit: 'mg/m³', label: 'PM2.5 最大值' }
  ],
  water: [
    { name: 'totalM3', type: 'float', unit: 'm³', label: '累计流量' },
    { name: 'flowM3h', type: 'float', unit: 'm³/h', label: '瞬时流量' },
    // HJ 212 interval data (CN 2051/2061/2031): the interval's volume (w00000-Cou) and length
    { name: 'volumeM3', type: 'float', unit: 'm³', label: '时段流量' },
    { name: 'intervalS', type: 'int', unit: 's', label: '统计周期' },
    // and the interval's smallest and largest flow (w00000-Min, -Max)
    { name: 'flowM3hMin', type: 'float', unit: 'm³/h', label: '最小流量' },
    { name: 'flowM3hMax', type: 'float', unit: 'm³/h', label: '最大流量' }
  ],
  locator: [
    // Tags: entity type has 2 values; entity ids are bounded by the site's headcount
    // and fleet (80–300 people, 10–40 trucks per site, domain.md §7), so a tag keeps
    // "latest position per entity" a cheap GROUP BY. See docs/storage.md.
    { name: 'entity', type: 'string', unit: '', tag: true, label: '对象类型' },
    { name: 'entityId', type: 'string', unit: '', tag: true, label: '对象编号' },
    { name: 'lat', type: 'float', unit: '°', label: '纬度' },
    { name: 'lon', type: 'float', unit: '°', label: '经度' },
    { name: 'alt', type: 'float', unit: 'm', label: '高程' },
    { name: 'accuracyM', type: 'float', unit: 'm', label: '定位精度' },
    { name: 'speedKmh', type: 'float', unit: 'km/h', label: '速度' },
    { name: 'heading', type: 'float', unit: '°', label: '航向' },
    // 1 while the tag's SOS button is raised (紧急呼救), 0 otherwise (alerts/rules/sos.ts)
    { name: 'sos', type: 'int', unit: '', label: '紧急呼救' }
  ],
  ore: [
    { name: 'tonnes', type: 'float', unit: 't', label: '净重' },
    { name: 'totalT', type: 'float', unit: 't', label: '累计量' },
    { name: 'truckId', type: 'string', unit: '', label: '车辆编号' }
  ],
  status: [
    { name: 'batteryPct', type: 'float', unit: '%', label: '电量' },
    { name: 'rssiDbm', type: 'float', unit: 'dBm', label: '信号强度' },
    { name: 'fw', type: 'string', unit: '', label: '固件版本' },
    { name: 'uptimeS', type: 'int', unit: 's', label: '运行时长' }
  ],
  // 能耗 (core/energy.ts): an electricity meter's kWh totaliser, a fuel meter's litre or kilogram totaliser
  energy: [
    { name: 'totalKwh', type: 'float', unit: 'kWh', label: '累计电量' },
    { name: 'powerKw', type: 'float', unit: 'kW', label: '有功功率' },
    { name: 'totalL', type: 'float', unit: 'L', label: '累计油量(升)' },
    { name: 'totalKg', type: 'float', unit: 'kg', label: '累计油量(千克)' }
  ]
})

export function fieldDef (kind: Kind, name: string): FieldDef | undefined {
  return FIELDS[kind].find((f) => f.name === name)
}

/** Numeric fields of a kind (those that can be aggregated). */
export function numericFields (kind: Kind): string[] {
  return FIELDS[kind].filter((f) => f.type !== 'string').map((f) => f.name)
}
