"""The harness's documented 'GPS是否正常' rules (E-SD-05; thresholds in schemas/shunde/platform.toml [gps_normal])."""
from __future__ import annotations

import math
from array import array
from datetime import datetime, timedelta, timezone
from typing import Any

from harness import specdata

RULES = {
    "fix": ("定位无效", "no positioned fix (JT/T 808 STATE bit 1 clear)"),
    "area": ("位置不合理", "position outside the plausibility box"),
    "future": ("时间超前", "position time in the future"),
    "stale": ("时间滞后", "real-time position older than the stale limit"),
    "silent": ("长时间无上报", "no position for longer than the silent limit"),
    "interval": ("上报间隔过长", "gap between positions above the limit"),
    "speed": ("速度异常", "GNSS speed above the limit"),
    "jump": ("位置跳变", "impossible jump between positions"),
}


def load_rules() -> dict[str, Any]:
    return dict(specdata.load("shunde", "platform")["gps_normal"])


def local_epoch(iso: str | None, offset_h: float) -> float | None:
    """Epoch seconds of a DAY..SEC time sent as naive local time (E-SD-08)."""
    if not iso:
        return None
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone(timedelta(hours=offset_h)))
    return t.timestamp()


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _finding(rule: str, detail: str) -> dict[str, str]:
    zh, en = RULES[rule]
    return {"rule": rule, "message": f"{zh}：{detail}", "title_en": en}


def position_findings(p: dict[str, Any], rules: dict[str, Any]) -> list[dict[str, str]]:
    """The rules one position can break on its own: fix, area, future, stale, speed."""
    out = []
    offset = rules["utc_offset_h"]
    when = local_epoch(p.get("time"), offset)
    if not (int(p.get("state") or 0) >> int(rules["fix_state_bit"])) & 1:
        out.append(_finding("fix", f"{p.get('time')} STATE=0x{int(p.get('state') or 0):08X}"))
    box = rules["area"]
    lon, lat = float(p.get("lon_deg") or 0), float(p.get("lat_deg") or 0)
    if not (box["lon_min"] <= lon <= box["lon_max"] and box["lat_min"] <= lat <= box["lat_max"]):
        out.append(_finding("area", f"{lon:.6f}E {lat:.6f}N 不在{box['name']}范围 "
                                    f"({box['lon_min']}–{box['lon_max']}E, {box['lat_min']}–{box['lat_max']}N)"))
    received = p.get("received")
    if when is not None and received:
        ahead = when - float(received)
        if ahead > rules["future_tolerance_s"]:
            out.append(_finding("future", f"{p.get('time')} 比接收时间超前 {ahead:.0f} s "
                                          f"(> {rules['future_tolerance_s']} s)"))
        if p.get("kind") == "real" and -ahead > rules["stale_s"]:
            out.append(_finding("stale", f"实时位置 {p.get('time')} 比接收时间滞后 {-ahead:.0f} s "
                                         f"(> {rules['stale_s']} s)"))
    speed = int(p.get("vec1") or 0)
    if speed > rules["max_speed_kmh"]:
        out.append(_finding("speed", f"{p.get('time')} VEC1 {speed} km/h > {rules['max_speed_kmh']} km/h"))
    return out


def track_findings(positions: list[dict[str, Any]], rules: dict[str, Any], now: float | None) -> list[dict[str, str]]:
    """Every rule over one vehicle's valid positions; each rule reported once, with its worst case."""
    track = Track(rules)
    for p in positions:
        track.add(p)
    return track.findings(now)


class Track:
    """One vehicle's valid positions, kept compact (time, lon, lat: 24 bytes each) so a day's journal can be
    judged streaming: the single-position rules are judged as positions arrive (the earliest in time kept per
    rule), the pairwise ones (interval, jump) over the time-sorted arrays at the end."""

    def __init__(self, rules: dict[str, Any]):
        self.rules = rules
        self.times, self.lons, self.lats = array("d"), array("d"), array("d")
        self.first: dict[str, tuple[float, dict[str, str]]] = {}
        self.valid = 0  # valid positions added, those without a readable time included

    def add(self, p: dict[str, Any]) -> None:
        if not p.get("valid", True):
            return
        self.valid += 1
        t = local_epoch(p.get("time"), self.rules["utc_offset_h"])
        if t is None:
            return
        for f in position_findings(p, self.rules):
            if f["rule"] not in self.first or t < self.first[f["rule"]][0]:
                self.first[f["rule"]] = (t, f)
        self.times.append(t)
        self.lons.append(float(p.get("lon_deg") or 0))
        self.lats.append(float(p.get("lat_deg") or 0))

    def _iso(self, t: float) -> str:
        """The DAY..SEC local time a position was sent with (whole seconds, naive)."""
        tz = timezone(timedelta(hours=self.rules["utc_offset_h"]))
        return datetime.fromtimestamp(t, tz).replace(tzinfo=None).isoformat()

    def findings(self, now: float | None) -> list[dict[str, str]]:
        rules = self.rules
        found = {rule: f for rule, (_t, f) in self.first.items()}
        order = sorted(range(len(self.times)), key=self.times.__getitem__)
        times, lons, lats = self.times, self.lons, self.lats
        if order and now is not None and now - times[order[-1]] > rules["silent_s"]:
            found["silent"] = _finding("silent", f"最后位置 {self._iso(times[order[-1]])} 距核查时间 "
                                                 f"{now - times[order[-1]]:.0f} s (> {rules['silent_s']} s)")
        worst_gap, worst_jump = None, None
        for i, j in zip(order, order[1:]):
            gap = times[j] - times[i]
            if gap > rules["max_interval_s"] and (worst_gap is None or gap > worst_gap[0]):
                worst_gap = (gap, i, j)
            km = distance_km(lons[i], lats[i], lons[j], lats[j])
            if km >= rules["jump_min_km"]:
                kmh = km / (gap / 3600) if gap > 0 else float("inf")
                if kmh > rules["max_jump_kmh"] and (worst_jump is None or kmh > worst_jump[0]):
                    worst_jump = (kmh, km, i, j)
        if worst_gap:
            gap, i, j = worst_gap
            found["interval"] = _finding("interval", f"{self._iso(times[i])} 至 {self._iso(times[j])} 间隔 {gap:.0f} s "
                                                     f"(> {rules['max_interval_s']} s)")
        if worst_jump:
            kmh, km, i, j = worst_jump
            shown = "∞" if math.isinf(kmh) else f"{kmh:.0f}"
            found["jump"] = _finding("jump", f"{self._iso(times[i])} 至 {self._iso(times[j])} 移动 {km:.1f} km，"
                                             f"折合 {shown} km/h (> {rules['max_jump_kmh']} km/h)")
        return [found[r] for r in RULES if r in found]
