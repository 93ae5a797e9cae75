"""params_intact at both levels judges the data given, not its spelling: an image as E-HN-22's data: URI around the
same Base64, and the empty member of the licence/list image pair left out, are the data as given (tester11 D1, D2).
Both failed on the old check (it compared raw strings and took '' vs absent as a change)."""
from __future__ import annotations

import pytest
from suites.henan import checks as C
from suites.henan import province_checks as P

JPEG_B64 = "/9j/4AAQSkZJRgABAQ=="


@pytest.mark.parametrize("judge", [C.params_intact, P.params_intact], ids=["city", "province"])
def test_data_uri_image_is_the_image_given(judge):
    for field in ("base64Image", "drivingLicenseImg", "drivingLicenseImg2", "imageInfo"):
        assert judge({field: "data:image/jpeg;base64," + JPEG_B64}, {field: JPEG_B64}) == []
    # another image, or another type's prefix, is still a change
    assert judge({"imageInfo": "data:image/png;base64," + JPEG_B64}, {"imageInfo": JPEG_B64})
    assert judge({"imageInfo": "data:image/jpeg;base64,AAAA"}, {"imageInfo": JPEG_B64})


@pytest.mark.parametrize("judge", [C.params_intact, P.params_intact], ids=["city", "province"])
def test_empty_member_left_out_is_unchanged(judge):
    given = {"drivingLicenseImg": JPEG_B64, "drivingLicenseImg2": ""}
    assert judge({"drivingLicenseImg": JPEG_B64}, given) == []
    assert judge({"drivingLicenseImg": JPEG_B64, "drivingLicenseImg2": ""}, given) == []
    # a non-empty member left out, or an empty one filled in, is a change
    assert judge({"drivingLicenseImg2": ""}, given)
    assert judge({"drivingLicenseImg": JPEG_B64, "drivingLicenseImg2": JPEG_B64}, given)
