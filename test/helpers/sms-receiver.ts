/**
 * Local receivers answering as Aliyun's and Tencent Cloud's SendSms do, which VERIFY each
 * request's signature with an implementation of their own (written here from the vendors'
 * documented steps, not calling alerts/notify/sms.ts): a request whose signature does not verify
 * is answered with the vendor's signature error. setMode('busy') answers the vendor's throttling
 * code, setMode('refuse') its template error.
 */
import { createHash, createHmac } from 'node:crypto'
import type { ReceiverMode } from '../contract/notifier.js'
import { startBodyServer } from './receiver.js'

export const SMS_KEY_ID = 'LTAI-test-key-id'
export const SMS_SECRET = 'sms-test-secret-9f2'
const KEY_ID = SMS_KEY_ID
const SECRET = SMS_SECRET

/** Byte-wise RFC 3986 encoding: only A-Z a-z 0-9 - _ . ~ stay literal (Aliyun's documented rule). */
function rfc3986 (s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** Aliyun's RPC check: null when Signature signs the other form fields with SECRET, else why not. */
function verifyAliyun (form: URLSearchParams): string | null {
  const sig = form.get('Signature')
  if (!sig) return 'no Signature'
  const pairs = [...form.entries()].filter(([k]) => k !== 'Signature').map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort()
  const sts = `POST&${rfc3986('/')}&${rfc3986(pairs.join('&'))}`
  const want = createHmac('sha1', `${SECRET}&`).update(sts).digest('base64')
  return want === sig ? null : 'signature mismatch'
}

/** Tencent's TC3 check of a POST / with content-type and host signed. */
function verifyTencent (headers: Record<string, string | string[] | undefined>, body: string): string | null {
  const auth = String(headers.authorization ?? '')
  const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(auth)
  if (!m) return `malformed Authorization ${auth}`
  const ts = Number(headers['x-tc-timestamp'])
  if (m[1] !== KEY_ID) return 'unknown SecretId'
  if (new Date(ts * 1000).toISOString().slice(0, 10) !== m[2]) return 'credential date is not the UTC date of X-TC-Timestamp'
  const hex = (s: string) => createHash('sha256').update(s).digest('hex')
  const canonical = `POST\n/\n\ncontent-type:${String(headers['content-type'])}\nhost:${String(headers.host)}\n\ncontent-type;host\n${hex(body)}`
  const sts = `TC3-HMAC-SHA256\n${ts}\n${m[2]}/sms/tc3_request\n${hex(canonical)}`
  let k = createHmac('sha256', `TC3${SECRET}`).update(m[2]!).digest()
  k = createHmac('sha256', k).update('sms').digest()
  k = createHmac('sha256', k).update('tc3_request').digest()
  return createHmac('sha256', k).update(sts).digest('hex') === m[3] ? null : 'signature mismatch'
}

export type SmsVendor = 'aliyun' | 'tencent'
/** One SendSms the receiver took. */
export interface Taken { phones: string[], signName: string, templateId: string, params: Record<string, string> | string[], raw: string }

/** A receiver answering as the vendor: signature checked first, then the mode's answer. */
export async function vendorReceiver (vendor: SmsVendor) {
  const got: Taken[] = []
  let mode: ReceiverMode = 'ok'
  const server = await startBodyServer((req, body, res) => {
    const json = (status: number, o: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o))
    if (vendor === 'aliyun') {
      const form = new URLSearchParams(body)
      const bad = verifyAliyun(form) ?? (form.get('AccessKeyId') === KEY_ID ? null : 'unknown key')
      if (bad) return json(400, { Code: 'SignatureDoesNotMatch', Message: `Specified signature is not matched with our calculation (${bad})`, RequestId: 'r' })
      if (mode === 'busy') return json(200, { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发号码天级流控', RequestId: 'r' })
      if (mode === 'refuse') return json(200, { Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '该账号下找不到对应模板', RequestId: 'r' })
      got.push({ phones: form.get('PhoneNumbers')!.split(','), signName: form.get('SignName')!, templateId: form.get('TemplateCode')!, params: JSON.parse(form.get('TemplateParam')!) as Record<string, string>, raw: form.get('TemplateParam')! })
      return json(200, { Code: 'OK', Message: 'OK', BizId: 'b', RequestId: 'r' })
    }
    const bad = verifyTencent(req.headers, body)
    if (bad) return json(200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: bad }, RequestId: 'r' } })
    const b = JSON.parse(body) as { PhoneNumberSet: string[], SignName: string, TemplateId: string, TemplateParamSet: string[] }
    if (mode === 'busy') return json(200, { Response: { SendStatusSet: b.PhoneNumberSet.map((p) => ({ PhoneNumber: p, Code: 'LimitExceeded.PhoneNumberThirtySecondLimit', Message: '单个手机号30秒内下发短信条数超过设定的上限' })), RequestId: 'r' } })
    if (mode === 'refuse') return json(200, { Response: { Error: { Code: 'FailedOperation.TemplateIncorrectOrUnapproved', Message: '模板未审批或内容不匹配' }, RequestId: 'r' } })
    got.push({ phones: b.PhoneNumberSet, signName: b.SignName, templateId: b.TemplateId, params: b.TemplateParamSet, raw: JSON.stringify(b.TemplateParamSet) })
    return json(200, { Response: { SendStatusSet: b.PhoneNumberSet.map((p) => ({ PhoneNumber: p, Code: 'Ok', Message: 'send success', SerialNo: 's' })), RequestId: 'r' } })
  })
  return { url: server.url, got, setMode (m: ReceiverMode) { mode = m }, close: server.close }
}
