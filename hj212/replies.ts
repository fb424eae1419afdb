/**
 * Frames the gateway sends (pure): the 9014 data acknowledgement and the commands an upper
 * computer (上位机) gives a device — time calibration 1012, real-time interval 1062, history
 * requests 2051/2061/2031 with BeginTime/EndTime (§6.6, 附录 C).
 */
import { formatDataTime, formatQn } from './datatime.js'
import { FLAG_ACK, FLAG_V2017, type Frame } from './frame.js'

/** ST of system interaction frames (replies), §6.3.2 表 3. */
export const ST_REPLY = '91'

/** 9014 data acknowledgement: ST=91, Flag=4, echoes the QN of the frame acknowledged (§6.6.2). */
export function dataAck (f: Frame): Frame {
  return { qn: f.qn, st: ST_REPLY, cn: '9014', pw: f.pw, mn: f.mn, flag: FLAG_V2017, cp: [] }
}

export type DeviceCommand =
  | { cn: '1012', systemTime: number }
  | { cn: '1062', rtdIntervalS: number }
  | { cn: '2051' | '2061' | '2031', begin: number, end: number }

/** A command frame to a device; the device answers 9011 (QnRtn) and then 9012 (ExeRtn). */
export function commandFrame (cmd: DeviceCommand, to: { st: string, pw: string, mn: string }, now: number, qn = formatQn(now)): Frame {
  let cp: Frame['cp']
  switch (cmd.cn) {
    case '1012': cp = [[['SystemTime', formatDataTime(cmd.systemTime)]]]; break
    case '1062': cp = [[['RtdInterval', String(cmd.rtdIntervalS)]]]; break
    default: cp = [[['BeginTime', formatDataTime(cmd.begin)], ['EndTime', formatDataTime(cmd.end)]]]
  }
  return { qn, st: to.st, cn: cmd.cn, pw: to.pw, mn: to.mn, flag: FLAG_V2017 | FLAG_ACK, cp }
}

/** QnRtn of a 9011 (§6.6.4 表 C.1): 1 ready to execute; 2 refused; 3 PW wrong; 4 MN wrong; 5 ST wrong; 6 Flag wrong; 7 QN wrong; 8 CN wrong; 9 CRC wrong; 100 unknown. */
export const QN_RTN: Readonly<Record<string, string>> = {
  1: 'ready to execute', 2: 'request refused', 3: 'PW wrong', 4: 'MN wrong', 5: 'ST wrong', 6: 'Flag wrong',
  7: 'QN wrong', 8: 'CN wrong', 9: 'CRC wrong', 100: 'unknown error'
}

/** ExeRtn of a 9012 (表 C.2): 1 success; 2 failed, reason unknown; 3 command error; 100 no data; others device specific. */
export const EXE_RTN: Readonly<Record<string, string>> = {
  1: 'executed', 2: 'failed (reason unknown)', 3: 'command error', 4: 'communication timeout', 5: 'system busy',
  6: 'system fault', 100: 'no data'
}
