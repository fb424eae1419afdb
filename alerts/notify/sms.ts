/**
 * SMS through Aliyun (阿里云短信, dysmsapi SendSms 2017-05-25) and Tencent Cloud (腾讯云短信,
 * SendSms 2021-01-11), each with its documented request signing:
 *   Aliyun RPC signature: StringToSign = METHOD & %2F & percentEncode(canonicalised query),
 *     Signature = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign))
 *   Tencent TC3-HMAC-SHA256: CanonicalRequest → StringToSign → key derived from "TC3" + SecretKey,
 *     date, service, "tc3_request"; Authorization header.
 * test/unit/alerts/sms-sign.test.ts checks both against the vendors' published examples.
 *
 * The body kept in the outbox is JSON { params: { site, kind, value, time } } (payload.ts):
 * Aliyun sends it as TemplateParam (named ${site} ${kind} ${value} ${time}), Tencent as
 * TemplateParamSet in that order ({1} {2} {3} {4}). Each number gets at most one SMS per
 * minIntervalS from one subscription: a send before then is retried when the slowest number is free.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { deliveryError, DELIVERY_TIMEOUT_MS, redactUrl } from './http.js'

export const SMS_PARAM_NAMES = ['site', 'kind', 'value', 'time'] as const
export type SmsParams = Record<(typeof SMS_PARAM_NAMES)[number], string>

export interface SmsTarget {
  vendor: 'aliyun' | 'tencent'
  endpoint: string
  keyId: string
  secret: string
  signName: string
  templateId: string
  /** Tencent SmsSdkAppId. */
  sdkAppId?: string
  /** Tencent X-TC-Region. */
  region: string
  phones: readonly string[]
  minIntervalMs: number
}

// ---------- Aliyun RPC signature ----------

/** RFC 3986 percent-encoding as Aliyun's RPC signature wants it: only A-Z a-z 0-9 - _ . ~ stay. */
export function aliyunPercentEncode (s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The canonicalised query: parameters sorted by name, each name=value percent-encoded, joined by &. */
export function aliyunCanonicalQuery (params: Readonly<Record<string, string>>): string {
  return Object.keys(params).sort().map((k) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(params[k]!)}`).join('&')
}

export function aliyunStringToSign (method: string, params: Readonly<Record<string, string>>): string {
  return `${method}&${aliyunPercentEncode('/')}&${aliyunPercentEncode(aliyunCanonicalQuery(params))}`
}

/** base64 HMAC-SHA1 of the string to sign, keyed by AccessKeySecret + "&". */
export function aliyunSignature (secret: string, method: string, params: Readonly<Record<string, string>>): string {
  return createHmac('sha1', `${secret}&`).update(aliyunStringToSign(method, params), 'utf8').digest('base64')
}

/** ISO 8601 UTC without milliseconds, as the Timestamp parameter takes it. */
function isoSeconds (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The signed SendSms form of one delivery. */
export function aliyunSendSmsForm (t: SmsTarget, params: SmsParams, nowMs: number, nonce: string): URLSearchParams {
  const p: Record<string, string> = {
    AccessKeyId: t.keyId,
    Action: 'SendSms',
    Format: 'JSON',
    PhoneNumbers: t.phones.join(','),
    SignName: t.signName,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: nonce,
    SignatureVersion: '1.0',
    TemplateCode: t.templateId,
    TemplateParam: JSON.stringify(params),
    Timestamp: isoSeconds(nowMs),
    Version: '2017-05-25'
  }
  return new URLSearchParams({ ...p, Signature: aliyunSignature(t.secret, 'POST', p) })
}

/** Aliyun codes (dysmsapi 错误码) after which the same request can never succeed. Others (throttling, isv.BUSINESS_LIMIT_CONTROL, InternalError, ServiceUnavailable, ones not listed) are retried. */
export const ALIYUN_REFUSE = new Set([
  'SignatureDoesNotMatch', 'InvalidAccessKeyId.NotFound', 'InvalidAccessKeyId.Inactive', 'IncompleteSignature',
  'isv.SMS_SIGNATURE_ILLEGAL', 'isv.SMS_TEMPLATE_ILLEGAL', 'isv.TEMPLATE_MISSING_PARAMETERS', 'isv.INVALID_PARAMETERS',
  'isv.INVALID_JSON_PARAM', 'isv.MOBILE_NUMBER_ILLEGAL', 'isv.MOBILE_COUNT_OVER_LIMIT', 'isv.PARAM_LENGTH_LIMIT',
  'isv.SMS_SIGN_ILLEGAL', 'isv.ACCOUNT_NOT_EXISTS', 'isv.ACCOUNT_ABNORMAL', 'isv.DENY_IP_RANGE', 'MissingParameter'
])

// ---------- Tencent Cloud TC3-HMAC-SHA256 ----------

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex')
const hmac256 = (key: string | Buffer, msg: string): Buffer => createHmac('sha256', key).update(msg, 'utf8').digest()

export interface Tc3Input {
  secretId: string
  secretKey: string
  service: string
  host: string
  contentType: string
  payload: string
  timestampS: number
}

/** The CanonicalRequest of a POST to "/" signing content-type and host. */
export function tc3CanonicalRequest (i: Tc3Input): string {
  return ['POST', '/', '', `content-type:${i.contentType}\nhost:${i.host}\n`, 'content-type;host', sha256Hex(i.payload)].join('\n')
}

/** UTC date of the timestamp (never local time: the scope would change at Beijing midnight). */
export function tc3Date (timestampS: number): string {
  return new Date(timestampS * 1000).toISOString().slice(0, 10)
}

export function tc3StringToSign (i: Tc3Input): string {
  return ['TC3-HMAC-SHA256', String(i.timestampS), `${tc3Date(i.timestampS)}/${i.service}/tc3_request`, sha256Hex(tc3CanonicalRequest(i))].join('\n')
}

export function tc3Signature (i: Tc3Input): string {
  const signing = hmac256(hmac256(hmac256(`TC3${i.secretKey}`, tc3Date(i.timestampS)), i.service), 'tc3_request')
  return createHmac('sha256', signing).update(tc3StringToSign(i), 'utf8').digest('hex')
}

export function tc3Authorization (i: Tc3Input): string {
  return `TC3-HMAC-SHA256 Credential=${i.secretId}/${tc3Date(i.timestampS)}/${i.service}/tc3_request, SignedHeaders=content-type;host, Signature=${tc3Signature(i)}`
}

/** Tencent error codes after which the same request can never succeed (SMS 错误码, API 3.0 公共错误码). Others (LimitExceeded.*, RequestLimitExceeded, InternalError, AuthFailure.SignatureExpire, not listed) are retried. */
export const TENCENT_REFUSE = new Set([
  'AuthFailure.SignatureFailure', 'AuthFailure.SecretIdNotFound', 'AuthFailure.InvalidSecretId', 'AuthFailure.UnauthorizedOperation',
  'FailedOperation.TemplateIncorrectOrUnapproved', 'FailedOperation.SignatureIncorrectOrUnapproved', 'FailedOperation.MissingTemplateToModify',
  'FailedOperation.TemplateParamSetNotMatchApprovedTemplate', 'FailedOperation.PhoneNumberInBlacklist',
  'InvalidParameterValue.IncorrectPhoneNumber', 'InvalidParameterValue.TemplateParameterFormatError', 'InvalidParameterValue.TemplateParameterLengthLimit',
  'InvalidParameterValue.SdkAppIdNotExist', 'InvalidParameter', 'InvalidParameterValue', 'MissingParameter',
  'UnauthorizedOperation.SmsSdkAppIdVerifyFail', 'UnauthorizedOperation.RequestPermissionDeny', 'UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber'
])

// ---------- sending ----------

/** Reads a stored body; one that is not { params: { site, kind, value, time } } can never be sent. */
export function parseSmsBody (payload: string): SmsParams {
  let b: { params?: Record<string, unknown> }
  try { b = JSON.parse(payload) as typeof b } catch { b = {} }
  const p = b?.params
  if (!p || SMS_PARAM_NAMES.some((k) => typeof p[k] !== 'string')) throw deliveryError(false, `sms body is not JSON { params: { ${SMS_PARAM_NAMES.join(', ')} } }`, null)
  return Object.fromEntries(SMS_PARAM_NAMES.map((k) => [k, p[k] as string])) as SmsParams
}

async function post (fetchFn: typeof fetch, url: string, init: RequestInit): Promise<{ status: number, text: string }> {
  try {
    const res = await fetchFn(url, { ...init, method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) })
    return { status: res.status, text: await res.text().catch(() => '') }
  } catch (err) {
    const cause = err as Error & { cause?: { code?: string } }
    throw deliveryError(true, `${redactUrl(url)}: ${cause.cause?.code ?? cause.name}: ${cause.message}`, null, { cause: err })
  }
}

/**
 * A vendor's refusal: a code in `refuse` is a dead letter, any other code is retried; with no code
 * the HTTP status decides (408, 429, 5xx and a 2xx that is not a reply: retried; other 4xx: refused).
 */
function vendorError (url: string, status: number, text: string, code: string | undefined, message: string, refuse: ReadonlySet<string>): never {
  const answer = code === undefined ? `HTTP ${status} ${text}`.trim() : `HTTP ${status} ${code} ${message}`.trim()
  const retry = code !== undefined ? !refuse.has(code) : status === 408 || status === 429 || status >= 500 || status < 300
  throw deliveryError(retry, `${redactUrl(url)}: ${answer.slice(0, 200)}`, answer)
}

async function sendAliyun (fetchFn: typeof fetch, t: SmsTarget, params: SmsParams, nowMs: number): Promise<void> {
  const form = aliyunSendSmsForm(t, params, nowMs, randomUUID())
  const r = await post(fetchFn, t.endpoint, { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: form.toString() })
  let reply: { Code?: unknown, Message?: unknown } = {}
  try { reply = JSON.parse(r.text) as typeof reply } catch { /* not JSON: judged by status */ }
  if (reply.Code === 'OK' && r.status >= 200 && r.status < 300) return
  vendorError(t.endpoint, r.status, r.text, typeof reply.Code === 'string' ? reply.Code : undefined, String(reply.Message ?? ''), ALIYUN_REFUSE)
}

async function sendTencent (fetchFn: typeof fetch, t: SmsTarget, params: SmsParams, nowMs: number): Promise<void> {
  const body = JSON.stringify({
    PhoneNumberSet: t.phones, SmsSdkAppId: t.sdkAppId, SignName: t.signName, TemplateId: t.templateId,
    TemplateParamSet: SMS_PARAM_NAMES.map((k) => params[k])
  })
  const host = new URL(t.endpoint).host
  const contentType = 'application/json; charset=utf-8'
  const timestampS = Math.floor(nowMs / 1000)
  const r = await post(fetchFn, t.endpoint, {
    headers: {
      'content-type': contentType,
      Authorization: tc3Authorization({ secretId: t.keyId, secretKey: t.secret, service: 'sms', host, contentType, payload: body, timestampS }),
      'X-TC-Action': 'SendSms', 'X-TC-Version': '2021-01-11', 'X-TC-Timestamp': String(timestampS), 'X-TC-Region': t.region
    },
    body
  })
  type Status = { Code?: unknown, Message?: unknown, PhoneNumber?: unknown }
  let reply: { Response?: { Error?: Status, SendStatusSet?: Status[] } } = {}
  try { reply = JSON.parse(r.text) as typeof reply } catch { /* judged by status */ }
  const res = reply.Response
  if (res?.Error) vendorError(t.endpoint, r.status, r.text, typeof res.Error.Code === 'string' ? res.Error.Code : undefined, String(res.Error.Message ?? ''), TENCENT_REFUSE)
  if (!res || !Array.isArray(res.SendStatusSet) || r.status < 200 || r.status > 299) vendorError(t.endpoint, r.status, r.text, undefined, '', TENCENT_REFUSE)
  const failed = res.SendStatusSet.filter((s) => s.Code !== 'Ok')
  if (failed.length === 0) return
  // per number: a refused one is a dead letter; one only throttled is retried (the others got it)
  const answer = failed.map((s) => `${String(s.PhoneNumber)}: ${String(s.Code)} ${String(s.Message ?? '')}`).join('; ')
  const retry = failed.every((s) => typeof s.Code !== 'string' || !TENCENT_REFUSE.has(s.Code))
  throw deliveryError(retry, `${redactUrl(t.endpoint)}: ${answer.slice(0, 200)}`, answer)
}

/** A notifier's send: the per-number interval, then the vendor's SendSms. */
export function smsSender (fetchFn: typeof fetch, t: SmsTarget, now: () => number): (payload: string) => Promise<void> {
  const lastSent = new Map<string, number>()
  return async (payload) => {
    const params = parseSmsBody(payload)
    const at = now()
    const wait = Math.max(0, ...t.phones.map((p) => (lastSent.get(p) ?? -Infinity) + t.minIntervalMs - at))
    if (wait > 0) throw deliveryError(true, `sms rate limit: a number got an SMS less than ${t.minIntervalMs / 1000} s ago`, null, { retryAfterMs: wait })
    await (t.vendor === 'aliyun' ? sendAliyun : sendTencent)(fetchFn, t, params, at)
    for (const p of t.phones) lastSent.set(p, at)
  }
}
