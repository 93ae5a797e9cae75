// An independent check of a vconform report, with Node's built-ins only: RFC 8785 (JCS) canonical JSON of
// report.json without its "signature" member, Ed25519 over those bytes, SHA-256 of the files it covers.
// JCS (RFC 8785 §3.2.3) sorts member names by UTF-16 code units, which is what Array.prototype.sort does, and
// serialises numbers as ECMAScript's JSON.stringify does (§3.2.2.3) -- so this is a complete JCS for JSON data.
// Usage: node verify_report.mjs REPORT_DIR   -> prints "ok <key_id>" and exits 0, or prints why and exits 1.
import { readFileSync } from "node:fs";
import { createHash, createPublicKey, verify } from "node:crypto";
import { join } from "node:path";

function jcs(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
}

const dir = process.argv[2];
const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
const sig = report.signature;
delete report.signature;
const raw = Buffer.from(sig.public_key, "base64");
// SubjectPublicKeyInfo for Ed25519 (RFC 8410): fixed 12-byte prefix + the 32 raw bytes.
const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
const key = createPublicKey({ key: spki, format: "der", type: "spki" });
const ok = verify(null, Buffer.from(jcs(report), "utf8"), key, Buffer.from(sig.value, "base64"));
if (!ok) { console.log("signature does not match"); process.exit(1); }
for (const [name, digest] of Object.entries(report.files)) {
  const h = createHash("sha256").update(readFileSync(join(dir, name))).digest("hex");
  if (h !== digest) { console.log(`${name} changed`); process.exit(1); }
}
console.log("ok " + createHash("sha256").update(raw).digest("hex").slice(0, 16));
