"""The one transport judgement of the JSON specs (harness.checks.post_json_problems)."""
from types import SimpleNamespace

import pytest

from harness.checks import header, post_json_problems


def _ex(method="POST", ctype="application/json"):
    return SimpleNamespace(seq=1, method=method, path="/p", headers={"content-TYPE": ctype} if ctype else {}, notes={})


@pytest.mark.parametrize("ctype", ["application/json", "application/json;charset=UTF-8",
                                   'application/json; charset="utf-8"'])
def test_post_json_in_utf8_passes_with_a_quoted_charset_too(ctype):
    """RFC 9110 allows the charset quoted; Yunnan's copy of this check failed it before the three were merged."""
    assert post_json_problems(_ex(ctype=ctype), "/p", "spec") == []


def test_each_breach_is_named_with_the_clause():
    msgs = [p.message for p in post_json_problems(_ex("GET", "text/plain"), "/p", "henan §2.2", json_name="JSON")]
    assert msgs == ["#1 /p: method GET, henan §2.2 requires POST",
                    "#1 /p: Content-Type text/plain, henan §2.2 requires JSON"]
    assert [p.message for p in post_json_problems(_ex(ctype="application/json; charset=gbk"), "/p", "spec")] == [
        "#1 /p: Content-Type application/json; charset=gbk, spec requires UTF-8"]
    assert [p.message for p in post_json_problems(_ex("PUT", "text/plain"), "/p", "spec", type_judged=False)] == [
        "#1 /p: method PUT, spec requires POST"]


def test_header_ignores_the_letter_case_of_the_name():
    assert header(_ex(ctype="application/json"), "Content-Type") == "application/json"
    assert header(_ex(ctype=None), "Content-Type") == ""
