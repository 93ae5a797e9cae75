"""report.html stays usable at 10x the exchanges: its size grows by a bounded number of bytes per exchange, its DOM
does not grow with the exchanges at all (evidence, passing rows and the journal are drawn on demand from the data
block), one defect repeated on every exchange is one root cause at the top, and secrets are masked by one
trie-shaped pattern that matches exactly what a longest-first alternation would.

Sizes and node counts only; timings belong in bench/report_write.py.
"""
from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.report.html_writer import render_html
from harness.report.redact import Redactor, literal_alternation

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from report_write import synthetic_model  # noqa: E402

BASE = 100  # exchanges of the 1x model; the 10x model has ten times as many
BYTES_PER_EXCHANGE = 3_500  # today ~2.7 KB (the old per-row layout: ~5.9 KB and ~190 elements per exchange)
MAX_ELEMENTS = 600  # the whole page's elements, whatever the number of exchanges (today ~380)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.count += 1
        self.ids |= {v for k, v in attrs if k == "id" and v}


def _parse(html: str) -> _Elements:
    p = _Elements()
    p.feed(html)
    return p


def _records(html: str) -> list:
    start = html.index('<script type="application/json" id="vc-data">')
    return json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])


def test_page_grows_by_bounded_bytes_and_no_elements_per_exchange():
    small, large = (render_html(synthetic_model(n, checks_per_exchange=3)) for n in (BASE, 10 * BASE))
    per_exchange = len(large.encode("utf-8")) / (10 * BASE)
    assert per_exchange <= BYTES_PER_EXCHANGE, f"{per_exchange:.0f} bytes per exchange"
    e_small, e_large = _parse(small), _parse(large)
    assert e_large.count <= MAX_ELEMENTS, f"{e_large.count} elements at {10 * BASE} exchanges"
    assert e_large.count - e_small.count <= 10, (e_small.count, e_large.count)


def test_data_block_holds_every_exchange_once_and_every_evidence_list():
    model = synthetic_model(BASE, checks_per_exchange=3)
    records = _records(render_html(model))
    kinds = [r[0] for r in records]
    assert kinds[0] == "h" and kinds[-1] == "end"
    items = [r[1] for r in records if r[0] == "i"]
    journal = [r for r in records if r[0] == "x"]
    assert [r[1] for r in journal] == [str(e["seq"]) for e in model["exchanges"]]
    assert all(0 <= r[3] < len(items) for r in journal)
    evidence = {r[1]: r[2] for r in records if r[0] == "e"}
    checks = sum(len(i["checks"]) for i in model["interfaces"])
    assert len(evidence) == checks and all(0 <= n < len(items) for ns in evidence.values() for n in ns)
    # The adapter item and the reference repeat across the checks of one exchange: each is stored once.
    assert len(items) < len(model["exchanges"]) * 3 + 1
    passing_rows = [row[0] for r in records if r[0] == "p" for row in r[2]]
    assert len(passing_rows) == checks and set(passing_rows) == set(evidence)


def test_items_are_numbered_the_same_when_the_digests_spill_to_disk(monkeypatch):
    """Past `_Numbers.LIMIT` digests the numbers live on disk: an item met long before is still written once, and
    the page is byte for byte the one written with every digest in memory."""
    from harness.report import html_writer

    model = synthetic_model(BASE, checks_per_exchange=3)
    last = model["interfaces"][-1]["checks"][-1]
    first = model["interfaces"][0]["checks"][0]
    last["evidence"] = last["evidence"] + [first["evidence"][0]]  # cited again, hundreds of items later
    whole = render_html(model)
    monkeypatch.setattr(html_writer._Numbers, "LIMIT", 3)
    spilled = render_html(model)
    assert spilled == whole
    records = _records(spilled)
    items = [r[1] for r in records if r[0] == "i"]
    assert len(items) == len({json.dumps(i) for i in items})  # no item written twice
    evidence = {r[1]: r[2] for r in records if r[0] == "e"}
    last_anchor = f"c-{len(model['interfaces']) - 1}-{len(model['interfaces'][-1]['checks']) - 1}"
    assert evidence[last_anchor][-1] == evidence["c-0-0"][0]


def test_one_defect_on_every_exchange_is_one_root_cause_at_the_top():
    model = synthetic_model(BASE, checks_per_exchange=3, fail_every=3)  # check c0 fails on every exchange
    html = render_html(model)
    top = html[:html.index('<table class="meta">')]
    causes = re.findall(r'<li class="cause" data-check="([^"]+)">', top)
    assert causes == ["toy.check.c0"], causes
    assert f"×{BASE}" in top and "first evidence" in top
    anchor = re.search(r'<a href="#(c-\d+-\d+)">', top).group(1)
    assert anchor in _parse(html).ids, "the link to the first evidence lands on a row the page has"


def test_times_are_shown_in_beijing_time_beside_utc_and_durations_rounded():
    model = synthetic_model(3, checks_per_exchange=1)
    html = render_html(model)
    assert "2025-10-01 08:00:00 北京时间 UTC+8 / 2025-10-01 00:00:00 UTC" in html
    journal = [r for r in _records(html) if r[0] == "x"]
    assert all(re.search(r"\(\d+(\.\d)? ms\)$", r[2]) for r in journal), [r[2] for r in journal]


_TEXT = st.text(alphabet="ab=c/+xyz", min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.text(alphabet="ab=c/+x", min_size=1, max_size=8), min_size=1, max_size=12), _TEXT)
def test_trie_pattern_masks_exactly_like_a_longest_first_alternation(secrets, text):
    flat = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
    trie = re.compile(literal_alternation(secrets))
    assert trie.sub("*", text) == flat.sub("*", text)


def test_redaction_masks_many_tokens_in_one_pass():
    tokens = [f"tok-{i:06d}-{'q' * 20}" for i in range(3000)]
    model = {"exchanges": [{"headers": {"Authorization": f"Bearer {t}"}, "note": f"renewed {t}; next"}
                           for t in tokens]}
    out = Redactor().redact(model)
    assert all(e["note"] == "renewed ***; next" and e["headers"]["Authorization"] == "Bearer ***"
               for e in out["exchanges"])
    assert model["exchanges"][0]["note"].startswith("renewed tok-"), "the input is left untouched"
