/**
 * The SMS request signers (alerts/notify/sms.ts) against the vendors' published worked examples.
 * Sources (the vendor pages themselves were not in the stored corpus; the vectors were read from
 * public copies of them and from SDK test suites quoting them, and each reproduces here):
 * - Tencent Cloud API 3.0 "Signature v3" (签名方法 v3), CVM DescribeInstances example:
 *   SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, X-TC-Timestamp 1551113065, the published payload
 *   hash, CanonicalRequest hash and Signature.
 * - Aliyun RPC 签名机制, ECS DescribeRegions example: AccessKeySecret testsecret → OLeaidS1JvxuMvnyHOwuJ+uX5qY=.
 * - Aliyun SMS (dysmsapi) HTTP 协议 example, SendSms with a Chinese SignName: AccessKeySecret testSecret →
 *   zJDF+Lrzhj/ThnlvIToysFRq6t4=.
 */
import { describe, it, expect } from 'vitest'
import { aliyunSignature, aliyunStringToSign, aliyunPercentEncode, tc3CanonicalRequest, tc3StringToSign, tc3Signature, tc3Authorization, tc3Date, type Tc3Input } from '../../../alerts/notify/sms.js'
import { createHash } from 'node:crypto'

describe('Tencent Cloud TC3-HMAC-SHA256: the published example', () => {
  const input: Tc3Input = {
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
    service: 'cvm',
    host: 'cvm.tencentcloudapi.com',
    contentType: 'application/json; charset=utf-8',
    payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
    timestampS: 1551113065
  }
  it('payload hash, canonical request, string to sign and signature match the published values', () => {
    expect(createHash('sha256').update(input.payload).digest('hex')).toBe('35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064')
    expect(tc3CanonicalRequest(input)).toBe('POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064')
    expect(tc3StringToSign(input)).toBe('TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031')
    expect(tc3Signature(input)).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168')
    expect(tc3Authorization(input)).toBe('TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168')
  })
  it('the credential date is the UTC date (2019-02-26 00:44:25 in Beijing is 2019-02-25)', () => {
    expect(tc3Date(1551113065)).toBe('2019-02-25')
  })
})

describe('Aliyun RPC HMAC-SHA1: the published examples', () => {
  it('ECS DescribeRegions, AccessKeySecret testsecret', () => {
    const params = {
      AccessKeyId: 'testid', Action: 'DescribeRegions', Format: 'XML', SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf', SignatureVersion: '1.0', Timestamp: '2016-02-23T12:46:24Z', Version: '2014-05-26'
    }
    expect(aliyunStringToSign('GET', params)).toBe('GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26')
    expect(aliyunSignature('testsecret', 'GET', params)).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=')
  })
  it('SMS SendSms with a Chinese SignName and JSON TemplateParam, AccessKeySecret testSecret', () => {
    const params = {
      AccessKeyId: 'testId', Action: 'SendSms', Format: 'XML', OutId: '123', PhoneNumbers: '15300000001', RegionId: 'cn-hangzhou',
      SignName: '阿里云短信测试专用', SignatureMethod: 'HMAC-SHA1', SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466', SignatureVersion: '1.0',
      TemplateCode: 'SMS_71390007', TemplateParam: '{"customer":"test"}', Timestamp: '2017-07-12T02:42:19Z', Version: '2017-05-25'
    }
    expect(aliyunSignature('testSecret', 'GET', params)).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=')
  })
  it('percent-encodes everything but A-Z a-z 0-9 - _ . ~ (space as %20, * as %2A)', () => {
    expect(aliyunPercentEncode("a b*c~d!e'(f)")).toBe('a%20b%2Ac~d%21e%27%28f%29')
    expect(aliyunPercentEncode('矿')).toBe('%E7%9F%BF')
  })
})
