// JT/T 809 framing, written from the project's shared notes (jt809.md §Frame) and the errata register only.
// Independent of the Python codec: no code shared, built-in Node modules only.
//
// Choices made on purpose where the notes leave room (each is a reading the notes or the errata allow):
//  - VERSION_FLAG 01 00 01 under the 2011 header, 01 02 0F under the 2019 header (E-SD-07: any is accepted)
//  - ENCRYPT_KEY: a fresh random u32 per frame, also in clear frames (the field is meaningless when flag is 0)
//  - strings: GBK, right-padded with 0x00 (notes §Frame); ids (PLATFORM_ID, ...) written as text (E-SD-18)

const FLAG_HEAD = 0x5b;
const FLAG_TAIL = 0x5d;

// ---- CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0), bitwise ----
export function crc16(buf) {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

// ---- escaping: 5B -> 5A 01, 5A -> 5A 02, 5D -> 5E 01, 5E -> 5E 02 ----
export function escape(buf) {
  const out = [];
  for (const b of buf) {
    if (b === 0x5b) out.push(0x5a, 0x01);
    else if (b === 0x5a) out.push(0x5a, 0x02);
    else if (b === 0x5d) out.push(0x5e, 0x01);
    else if (b === 0x5e) out.push(0x5e, 0x02);
    else out.push(b);
  }
  return Buffer.from(out);
}

export function unescape(buf) {
  const out = [];
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if ((b === 0x5a || b === 0x5e) && i + 1 < buf.length) {
      const n = buf[i + 1];
      if (b === 0x5a && n === 0x01) { out.push(0x5b); i++; continue; }
      if (b === 0x5a && n === 0x02) { out.push(0x5a); i++; continue; }
      if (b === 0x5e && n === 0x01) { out.push(0x5d); i++; continue; }
      if (b === 0x5e && n === 0x02) { out.push(0x5e); i++; continue; }
      throw new Error(`bad escape ${b.toString(16)} ${n.toString(16)}`);
    }
    out.push(b);
  }
  return Buffer.from(out);
}

// ---- body cipher: key = (IA1 * (key % M1) + IC1) mod 2^32; byte ^= (key >> 20) & 0xFF ----
export function cipher(body, seed, m1, ia1, ic1) {
  let key = BigInt(seed === 0 ? 1 : seed);
  const M1 = BigInt(m1 === 0 ? 1 : m1);
  const IA1 = BigInt(ia1);
  const IC1 = BigInt(ic1);
  const out = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) {
    key = (IA1 * (key % M1) + IC1) & 0xffffffffn;
    out[i] = body[i] ^ Number((key >> 20n) & 0xffn);
  }
  return out;
}

// ---- GBK text (Node decodes GBK with its ICU; the encoder table is built from the decoder) ----
let gbkTable = null;
function gbkEncoderTable() {
  if (gbkTable) return gbkTable;
  gbkTable = new Map();
  const dec = new TextDecoder('gbk', { fatal: true });
  const pair = Buffer.alloc(2);
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      pair[0] = hi; pair[1] = lo;
      let ch;
      try { ch = dec.decode(pair); } catch { continue; }
      if (ch.length === 1 && !gbkTable.has(ch)) gbkTable.set(ch, [hi, lo]);
    }
  }
  return gbkTable;
}

export function gbkEncode(text) {
  const out = [];
  for (const ch of String(text)) {
    const c = ch.codePointAt(0);
    if (c < 0x80) { out.push(c); continue; }
    const b = gbkEncoderTable().get(ch);
    if (!b) throw new Error(`not encodable in GBK: ${ch}`);
    out.push(...b);
  }
  return Buffer.from(out);
}

export function gbkDecode(buf) {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  let start = 0;
  while (start < end && buf[start] === 0) start++;
  return new TextDecoder('gbk').decode(buf.subarray(start, end));
}

// ---- a small big-endian writer ----
export class W {
  constructor() { this.parts = []; }
  u8(v) { const b = Buffer.alloc(1); b.writeUInt8(v & 0xff); this.parts.push(b); return this; }
  u16(v) { const b = Buffer.alloc(2); b.writeUInt16BE(v & 0xffff); this.parts.push(b); return this; }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); this.parts.push(b); return this; }
  u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); this.parts.push(b); return this; }
  bytes(buf) { this.parts.push(Buffer.from(buf)); return this; }
  // fixed-size GBK text, right-padded with 0x00 (jt809 notes §Frame)
  text(s, size) {
    const enc = gbkEncode(s ?? '');
    if (enc.length > size) throw new Error(`text "${s}" is ${enc.length} bytes, field holds ${size}`);
    const b = Buffer.alloc(size);
    enc.copy(b);
    this.parts.push(b);
    return this;
  }
  // BCD digits (JT/T 808 time YYMMDDhhmmss)
  bcd(digits) {
    const d = digits.length % 2 ? '0' + digits : digits;
    const b = Buffer.alloc(d.length / 2);
    for (let i = 0; i < b.length; i++) b[i] = (Number(d[2 * i]) << 4) | Number(d[2 * i + 1]);
    this.parts.push(b);
    return this;
  }
  get length() { return this.parts.reduce((n, p) => n + p.length, 0); }
  buf() { return Buffer.concat(this.parts); }
}

export class R {
  constructor(buf) { this.b = buf; this.o = 0; }
  need(n) { if (this.o + n > this.b.length) throw new Error(`body too short at ${this.o}+${n}/${this.b.length}`); }
  u8() { this.need(1); return this.b.readUInt8(this.o++); }
  u16() { this.need(2); const v = this.b.readUInt16BE(this.o); this.o += 2; return v; }
  u32() { this.need(4); const v = this.b.readUInt32BE(this.o); this.o += 4; return v; }
  u64() { this.need(8); const v = this.b.readBigUInt64BE(this.o); this.o += 8; return Number(v); }
  bytes(n) { this.need(n); const v = this.b.subarray(this.o, this.o + n); this.o += n; return v; }
  text(n) { return gbkDecode(this.bytes(n)); }
  rest() { const v = this.b.subarray(this.o); this.o = this.b.length; return v; }
  get left() { return this.b.length - this.o; }
}

export function headerSize(header) { return header === '2019' ? 30 : 22; }

// Build a whole frame, escaped, flags included.
export function buildFrame({ header, sn, msgId, center, body, encrypt, key, version }) {
  let encFlag = 0;
  if (key === undefined) key = Math.floor(Math.random() * 0xffffffff) >>> 0;
  let wire = body;
  if (encrypt) {
    encFlag = 1;
    wire = cipher(body, key, encrypt.m1, encrypt.ia1, encrypt.ic1);
  }
  const h = new W();
  h.u32(1 + headerSize(header) + wire.length + 2 + 1);
  h.u32(sn).u16(msgId).u32(center);
  h.bytes(version ?? (header === '2019' ? [0x01, 0x02, 0x0f] : [0x01, 0x00, 0x01]));
  h.u8(encFlag).u32(key);
  if (header === '2019') h.u64(Math.floor(Date.now() / 1000));
  const inner = Buffer.concat([h.buf(), wire]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(crc16(inner));
  return Buffer.concat([Buffer.from([FLAG_HEAD]), escape(Buffer.concat([inner, crc])), Buffer.from([FLAG_TAIL])]);
}

// Parse one frame's content between the flags (still escaped).
export function parseFrame(escaped, header, encrypt) {
  const raw = unescape(escaped);
  const hs = headerSize(header);
  if (raw.length < hs + 2) throw new Error(`frame too short (${raw.length})`);
  const inner = raw.subarray(0, raw.length - 2);
  const crc = raw.readUInt16BE(raw.length - 2);
  if (crc16(inner) !== crc) throw new Error('CRC mismatch');
  const r = new R(inner);
  const h = { length: r.u32(), sn: r.u32(), msgId: r.u16(), center: r.u32(), version: r.bytes(3), encFlag: r.u8(), key: r.u32() };
  if (header === '2019') h.time = r.u64();
  let body = r.rest();
  if (h.encFlag === 1) {
    if (!encrypt) throw new Error('encrypted frame but no cipher constants');
    body = cipher(body, h.key, encrypt.m1, encrypt.ia1, encrypt.ic1);
  }
  return { ...h, body: Buffer.from(body) };
}

// Splits a TCP byte stream into frames (content between 0x5B and 0x5D).
export class Splitter {
  constructor() { this.buf = Buffer.alloc(0); }
  push(chunk) {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames = [];
    for (;;) {
      const s = this.buf.indexOf(FLAG_HEAD);
      if (s < 0) { this.buf = Buffer.alloc(0); break; }
      const e = this.buf.indexOf(FLAG_TAIL, s + 1);
      if (e < 0) { this.buf = this.buf.subarray(s); break; }
      frames.push(this.buf.subarray(s + 1, e));
      this.buf = this.buf.subarray(e + 1);
    }
    return frames;
  }
}

export const hex = (b) => Buffer.from(b).toString('hex').toUpperCase();
