"""Yunnan's cross-field rules of the §6 tables' 备注 column, registered by the name interfaces.toml uses.

The framework (Violation, RuleContext, the registry and the rules any spec may use: real_dates, ordered,
id_list) is harness.validation; the clause each rule cites comes from its entry in interfaces.toml.
"""
from __future__ import annotations

from harness.validation import COMMON_RULES, RuleContext, Rules

RULES = Rules(COMMON_RULES)


def _composed(ctx: RuleContext, name: str, prefix: str, digits: int, text: str, level="fail", errata=None):
    value = ctx.obj[name]
    tail = value[len(prefix):]
    if value.startswith(prefix) and len(tail) == digits and tail.isdigit():
        return
    yield ctx.violation(
        name, "composition",
        f"received {value!r} at {ctx.at}.{name}, spec requires {text}, i.e. {prefix!r} + {digits} digits",
        level, errata,
    )


@RULES.rule("camera_id")
def camera_id(ctx: RuleContext):
    if ctx.ok("cameraId", "enterpriseId", "entranceId"):
        yield from _composed(ctx, "cameraId", ctx.obj["enterpriseId"] + ctx.obj["entranceId"], 2,
                             "enterpriseId + entranceId + a 2-digit camera number")


@RULES.rule("gate_in_entrance")
def gate_in_entrance(ctx: RuleContext):
    if ctx.ok("gateId", "entranceId") and not ctx.obj["gateId"].startswith(ctx.obj["entranceId"]):
        gate, ent = ctx.obj["gateId"], ctx.obj["entranceId"]
        yield ctx.violation("gateId", "composition",
                            f"received gateId {gate!r} at {ctx.at}.gateId with entranceId {ent!r}, "
                            f"spec requires the gate id to start with its entrance id ({ent}NN)")


@RULES.rule("vehicle_id")
def vehicle_id(ctx: RuleContext):
    if ctx.ok("vehicleId", "enterpriseId"):
        yield from _composed(ctx, "vehicleId", ctx.obj["enterpriseId"], 5, "enterpriseId + a 5-digit sequence")


@RULES.rule("access_vehicle_id")
def access_vehicle_id(ctx: RuleContext):
    # §6.13 only says "the ledger's vehicle id" and its example breaks the §6.11 form: warn, never fail.
    if ctx.ok("vehicleId", "enterpriseId"):
        yield from _composed(ctx, "vehicleId", ctx.obj["enterpriseId"], 5,
                             "the §6.11 ledger vehicle id, enterpriseId + a 5-digit sequence",
                             "warn", ctx.params.get("errata"))


@RULES.rule("machinery_id")
def machinery_id(ctx: RuleContext):
    if ctx.ok("machineryId", "enterpriseId"):
        yield from _composed(ctx, "machineryId", "JX" + ctx.obj["enterpriseId"], 5,
                             "JX + enterpriseId + a 5-digit sequence")


@RULES.rule("record_id")
def record_id(ctx: RuleContext):
    if not ctx.ok("recordId", "enterpriseId", "accessType"):
        return
    rid, eid, acc = ctx.obj["recordId"], ctx.obj["enterpriseId"], ctx.obj["accessType"]
    head, kind, seq = rid[:-6], rid[-6:-5], rid[-5:]
    stamp = head[: len(head) - len(eid)]
    want = f"timestamp (18 digits) + enterpriseId {eid!r} + accessType {acc!r} + a 5-digit sequence"
    if not (head.endswith(eid) and stamp.isdigit() and kind == acc and seq.isdigit()):
        yield ctx.violation("recordId", "composition", f"received {rid!r} at {ctx.at}.recordId, spec requires {want}")
    elif len(stamp) in (13, 17):
        # yyyyMMddHHmmssSSS and epoch milliseconds are the widths real clocks give (E-YN-10).
        yield ctx.violation("recordId", "composition",
                            f"received a {len(stamp)}-digit timestamp {stamp!r} in recordId at {ctx.at}.recordId, "
                            f"spec requires 18 digits", "warn", ctx.params.get("errata"))
    elif len(stamp) != 18:
        yield ctx.violation("recordId", "composition",
                            f"received a {len(stamp)}-digit timestamp {stamp!r} in recordId at {ctx.at}.recordId, "
                            f"spec requires {want}")


@RULES.rule("industry_branch")
def industry_branch(ctx: RuleContext):
    if ctx.ok("industryBranch", "industryType"):
        branch, itype = ctx.obj["industryBranch"], ctx.obj["industryType"]
        parent = ctx.tables.entries("industryBranch").get(branch, {}).get("parent")
        if parent != itype:
            yield ctx.violation("industryBranch", "rule",
                                f"received industryBranch {branch!r} with industryType {itype!r} at {ctx.at}, "
                                f"spec requires a branch of that type (§7.9 lists {branch} under {parent})")


@RULES.rule("region_in_area")
def region_in_area(ctx: RuleContext):
    if ctx.ok("regionCode", "areaCode"):
        region, area = ctx.obj["regionCode"], ctx.obj["areaCode"]
        entry = ctx.tables.entries("region").get(region, {})
        if entry.get("parent") != area:
            yield ctx.violation("regionCode", "rule",
                                f"received regionCode {region!r} ({entry.get('name', '?')}) with areaCode {area!r} "
                                f"at {ctx.at}, spec requires a county of that city (§7.2 puts it under {entry.get('parent')})")


@RULES.rule("machinery_img3")
def machinery_img3(ctx: RuleContext):
    img, date, since = ctx.params["field"], ctx.params["date"], ctx.params["since"]
    if not ctx.ok(date) or ctx.obj.get(img) not in (None, ""):
        return
    if ctx.obj[date] >= since:  # YYYYMMDD strings order as dates
        yield ctx.violation(img, "rule",
                            f"received no {img} at {ctx.at} for machinery made {ctx.obj[date]}, spec requires "
                            f"the environmental label image for machinery made from {since}", "fail", ctx.params.get("errata"))
