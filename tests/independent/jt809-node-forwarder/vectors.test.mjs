// The jt809 notes' test vectors, re-encoded by this forwarder's codec (run: node vectors.test.mjs).
import assert from 'node:assert/strict';
import { buildFrame, parseFrame, W, hex, Splitter } from './jt809.mjs';

const login = new W().u32(20180920).text('20180920', 8).text('127.0.0.1', 32).u16(809).buf();
const base = { header: '2011', sn: 133, msgId: 0x1001, center: 20180920, key: 9999, version: [1, 0, 0], body: login };
const v1 = '5B000000480000008510010133EFB8010000000000270F0133EFB832303138303932303132372E302E302E31000000000000000000000000000000000000000000000003296A915D';
assert.equal(hex(buildFrame(base)), v1);
const enc = { m1: 30000000, ia1: 20000000, ic1: 20000000 };
const v2 = '5B000000480000008510010133EFB8010000010003E8B2D37D9CC4900C77DC78F8676527D8AE12243CFB64CC2FBA619AEFAD33ACCB3256F67BFF19DF33097841098665703FE36E5D';
assert.equal(hex(buildFrame({ ...base, key: 256178, encrypt: enc })), v2);
const f2 = new Splitter().push(Buffer.from(v2, 'hex'))[0];
assert.equal(hex(parseFrame(f2, '2011', enc).body), hex(login));
const v4 = '5B0000001F0000008610020133EFB80100000000000000001234567835715D';
assert.equal(hex(buildFrame({ header: '2011', sn: 134, msgId: 0x1002, center: 20180920, key: 0, version: [1, 0, 0], body: new W().u8(0).u32(0x12345678).buf() })), v4);
const v5 = '5B0000001E0000000190010133EFB80100000000000000123456785E01865D';
assert.equal(hex(buildFrame({ header: '2011', sn: 1, msgId: 0x9001, center: 20180920, key: 0, version: [1, 0, 0], body: new W().u32(0x12345678).buf() })), v5);
console.log('vectors ok');
