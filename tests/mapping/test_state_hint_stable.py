"""A refused state names the same examples in every process (pycountry's sets are unordered)."""

from __future__ import annotations

import subprocess
import sys

_CODE = (
    "from importer.mapping.countries import resolve_state; "
    "print(resolve_state('USA', 'Narnia')[1]); print(resolve_state('GBR', 'Yorkk')[1])"
)


def test_the_hint_of_a_refused_state_is_the_same_in_two_processes():
    runs = [
        subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout
    assert "expected a state/province of USA like " in runs[0].stdout
