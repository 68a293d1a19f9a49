"""The mapping's `timezone`: tzdata's list decides first, exactly as `available_timezones` would."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.mapping import spec_dates
from importer.mapping.spec_dates import check_timezone, known_zone

ZONES = sorted(available_timezones())
ODD = ["", " UTC", "UTC ", "utc", "posixrules", "localtime", "right/UTC", "posix/UTC", "Etc/../UTC"]


def _near(zone: str, edit: int) -> str:
    """A zone name, or one spelling mistake away from one."""
    return [zone, zone.lower(), zone + "s", zone[:-1], zone.replace("/", "//"), "/" + zone][edit]


@given(
    st.one_of(
        st.sampled_from(ZONES),
        st.sampled_from(ODD),
        st.builds(_near, st.sampled_from(ZONES), st.integers(0, 5)),
        st.text(max_size=20),
    )
)
def test_a_name_is_known_exactly_when_available_timezones_lists_it(name):
    assert known_zone(name) is (name in ZONES)


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "localtime", "posixrules", "Nowhere/X"])
def test_without_tzdata_s_list_the_system_s_folders_decide(monkeypatch, name):
    monkeypatch.setattr(spec_dates, "_tzdata_zones", frozenset)
    assert known_zone(name) is (name in ZONES)


def test_an_unknown_zone_is_refused_with_its_name():
    with pytest.raises(ValueError, match="unknown timezone 'Europe/Pariss'"):
        check_timezone("Europe/Pariss")
    assert check_timezone("Europe/Paris") == "Europe/Paris"
    assert check_timezone(None) is None
