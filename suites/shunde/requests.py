"""The platform's requests a forwarder answers (schemas/shunde/requests.toml): building a request, its answer,
and reading which answer matches which request. Shared by the reference forwarder, the session and the check."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness import specdata
from harness.jt809 import layouts
from harness.jt809.jsonview import location_from_json
from harness.jt809.messages import MESSAGES, TABLES, answer_data


@dataclass(frozen=True)
class RequestRule:
    request: int        # DATA_TYPE of the request (0x9xxx)
    family: int         # its outer MSG_ID
    answer_family: int
    answer: int         # DATA_TYPE of the answer
    echo: dict[str, str]
    fill: dict[str, Any]
    sample: dict[str, Any]

    @property
    def request_name(self) -> str:
        return TABLES["2011"].subs[self.family][self.request].name

    @property
    def answer_name(self) -> str:
        return TABLES["2011"].subs[self.answer_family][self.answer].name


def load() -> dict[int, RequestRule]:
    rows = specdata.load("shunde", "requests")["requests"]
    return {int(k, 16): RequestRule(int(k, 16), int(r["family"], 16), int(r["answer_family"], 16),
                                    int(r["answer"], 16), dict(r.get("echo", {})), dict(r.get("fill", {})),
                                    dict(r.get("sample", {})))
            for k, r in rows.items()}


RULES = load()


def _outer(family: int, data: Any, vehicle: tuple[str, int] | None) -> Any:
    cls = MESSAGES[family].cls
    if "vehicle_no" in {f.name for f in dataclasses.fields(cls)}:
        plate, color = vehicle or ("", 1)
        return cls(plate, color, data=data)
    return cls(data=data)


def request_message(rule: RequestRule, vehicle: tuple[str, int]) -> Any:
    """The harness's request: the sample values on the row's layout."""
    sub = TABLES["2011"].subs[rule.family][rule.request].cls(**rule.sample)
    return _outer(rule.family, sub, vehicle)


def answer_message(rule: RequestRule, request: Any, revision: str = "2011", request_sn: int = 0) -> Any:
    """The answer to a decoded request body (its outer message) in a body revision: echoed fields copied, the rest
    filled; a 2019 answer also names the request by its DATA_TYPE and MSG_SN (`request_sn`, the request's header)."""
    data = request.data
    values = {**rule.fill, **{a: getattr(data, r) for a, r in rule.echo.items()}}
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
    rule = RULES.get(getattr(body, "data_type", None) or -1)
    return rule if rule is not None and rule.family == msg_id and not isinstance(body.data, (bytes, bytearray)) \
        else None
