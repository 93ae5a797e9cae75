// An independent check of a vconform report, with Node's built-ins only: RFC 8785 (JCS) canonical JSON of
// report.json without its "signature" member, Ed25519 over the SHA-512/256 digest of those bytes (over the bytes
// themselves for reports without signature.prehash, written before it existed), SHA-256 of the files it covers.
// JCS (RFC 8785 §3.2.3) sorts member names by UTF-16 code units, which is what Array.prototype.sort does, and
// serialises numbers as ECMAScript's JSON.stringify does (§3.2.2.3) -- so this is a complete JCS for JSON data.
//
// Usage: node verify_report.mjs REPORT_DIR_OR_REPORT_JSON [TRUSTED_KEY]
//   TRUSTED_KEY: the signer's fingerprint as `vconform key show` prints it ("SHA256:abcd:..." or 64 hex digits),
//   its base64 raw Ed25519 public key, or a PEM public-key file. Without it the report is only checked against
//   the key it embeds: anyone can re-sign an edited report with their own key, so that proves nothing about
//   who wrote it.
// Prints "ok <key_id> <fingerprint>" and exits 0; "UNTRUSTED: ..." and exits 3 when no trusted key was given;
// prints why and exits 1 when the report changed or another key signed it; exits 2 when it cannot be checked.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createHash, createPublicKey, verify } from "node:crypto";
import { dirname, join } from "node:path";

function jcs(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
}

function stop(code, message) {
  console.log(message);
  process.exit(code);
}

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex"); // Ed25519 SubjectPublicKeyInfo (RFC 8410)
const hexOf = (raw) => createHash("sha256").update(raw).digest("hex");
const fingerprint = (raw) => "SHA256:" + hexOf(raw).match(/.{4}/g).join(":");

// The trusted key given on the command line, as the SHA-256 hex of its 32 raw bytes.
function trustedDigest(arg) {
  const hex = arg.replace(/^SHA256:/i, "").replace(/:/g, "").toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) return hex;
  let text = arg;
  if (!arg.includes("BEGIN") && existsSync(arg)) text = readFileSync(arg, "utf8");
  if (text.includes("BEGIN")) {
    const der = createPublicKey(text).export({ format: "der", type: "spki" });
    return hexOf(der.subarray(der.length - 32));
  }
  const raw = Buffer.from(text.trim(), "base64");
  if (raw.length !== 32) throw new Error("not a fingerprint, a base64 raw Ed25519 key or a PEM public key");
  return hexOf(raw);
}

const [target, trustedArg] = process.argv.slice(2);
if (!target) stop(2, "usage: node verify_report.mjs REPORT_DIR_OR_REPORT_JSON [TRUSTED_FINGERPRINT_OR_KEY]");
let dir, report, sig, raw, expected;
try {
  const file = existsSync(target) && statSync(target).isDirectory() ? join(target, "report.json") : target;
  dir = dirname(file);
  report = JSON.parse(readFileSync(file, "utf8"));
  if (trustedArg) expected = trustedDigest(trustedArg);
} catch (e) {
  stop(2, `cannot check ${target}: ${e.code === "ENOENT" ? "no such file: " + e.path : e.message}`);
}
sig = report && typeof report === "object" ? report.signature : undefined;
if (!sig || typeof sig.public_key !== "string" || typeof sig.value !== "string") stop(1, "report.json is not signed");
delete report.signature;
raw = Buffer.from(sig.public_key, "base64");
if (raw.length !== 32) stop(1, "signature.public_key is not a raw Ed25519 key");
const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
// Reports now sign the SHA-512/256 digest of the canonical bytes (signature.prehash);
// a report without prehash was signed over the canonical bytes themselves.
let message = Buffer.from(jcs(report), "utf8");
if (sig.prehash === "SHA-512/256") message = createHash("sha512-256").update(message).digest();
else if (sig.prehash !== undefined) stop(1, `unsupported prehash ${JSON.stringify(sig.prehash)}`);
if (!verify(null, message, key, Buffer.from(sig.value, "base64"))) {
  stop(1, "signature does not match");
}
for (const [name, digest] of Object.entries(report.files || {})) {
  let h;
  try {
    h = createHash("sha256").update(readFileSync(join(dir, name))).digest("hex");
  } catch (e) {
    stop(1, `${name} missing`);
  }
  if (h !== digest) stop(1, `${name} changed`);
}
const id = hexOf(raw).slice(0, 16);
if (expected === undefined) {
  stop(3, `UNTRUSTED: intact, signed by ${fingerprint(raw)}; compare it with a key you trust (give it as 2nd argument)`);
}
if (expected !== hexOf(raw)) stop(1, `signed by another key: ${fingerprint(raw)}, expected SHA256 ${expected}`);
console.log(`ok ${id} ${fingerprint(raw)}`);
