/**
 * HJ 212-2017 CRC (附录 A): register 0xFFFF; per byte `crc = (crc >> 8) ^ byte`, then 8 shifts
 * right, XOR 0xA001 when the bit shifted out is 1. NOT CRC-16/MODBUS: "123456789" gives 0x2F80.
 */

/** CRC of bytes [start, end) of `buf`. */
export function crc212 (buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff
  for (let i = start; i < end; i++) {
    crc = (crc >> 8) ^ buf[i]!
    for (let b = 0; b < 8; b++) crc = (crc & 1) !== 0 ? (crc >> 1) ^ 0xa001 : crc >> 1
  }
  return crc
}

/** The CRC as printed on the wire: 4 hex digits, high byte first, zero-padded, upper case. */
export function formatCrc (crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0')
}

/** The two bytes swapped, as some devices print it (`crc: swapped`). */
export function swapCrc (crc: number): number {
  return ((crc & 0xff) << 8) | (crc >> 8)
}
