"""DigestTable answers as a dict would, whether its runs sit in memory or spilled to disk."""

from __future__ import annotations

import os
import stat

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from importer.digests import DigestTable

_u64 = st.integers(min_value=0, max_value=2**64 - 1)


@given(
    batches=st.lists(st.lists(_u64, max_size=20), max_size=10),
    run_size=st.sampled_from([1, 3, 8, 1 << 17]),
)
def test_lookups_match_a_dict_of_first_payloads(batches, run_size):
    table, reference = DigestTable(width=2, run_size=run_size), {}
    for batch in batches:
        digests = np.array(batch, dtype=np.uint64)
        found, payload = table.lookup(digests)
        for digest, hit, row in zip(batch, found.tolist(), payload.tolist(), strict=True):
            assert hit == (digest in reference)
            assert row == (list(reference[digest]) if hit else [0, 0])
        new = sorted({d for d in batch if d not in reference})
        payloads = np.array([[d % 1000, len(reference) + i] for i, d in enumerate(new)])
        table.add(np.array(new, dtype=np.uint64), payloads.astype(np.uint64).reshape(-1, 2))
        reference.update({d: tuple(p) for d, p in zip(new, payloads.tolist(), strict=True)})
    assert table.count == len(reference)
    table.close()


def test_full_runs_leave_memory_for_a_private_file_and_close_deletes_it():
    table = DigestTable(width=1, run_size=1000)
    for start in range(0, 10_000, 500):
        digests = np.arange(start, start + 500, dtype=np.uint64) * 7919
        table.add(digests, digests.reshape(-1, 1) + 1)

    assert table.count == 10_000
    assert table.spilled_entries >= 9_000
    assert table.nbytes <= 16 * 1000
    folder = table._folder
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    found, payload = table.lookup(np.array([0, 7919 * 9999, 5], dtype=np.uint64))
    assert found.tolist() == [True, True, False]
    assert payload[:, 0].tolist() == [1, 7919 * 9999 + 1, 0]
    table.close()
    assert not os.path.exists(folder)
