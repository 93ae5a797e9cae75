// JT/T 809 bodies this forwarder writes and reads. 2011 bodies from the jt809 notes §Messages; the 2019 bodies
// from the errata register's E-SD-17 text (`vconform profiles shunde`) and the layouts the README names as data;
// JT/T 808 0x0200 from the 808 standard as a GPS operator knows it (this is what our terminals send us).
import { W, R, gbkEncode } from './jt809.mjs';
export { gbkEncode as gbkEncodeText };

export const ID = {
  UP_CONNECT_REQ: 0x1001, UP_CONNECT_RSP: 0x1002, UP_DISCONNECT_REQ: 0x1003, UP_DISCONNECT_RSP: 0x1004,
  UP_LINKTEST_REQ: 0x1005, UP_LINKTEST_RSP: 0x1006, UP_DISCONNECT_INFORM: 0x1007, UP_CLOSELINK_INFORM: 0x1008,
  DOWN_CONNECT_REQ: 0x9001, DOWN_CONNECT_RSP: 0x9002, DOWN_DISCONNECT_REQ: 0x9003, DOWN_DISCONNECT_RSP: 0x9004,
  DOWN_LINKTEST_REQ: 0x9005, DOWN_LINKTEST_RSP: 0x9006, DOWN_DISCONNECT_INFORM: 0x9007, DOWN_CLOSELINK_INFORM: 0x9008,
  UP_MANAGE_MSG_RSP: 0x1102, DOWN_MANAGE_MSG_REQ: 0x9102,
  UP_EXG_MSG: 0x1200, UP_PLATFORM_MSG: 0x1300, UP_WARN_MSG: 0x1400, UP_CTRL_MSG: 0x1500, UP_BASE_MSG: 0x1600,
};

// ---- link management ----
export function connectReq({ userId, password, center, ip, port, bodies }) {
  const w = new W().u32(userId).text(password, 8);
  if (bodies === '2019') w.u32(center);          // 2019: MSG_GNSSCENTERID in the body (50 bytes, E-SD-17)
  return w.text(ip, 32).u16(port).buf();
}
export const disconnectReq = ({ userId, password }) => new W().u32(userId).text(password, 8).buf();
export const u8Body = (v) => new W().u8(v).buf();

// ---- the 0x1200/0x1400/0x1500/0x1600 vehicle head and the 0x1300 platform head ----
export function vehicleHead(plate, color, dataType, data) {
  return new W().text(plate, 21).u8(color).u16(dataType).u32(data.length).bytes(data).buf();
}
export function platformHead(dataType, data) {
  return new W().u16(dataType).u32(data.length).bytes(data).buf();
}
export function readVehicleHead(body) {
  const r = new R(body);
  const plate = r.text(21), color = r.u8(), dataType = r.u16(), len = r.u32();
  return { plate, color, dataType, data: r.bytes(len) };
}
export function readPlatformHead(body) {
  const r = new R(body);
  const dataType = r.u16(), len = r.u32();
  return { dataType, data: r.bytes(len) };
}

// ---- 0x1201 registration ----
export function register(v, bodies) {
  const w = new W().text(v.platformId, 11).text(v.producerId, 11);
  if (bodies === '2019') {
    // 2019: 110 bytes: model 30, IMEI 15, terminal id 30, SIM 13 (E-SD-17)
    w.text(v.model, 30).text(v.imei, 15).text(v.terminalId, 30).text(v.sim, 13);
  } else {
    // 2011: model 20 (E-SD-02 default), terminal id 7, SIM 12
    w.text(v.model.slice(0, v.modelSize ?? 20), v.modelSize ?? 20).text(v.terminalId.slice(0, 7), 7).text(v.sim, 12);
  }
  return w.buf();
}

// "2024-11-01T08:00:00" (Beijing time, E-SD-08) -> parts, kept as given: no time-zone arithmetic
function timeParts(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(iso);
  if (!m) throw new Error(`bad time ${iso}`);
  return m.slice(1).map(Number);
}
const micro = (deg) => Math.round(Number(deg) * 1e6);

// ---- 2011 GNSS block, 36 bytes (notes 0x1202) ----
export function gnss2011(p) {
  const [Y, M, D, h, mi, s] = timeParts(p.time);
  return new W().u8(0).u8(D).u8(M).u16(Y).u8(h).u8(mi).u8(s)
    .u32(micro(p.lon)).u32(micro(p.lat)).u16(p.vec1 ?? 0).u16(p.vec2 ?? 0).u32(p.vec3 ?? 0)
    .u16(p.direction ?? 0).u16(p.altitude ?? 0).u32(p.state ?? 0).u32(p.alarm ?? 0).buf();
}

// ---- JT/T 808 0x0200 location body (the 2019 GNSS_DATA) ----
// speeds and mileage in 1/10 units; time BCD YYMMDDhhmmss in GMT+8; additional items 0x01 (mileage, 1/10 km) and
// 0x03 (recorder speed, 1/10 km/h) so that VEC2/VEC3 survive the trip.
export function jt808Location(p, opt = {}) {
  const [Y, M, D, h, mi, s] = timeParts(p.time);
  const two = (n) => String(n).padStart(2, '0');
  const w = new W().u32(p.alarm ?? 0).u32(p.state ?? 0).u32(micro(p.lat)).u32(micro(p.lon))
    .u16(p.altitude ?? 0).u16((p.vec1 ?? 0) * 10).u16(p.direction ?? 0)
    .bcd(two(Y % 100) + two(M) + two(D) + two(h) + two(mi) + two(s));
  w.u8(0x01).u8(4).u32((p.vec3 ?? 0) * 10);
  w.u8(0x03).u8(2).u16((p.vec2 ?? 0) * 10);
  if (opt['extra-808']) {
    // what real terminals append: 0x25 extended vehicle signal status, 0x2B analog, 0x30 signal strength,
    // 0x31 GNSS satellites
    w.u8(0x25).u8(4).u32(0).u8(0x2b).u8(4).u32(0).u8(0x30).u8(1).u8(25).u8(0x31).u8(1).u8(12);
  }
  return w.buf();
}

// 2019 position record: ENCRYPT u8, DATA_LENGTH u32, GNSS_DATA (808 0x0200), then PLATFORM_ID1..3 + ALARM1..3
export function gnss2019(p, platformIds, opt) {
  const g = jt808Location(p, opt);
  const w = new W().u8(0).u32(g.length).bytes(g);
  for (let i = 0; i < 3; i++) w.text(platformIds[i] ?? '', 11).u32(i === 0 ? (p.alarm ?? 0) : 0);
  return w.buf();
}

export function realLocation(p, bodies, platformIds, opt) {
  return bodies === '2019' ? gnss2019(p, platformIds, opt) : gnss2011(p);
}
export function historyLocation(ps, bodies, platformIds, opt) {
  const w = new W().u8(ps.length);
  for (const p of ps) w.bytes(realLocation(p, bodies, platformIds, opt));
  return w.buf();
}
