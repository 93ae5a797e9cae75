"""Deliberately broken Yunnan uploaders, one rule broken each: `python tests/specs/yunnan/broken_clients.py VARIANT ACTION CTX`.

Each variant is the reference client with a single override; tests/specs/yunnan/test_yunnan_catalog.py asserts the harness
fails each one with the named check and spec clause, and passes the unbroken reference.
"""
from __future__ import annotations

import json
import os
import sys

from harness import crypto
from schemas.yunnan import envelope
from suites.yunnan.client import YunnanClient
from suites.yunnan.reference_client import run_adapter


class Aes128(YunnanClient):
    """AES-128 session key where §5.2 requires AES-256."""

    aes_key_bytes = 16


class SignWrongBytes(YunnanClient):
    """Signs the plaintext instead of the ciphertext (no reading of §5.1/§5.3 allows it)."""

    def seal(self, plaintext):
        body = super().seal(plaintext)
        raw = self.encode_plaintext(plaintext)
        body["signature"] = crypto.b64(crypto.sign(self.private_key(), raw))
        return body


class SignContentOnly(YunnanClient):
    """The §5.3 reading (encryptedContent alone): a documented alternative, must only warn (E-YN-04)."""

    signature_range = "content"


class WrongPlatformKey(YunnanClient):
    """Encrypts the AES key to its own public key instead of the platform's."""

    def seal(self, plaintext):
        key = os.urandom(32)
        me = self.private_key()
        return envelope.seal_request(self.encode_plaintext(plaintext), me.public_key(), me, aes_key=key).body


class TokenReuse(YunnanClient):
    """Keeps using its token after the platform says it expired, never renews."""

    renew_on_token_error = False

    def token_valid(self):
        return bool(self.state.get("token"))


class InitTwice(YunnanClient):
    """Calls /init-auth every time it is asked to register, although §6.1 allows one successful call."""

    def init_auth(self, enterprise_id, enterprise_name):
        self.state.pop("apiKey", None)
        return super().init_auth(enterprise_id, enterprise_name)


class IsNewIgnored(YunnanClient):
    """Reads one page and stops, whatever isNew says."""

    def pull_all(self, interface, query):
        data = self.open_data(self.call(interface, dict(query))) or {}
        return data.get("records") or []


class ConfirmsSkipped(YunnanClient):
    """Says it confirmed but never calls the confirm interfaces."""

    def call(self, interface, plaintext, path=None):
        if interface in ("strategyConfirm", "alarmConfirm"):
            return {"code": 200}
        return super().call(interface, plaintext, path)


class NeverConfirms(YunnanClient):
    """Pulls every page and prints the records, but never tells the platform it received them (§6.8, §6.10)."""

    def confirm_received(self, interface, records):
        return None


class ConfirmsAllAtOnce(YunnanClient):
    """Confirms everything one pull received in a single call (250 ids) where §6.10 allows at most 100."""

    confirm_batch = 1000


class ConfirmsTwice(YunnanClient):
    """Sends every confirmation twice (a retry loop that ignores the platform's success answer)."""

    def confirm_received(self, interface, records):
        super().confirm_received(interface, records)
        super().confirm_received(interface, records)


class ConfirmsRecordIds(YunnanClient):
    """Confirms alarms by the enterprise's access recordId instead of the alarmId it received (§6.9, §6.10)."""

    confirms = {**YunnanClient.confirms, "alarmVehicle": ("alarmConfirm", "alarmId", "recordId")}


class SwallowsErrors(YunnanClient):
    """Reports success whatever the platform answered (a 503, a dropped connection)."""

    def call(self, interface, plaintext, path=None):
        try:
            return super().call(interface, plaintext, path)
        except Exception:
            return {"code": 200}


class NoClientId(YunnanClient):
    """Leaves out X-Client-Id."""

    def headers(self, with_token=True):
        h = super().headers(with_token)
        h.pop("X-Client-Id", None)
        return h


class _Mutating(YunnanClient):
    """Base for clients that change one field of one interface before sending."""

    target = ""

    def mutate(self, plaintext: dict) -> dict:
        return plaintext

    def call(self, interface, plaintext, path=None):
        if interface == self.target:
            plaintext = self.mutate(dict(plaintext))
        return super().call(interface, plaintext, path)


class FieldOverLength(_Mutating):
    """gateId of 4 characters where §6.13 says 3 (entrance + 2 digits)."""

    target = "vehicleAccess"

    def mutate(self, p):
        p["gateId"] = (p.get("gateId") or "A01") + "1"
        return p


class CodeOutsideTable(_Mutating):
    """plateColor 9, not in §7.6."""

    target = "vehicleInfo"

    def mutate(self, p):
        p["plateColor"] = "9"
        return p


class DateWrongFormat(_Mutating):
    """registrationDate as YYYY-MM-DD where §6.11 says YYYYMMDD."""

    target = "vehicleInfo"

    def mutate(self, p):
        d = p["registrationDate"]
        p["registrationDate"] = f"{d[:4]}-{d[4:6]}-{d[6:]}"
        return p


class AlteredRecord(_Mutating):
    """Changes the cargo name between what it was given and what it sends."""

    target = "vehicleAccess"

    def mutate(self, p):
        p["cargoType"] = p["cargoType"] + "（改）"
        return p


class WrongContentType(YunnanClient):
    """Posts JSON labelled text/plain where §4.2 says application/json."""

    def post(self, path, body, headers=None):
        return super().post(path, body, {**(headers or {}), "Content-Type": "text/plain"})


class NoBearer(YunnanClient):
    """Leaves out the Authorization header on business calls."""

    def headers(self, with_token=True):
        return super().headers(with_token=False)


class EnvelopeWithoutSignature(YunnanClient):
    """Sends the envelope without its signature member."""

    def seal(self, plaintext):
        body = super().seal(plaintext)
        body.pop("signature")
        return body


class ContentNotJson(YunnanClient):
    """Encrypts a key=value text instead of the JSON plaintext of §6."""

    def encode_plaintext(self, plaintext):
        return "&".join(f"{k}={v}" for k, v in plaintext.items()).encode("utf-8")


class WeakKey(YunnanClient):
    """Registers an RSA-1024 public key where §5.1 asks for 2048."""

    def private_key(self):
        if "privateKey" not in self.state:
            self.state["privateKey"] = crypto.private_b64(crypto.generate_rsa(1024))
        return crypto.load_private(self.state["privateKey"])


class MissingRequired(_Mutating):
    """Leaves out enterpriseName (required, §6.3)."""

    target = "enterprise"

    def mutate(self, p):
        p.pop("enterpriseName", None)
        return p


class WrongType(_Mutating):
    """Sends entranceNums (数字, §6.3) as a string."""

    target = "enterprise"

    def mutate(self, p):
        p["entranceNums"] = str(p["entranceNums"])
        return p


class BrokenComposition(_Mutating):
    """Builds cameraId from another enterprise's id (§6.4: enterpriseId + entranceId + 2 digits)."""

    target = "cameraInfo"

    def mutate(self, p):
        p["cameraId"] = "91530100MA6K000000" + p["cameraId"][-3:]
        return p


class BranchOfOtherIndustry(_Mutating):
    """Pairs industryType 06 with branch 0701, which belongs to 07 (§7.9)."""

    target = "enterprise"

    def mutate(self, p):
        p["industryType"], p["industryBranch"] = "06", "0701"
        return p


class UnlinkedAccess(_Mutating):
    """Access records name a vehicle that was never put in the ledger (§6.13 vehicleId)."""

    target = "vehicleAccess"

    def mutate(self, p):
        p["vehicleId"] = p["enterpriseId"] + "99999"
        return p


class HeartbeatOtherEnterprise(_Mutating):
    """Sends its heartbeats under another enterprise's id, so its own stays offline (§6.5)."""

    target = "heartBeat"

    def mutate(self, p):
        p["enterpriseId"] = "91530100MA6K0000001"
        return p


VARIANTS = {
    "aes128": Aes128,
    "sign-wrong-bytes": SignWrongBytes,
    "sign-content-only": SignContentOnly,
    "wrong-platform-key": WrongPlatformKey,
    "token-reuse": TokenReuse,
    "init-twice": InitTwice,
    "isnew-ignored": IsNewIgnored,
    "confirms-skipped": ConfirmsSkipped,
    "never-confirms": NeverConfirms,
    "confirms-all-at-once": ConfirmsAllAtOnce,
    "confirms-twice": ConfirmsTwice,
    "confirms-record-ids": ConfirmsRecordIds,
    "no-client-id": NoClientId,
    "swallows-errors": SwallowsErrors,
    "field-over-length": FieldOverLength,
    "code-outside-table": CodeOutsideTable,
    "date-wrong-format": DateWrongFormat,
    "altered-record": AlteredRecord,
    "wrong-content-type": WrongContentType,
    "no-bearer": NoBearer,
    "envelope-without-signature": EnvelopeWithoutSignature,
    "content-not-json": ContentNotJson,
    "weak-key": WeakKey,
    "missing-required": MissingRequired,
    "wrong-type": WrongType,
    "broken-composition": BrokenComposition,
    "branch-of-other-industry": BranchOfOtherIndustry,
    "unlinked-access": UnlinkedAccess,
    "heartbeat-other-enterprise": HeartbeatOtherEnterprise,
    "reference": YunnanClient,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VARIANTS:
        print(f"usage: yunnan_clients.py VARIANT ACTION CONTEXT; variants: {', '.join(VARIANTS)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(run_adapter(VARIANTS[sys.argv[1]], sys.argv[2:]))
