"""Do two source trees judge Henan city bodies alike? The guard for performance work on Henan's validation path.

    python bench/henan_verdicts.py [--base DIR] [--records 150]

A fixed corpus: valid bodies of the eight city interfaces (schemas/henan/datagen.py, several seeds), each also
mutated in 16 ways aimed at the rules and the field checks (fields dropped, emptied, retyped; §6.4 serials with
another enterprise, gate, state letter, an impossible date or time, seconds 60; times swapped; Appendix A
alternatives: gate 00, 4190 enterprise codes, data: URIs), each body sent as the §2.4 envelope. Every body is
validated under every Henan profile (default, strict and each alternative reading). Printed: how many
validations, violations, and a digest of every violation's fields. `--base DIR` computes the same in the source
tree DIR (e.g. `git archive BASE | tar -x -C DIR`) in a subprocess and says whether they are equal.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys


def corpus(records: int) -> list[tuple[str, dict]]:
    from schemas.henan.datagen import CityData

    out: list[tuple[str, dict]] = []
    for seed in range(3):
        d = CityData(seed)
        acc = d.account()
        for n in range(records):
            rec = d.passage(d.free_vehicle(n), n, entering=n % 2 == 0)
            bodies = [("shareDrivingRecord", rec), ("shareGoodsRecord", d.goods(rec))]
            if n % 10 == 0:  # the larger bodies (images) less often
                bodies += [("sharePhotoInfo", d.photo(rec)), ("shareVehInfo", d.veh_info(n)),
                           ("shareInnerVehInfo", d.inner_veh_info(n)), ("shareInnerMHYElec", d.machine(n)),
                           ("getCheckVehicle", d.free_vehicle(n))]
            for interface, value in bodies:
                for mutated in mutations(value, n):
                    out.append((interface, {"organ": acc["organ"], "ipctype": interface,
                                            "access_token": "0123456789ABCDEF0123456789ABCDEF", "value": mutated}))
            if n % 25 == 0:
                out.append(("getAccessToken", {"organ": acc["organ"], "ipctype": "getAccessToken",
                                               "username": acc["username"], "password": acc["password"]}))
    return out


def mutations(value: dict, n: int) -> list[dict]:
    keys = sorted(value)
    k = keys[n % len(keys)]
    out = [value, {x: y for x, y in value.items() if x != k}, {**value, k: ""}, {**value, k: 12345},
           {**value, k: str(value[k])[:-1] + "X"}]
    lsh = value.get("lsh")
    if isinstance(lsh, str) and len(lsh) == 25:
        out += [{**value, "lsh": "4101000001" + lsh[10:]}, {**value, "lsh": lsh[:10] + "09" + lsh[12:]},
                {**value, "lsh": lsh[:12] + ("B" if lsh[12] == "A" else "A") + lsh[13:]},
                {**value, "lsh": lsh[:13] + "261330" + lsh[19:]},  # month 13
                {**value, "lsh": lsh[:13] + "250229" + lsh[19:]},  # no 29 February in 2025
                {**value, "lsh": lsh[:19] + ["246000", "235960", "000000", "236161"][n % 4]},
                {**value, "lsh": lsh[:10] + "00" + lsh[12:], "dzbh": "00"},
                {**value, "qybh": "4190010001", "lsh": "4190010001" + lsh[10:]}]
    if "tgsjq" in value:
        out += [{**value, "tgsjq": value["tgsjz"], "tgsjz": value["tgsjq"]}, {**value, "tgsjz": "2026-02-30 08:00:00"}]
    for img in ("base64Image", "drivingLicenseImg", "imageInfo"):
        if value.get(img):
            out.append({**value, img: "data:image/jpeg;base64," + value[img]})
    return out


def digest(records: int) -> dict:
    from harness import specdata
    from schemas.henan import validate as hv

    profiles = [specdata.profile("henan", p) for p in specdata.profile_names("henan")]
    h, validations, violations = hashlib.sha256(), 0, 0
    for interface, body in corpus(records):
        for prof in profiles:
            vs = hv.validate(interface, "request", body, profile=prof)
            validations += 1
            violations += len(vs)
            h.update(json.dumps([v.__dict__ for v in vs], ensure_ascii=False, sort_keys=True, default=str).encode())
    return {"validations": validations, "violations": violations, "digest": h.hexdigest()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", metavar="DIR", help="also the source tree in DIR, compared")
    ap.add_argument("--records", type=int, default=150)
    ap.add_argument("--tree", help=argparse.SUPPRESS)  # the tree to import (the subprocess for --base)
    args = ap.parse_args()
    for flag, tree in (("--base", args.base), ("--tree", args.tree)):
        if tree and not os.path.isfile(os.path.join(tree, "schemas", "henan", "validate.py")):
            # (else the installed package, this tree, is imported and compared with itself: "the same verdicts")
            ap.error(f"{flag} {tree}: no source tree there (no schemas/henan/validate.py)")
    sys.path.insert(0, args.tree or os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if args.tree:
        print(json.dumps(digest(args.records)))
        return 0
    here = digest(args.records)
    print(f"this tree: {here['validations']} validations, {here['violations']} violations, digest {here['digest']}")
    if not args.base:
        return 0
    base_dir = os.path.abspath(args.base)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--tree", base_dir, "--records",
                          str(args.records)], cwd=base_dir, capture_output=True, text=True, check=True).stdout
    base = json.loads(out.strip().splitlines()[-1])
    print(f"--base:    {base['validations']} validations, {base['violations']} violations, digest {base['digest']}")
    same = base == here
    print("the same verdicts" if same else "DIFFERENT verdicts")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
