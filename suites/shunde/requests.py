"""The platform's requests a forwarder answers (schemas/shunde/requests.toml): building a request, its answer,
and reading which answer matches which request. Shared by the reference forwarder, the session and the check."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from harness import specdata
from harness.jt809 import layouts
from harness.jt809.jsonview import location_from_json
from harness.jt809.messages import MESSAGES, TABLES, answer_data, to_2019


@dataclass(frozen=True)
class RequestRule:
    request: int                # DATA_TYPE of the request (0x9xxx), or its MSG_ID when `family` is None
    family: int | None          # its outer MSG_ID; None: a message of its own (the 2019 link management)
    answer_family: int | None
    answer: int                 # DATA_TYPE of the answer (its MSG_ID when `answer_family` is None)
    echo: dict[str, str]
    fill: dict[str, Any]
    sample: dict[str, Any]
    revision: str | None = None  # "2019": sent (and answered) under the 2019 header only

    def _row(self, family: int | None, msg: int, revision: str | None = None) -> Any:
        table = TABLES[self.revision or revision or "2011"]
        return table.messages[msg] if family is None else table.subs[family][msg]

    @property
    def request_name(self) -> str:
        return self._row(self.family, self.request).name

    @property
    def answer_name(self) -> str:
        return self._row(self.answer_family, self.answer).name

    def applies(self, revision: str) -> bool:
        return self.revision in (None, revision)


def load() -> dict[int, RequestRule]:
    rows = specdata.load("shunde", "requests")["requests"]
    hex_or_none = lambda v: int(v, 16) if v else None  # noqa: E731
    return {int(k, 16): RequestRule(int(k, 16), hex_or_none(r.get("family")), hex_or_none(r.get("answer_family")),
                                    int(r["answer"], 16), dict(r.get("echo", {})), dict(r.get("fill", {})),
                                    dict(r.get("sample", {})), r.get("revision"))
            for k, r in rows.items()}


RULES = load()


@dataclass(frozen=True)
class Inform:
    """A platform message that wants no answer (requests.toml [informs])."""
    msg: int                    # its DATA_TYPE
    family: int                 # its outer MSG_ID
    sample: dict[str, Any]

    def name(self, revision: str = "2011") -> str:
        return TABLES[revision].subs[self.family][self.msg].name


INFORMS = {int(k, 16): Inform(int(k, 16), int(r["family"], 16), dict(r.get("sample", {})))
           for k, r in specdata.load("shunde", "requests").get("informs", {}).items()}


def inform_message(inform: Inform, vehicle: tuple[str, int], revision: str = "2011") -> Any:
    """The harness's inform in a body revision: the sample on that revision's layout, VEHICLE_NO / VEHICLE_COLOR
    the flow's vehicle where the layout has them, a position (its JSON view) stamped with the time of sending."""
    cls = TABLES[revision].subs[inform.family][inform.msg].cls
    names = set(cls.__dataclass_fields__)
    values = {k: v for k, v in {**inform.sample, "vehicle_no": vehicle[0], "vehicle_color": vehicle[1]}.items()
              if k in names}
    now = datetime.now().replace(microsecond=0)

    def position(p: dict[str, Any], kind: str, age_s: int = 0) -> Any:
        loc = location_from_json({"time": (now - timedelta(seconds=age_s)).isoformat(), **p})
        return to_2019(loc, 0) if kind.startswith("gnss2019") else loc

    for spec in layouts.SPECS.get(cls, []):
        if spec.kind in ("gnss", "gnss2019") and isinstance(values.get(spec.name), dict):
            values[spec.name] = position(values[spec.name], spec.kind)
        elif spec.kind in ("gnss_list", "gnss2019_list") and isinstance(values.get(spec.name), list):
            ps = values[spec.name]  # in time order, the last one now, 30 s apart
            values[spec.name] = [position(p, spec.kind, 30 * (len(ps) - 1 - i)) for i, p in enumerate(ps)]
    return _outer(inform.family, cls(**values), vehicle)


def _outer(family: int | None, data: Any, vehicle: tuple[str, int] | None) -> Any:
    if family is None:  # a message of its own
        return data
    cls = MESSAGES[family].cls
    if "vehicle_no" in {f.name for f in dataclasses.fields(cls)}:
        plate, color = vehicle or ("", 1)
        return cls(plate, color, data=data)
    return cls(data=data)


def request_message(rule: RequestRule, vehicle: tuple[str, int], revision: str = "2011") -> Any:
    """The harness's request in a body revision (the header profile's): the sample values on that revision's layout
    of the row (values for fields the layout does not have are left out: the 2011 0x920A has no FLAG)."""
    cls = rule._row(rule.family, rule.request, revision).cls
    sub = cls(**{k: v for k, v in rule.sample.items() if k in cls.__dataclass_fields__})
    return _outer(rule.family, sub, vehicle)


def answer_message(rule: RequestRule, request: Any, revision: str = "2011", request_sn: int = 0) -> Any:
    """The answer to a decoded request body (its outer message) in a body revision: echoed fields copied, the rest
    filled; a 2019 answer also names the request by its DATA_TYPE and MSG_SN (`request_sn`, the request's header)."""
    data = request if rule.family is None else request.data
    values = {**rule.fill, **{a: getattr(data, r) for a, r in rule.echo.items()}}
    if rule.answer_family is None:
        return TABLES[revision].messages[rule.answer].cls(**values)
    cls = TABLES[revision].subs[rule.answer_family][rule.answer].cls
    for spec in layouts.SPECS.get(cls, []):  # a position given as its JSON view, stamped with the time of the answer
        if spec.kind == "gnss" and isinstance(values.get(spec.name), dict):
            values[spec.name] = location_from_json({"time": datetime.now().replace(microsecond=0).isoformat(),
                                                    **values[spec.name]})
    sub = answer_data(rule.answer_family, rule.answer, revision, values, (rule.request, request_sn))
    vehicle = (request.vehicle_no, request.vehicle_color) if hasattr(request, "vehicle_no") else None
    return _outer(rule.answer_family, sub, vehicle)


def rule_for(msg_id: int, body: Any) -> RequestRule | None:
    """The rule of a received frame (outer MSG_ID and decoded body), None when it is no request we answer."""
    own = RULES.get(msg_id)
    if own is not None and own.family is None:
        return own if type(body) is own._row(None, msg_id).cls else None
    rule = RULES.get(getattr(body, "data_type", None) or -1)
    return rule if rule is not None and rule.family == msg_id and not isinstance(body.data, (bytes, bytearray)) \
        else None
