"""Per-vehicle position records, built from the journaled JSON of 0x1200 frames (mock and access check alike)."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

POSITION_TYPES = {0x1202: "real", 0x1203: "history"}
FIELDS = ("time", "lon_deg", "lat_deg", "vec1", "vec2", "vec3", "direction", "altitude", "state", "alarm", "encrypt")


def position_records(body: dict[str, Any] | None, *, received: float, seq: int = 0, valid: bool = True,
                     user_id: str = "") -> list[dict[str, Any]]:
    """The positions in one decoded 0x1200 body (jsonview.body_to_json shape); [] for anything else."""
    if not isinstance(body, dict) or body.get("data_type") not in POSITION_TYPES:
        return []
    data = body.get("data") or {}
    # a body that did not decode (data None, or a 0x1203 whose records did not) holds no position: none invented
    blocks = data.get("locations", []) if body["data_type"] == 0x1203 else ([data] if data else [])
    out = []
    for i, loc in enumerate(blocks):
        if not isinstance(loc, dict) or "gnss_data_hex" in loc:  # a 2019 record whose GNSS_DATA held no position
            continue
        rec = {k: loc.get(k) for k in FIELDS}
        rec.update(vehicle_no=body.get("vehicle_no", ""), vehicle_color=body.get("vehicle_color"),
                   kind=POSITION_TYPES[body["data_type"]], block=i, received=received, seq=seq, valid=valid,
                   user_id=user_id)
        out.append(rec)
    return out


def positions_from_journal(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Every position the platform received, from journal rows (Journal.read dicts or Exchange objects)."""
    return list(iter_positions(rows))


def iter_positions(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """positions_from_journal one position at a time (the access check streams a day's journal)."""
    for row in rows:
        get = row.get if isinstance(row, dict) else (lambda k, r=row: getattr(r, k, None))
        if get("method") != "recv" or not isinstance(get("request_plaintext"), dict):
            continue
        notes = get("notes") or {}
        valid = get("outcome") == "ok" and not any(f.get("level") == "fail" for f in notes.get("findings", []))
        yield from position_records(get("request_plaintext"), received=get("time") or 0.0, seq=get("seq") or 0,
                                    valid=valid, user_id=get("client_id") or "")


def by_vehicle(records: Iterable[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Records grouped by (plate, colour code), each list in arrival order."""
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault((r["vehicle_no"], r["vehicle_color"]), []).append(r)
    return out
