"""Deliberately broken Henan gate systems, one rule broken each:
`python tests/specs/henan/broken_gate_clients.py VARIANT ACTION CTX`.

Each variant is the reference gate client (suites/henan/reference_gate_client.py) with a single override;
tests/specs/henan/test_henan_catalog.py asserts the harness fails each with the named check and clause.
"""
from __future__ import annotations

import base64
import sys

from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: broken_scaffold

from broken_scaffold import pick, post_labelled  # noqa: E402
from suites.henan.reference_gate_client import PREFIX, GateClient, run_adapter  # noqa: E402


class WrongPath(GateClient):
    """Posts getCheckVehicle to put_data: §3.1 lists it under get_data."""

    def path(self, ipctype):
        return PREFIX + "put_data" if ipctype == "getCheckVehicle" else super().path(ipctype)


class FormEncoded(GateClient):
    """Declares application/x-www-form-urlencoded for a JSON body (§2.2: JSON)."""

    def post(self, path, body):
        return post_labelled(self.base_url + path, body, "application/x-www-form-urlencoded", self.timeout)


class WrongOrgan(GateClient):
    """Sends the city bureau's code as organ in business calls, not the code the platform assigned (E-HN-18)."""

    def envelope(self, ipctype, value, token):
        return {**super().envelope(ipctype, value, token), "organ": self.creds["organ"][:4] + "000000"}


class NoToken(GateClient):
    """Leaves access_token empty (§2.4: 必选)."""

    def envelope(self, ipctype, value, token):
        return {**super().envelope(ipctype, value, token), "access_token": ""}


class NoRenewal(GateClient):
    """Keeps its token forever and gives up on 401 (§4.1.1: 2 hours, then get a new one)."""

    renew_on_401 = False


class LetsControlledPass(GateClient):
    """Opens the barrier for every vehicle, controlled or not (E-HN-16)."""

    def perform(self, action, params):
        out = super().perform(action, params)
        return {**out, "pass": True} if action == "getCheckVehicle" else out


class PhotoOtherLsh(GateClient):
    """Gives photos a serial of its own (the out-letter B) instead of the passage's lsh (§6.4, §4.1.5)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "sharePhotoInfo":
            v["lsh"] = v["lsh"][:12] + "B" + v["lsh"][13:]
        return v


class DropsName(GateClient):
    """Leaves out qymc (企业名称) of the passage record."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDrivingRecord":
            v.pop("qymc", None)
        return v


class NumericTonnes(GateClient):
    """Sends ysl as a JSON number (§4.1.6: 字符)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareGoodsRecord":
            v["ysl"] = int(float(v["ysl"]))
        return v


class LongName(GateClient):
    """Pads qymc beyond its 150 characters (§4.1.4)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDrivingRecord":
            v["qymc"] = v["qymc"] + "有" * 150
        return v


class RoundsTonnes(GateClient):
    """Keeps ysl in whole tonnes (an integer column): 32.5 goes out as 32 (§4.1.6 字符 4, E-HN-17). The interface
    stage's whole tonnages pass; only generated decimals show it."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareGoodsRecord":
            v["ysl"] = str(int(float(v["ysl"])))
        return v


class ColourName(GateClient):
    """Sends the plate colour's name (黄色) instead of its §7.1 code."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareGoodsRecord":
            v["cpys"] = "黄"
        return v


class SlashTime(GateClient):
    """Writes tgsjq as yyyy/MM/dd HH:mm:ss (§4.1.4: yyyy-MM-dd HH:mm:ss)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDrivingRecord":
            v["tgsjq"] = v["tgsjq"].replace("-", "/")
        return v


class LshOtherGate(GateClient):
    """Composes its passages' lsh with gate 99 while dzbh says otherwise (§6.4)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDrivingRecord":
            v["lsh"] = v["lsh"][:10] + "99" + v["lsh"][12:]
        return v


class PngPhoto(GateClient):
    """Uploads photos as PNG (§2.2: JPG)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "sharePhotoInfo":
            v["base64Image"] = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()
        return v


class RewritesPlate(GateClient):
    """Normalises plates to the blue colour code whatever the camera read (params not reported as given)."""

    def value(self, action, params):
        v = super().value(action, params)
        if action == "shareDrivingRecord":
            v["cpys"] = "0" if v.get("cpys") != "0" else "1"
        return v


class NoGoods(GateClient):
    """Exits 0 for a goods record without sending it."""

    def perform(self, action, params):
        return None if action == "shareGoodsRecord" else super().perform(action, params)


class WrongSecret(GateClient):
    """Sends a 企业授权码 of its own making (§4.1.2)."""

    def value(self, action, params):
        v = super().value(action, params)
        if "companySecretCode" in v:
            v["companySecretCode"] = "0" * 32
        return v


# ---- documented alternative readings: they pass, with a warning citing their erratum ----------------------------
class MultipartPhotos(GateClient):
    """E-HN-02: photos as §5.2 shows them, multipart/form-data with parts file (the JPEG) and info (the envelope)."""

    def post(self, path, body):
        if body.get("ipctype") != "sharePhotoInfo":
            return super().post(path, body)
        import json
        import urllib.error
        import urllib.request

        value = dict(body["value"])
        jpeg = base64.b64decode(value.pop("base64Image"))
        info = json.dumps({**body, "value": value}, ensure_ascii=False).encode()
        boundary = "vconformHenanBoundary7"
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
                f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + \
               (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"info\"\r\n"
                f"Content-Type: application/json; charset=utf-8\r\n\r\n").encode() + info + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(self.base_url + path, data=data, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read().decode())


class FlatBodies(GateClient):
    """E-HN-03: shareVehInfo, shareInnerVehInfo and shareInnerMHYElec bodies as §4.1.2/§4.1.7/§4.1.8 print them."""

    def call(self, ipctype, value):
        if ipctype not in ("shareVehInfo", "shareInnerVehInfo", "shareInnerMHYElec"):
            return super().call(ipctype, value)
        ans = self.post(self.path(ipctype), {"accessToken": self.token(), **value})
        if ans.get("result") != "success":
            from suites.henan.reference_gate_client import ClientError

            raise ClientError(f"{ipctype} refused: {ans}")
        return {"code": "200"}


IMAGE_FIELDS = ("base64Image", "drivingLicenseImg", "drivingLicenseImg2", "imageInfo")  # every image row, §4.1


class DataUriImages(GateClient):
    """E-HN-22: every non-empty image as a data:image/jpeg;base64, URI around the same Base64 (readAsDataURL)."""

    def value(self, action, params):
        v = super().value(action, params)
        return {k: f"data:image/jpeg;base64,{x}" if k in IMAGE_FIELDS and x else x for k, x in v.items()}


class OmitsEmptyImage(GateClient):
    """Leaves out the empty one of the licence/list image pair (§4.1.2/§4.1.7: only not both empty); spec-conform."""

    def value(self, action, params):
        return {k: x for k, x in super().value(action, params).items() if not (k in IMAGE_FIELDS and x == "")}


class PrintedFlat(GateClient):
    """§4.1.2's body exactly as printed: the table's fields at the top level, no accessToken, organ or ipctype."""

    def call(self, ipctype, value):
        if ipctype != "shareVehInfo":
            return super().call(ipctype, value)
        ans = self.post(self.path(ipctype), value)
        if ans.get("result") != "success":
            from suites.henan.reference_gate_client import ClientError

            raise ClientError(f"{ipctype} refused: {ans}")
        return {"code": "200"}


class ValueString(GateClient):
    """E-HN-53: the §2.4 value as a JSON string of the business object, as the type column 字符型 reads."""

    def envelope(self, ipctype, value, token):
        import json

        return super().envelope(ipctype, json.dumps(value, ensure_ascii=False), token)


class DetectingPath(GateClient):
    """E-HN-01: put_data at /restapi/detecting/put_data as printed under the §2.4 table."""

    def path(self, ipctype):
        p = super().path(ipctype)
        return "/restapi/detecting/put_data" if p.endswith("/put_data") else p


VARIANTS = {
    "wrong-path": WrongPath,
    "form-encoded": FormEncoded,
    "wrong-organ": WrongOrgan,
    "no-token": NoToken,
    "no-renewal": NoRenewal,
    "lets-controlled-pass": LetsControlledPass,
    "photo-other-lsh": PhotoOtherLsh,
    "drops-name": DropsName,
    "numeric-tonnes": NumericTonnes,
    "long-name": LongName,
    "colour-name": ColourName,
    "rounds-tonnes": RoundsTonnes,
    "slash-time": SlashTime,
    "lsh-other-gate": LshOtherGate,
    "png-photo": PngPhoto,
    "rewrites-plate": RewritesPlate,
    "no-goods": NoGoods,
    "wrong-secret": WrongSecret,
    "multipart-photos": MultipartPhotos,
    "flat-bodies": FlatBodies,
    "detecting-path": DetectingPath,
    "data-uri-images": DataUriImages,
    "omits-empty-image": OmitsEmptyImage,
    "printed-flat": PrintedFlat,
    "value-string": ValueString,
    "reference": GateClient,
}

if __name__ == "__main__":
    sys.exit(run_adapter(VARIANTS[pick(VARIANTS)], sys.argv[2:]))
