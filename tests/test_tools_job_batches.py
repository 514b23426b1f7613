"""Plain pytest + hypothesis: batches and identity keys of the queue_job scale-out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..tools.job_batches import (
    batch_buckets,
    batch_identity_key,
    batch_key_prefix,
    finish_identity_key,
)
from . import hypothesis_settings  # noqa: F401 - loads the profile
from .pure import odoo_test_case

line_ids = st.sets(st.integers(min_value=1, max_value=5000), max_size=300)
sizes = st.integers(min_value=1, max_value=120)


def test_contiguous_lines_make_full_batches():
    buckets = batch_buckets(range(100, 220), 50)
    assert list(buckets) == [0, 1, 2]
    assert [len(ids) for ids in buckets.values()] == [50, 50, 20]
    assert buckets[1][0] == 150


def test_bad_input():
    assert batch_buckets([], 50) == {}
    with pytest.raises(ValueError):
        batch_buckets([1, 2], 0)
    with pytest.raises(ValueError):
        batch_buckets([1, 2], 10, base=5)


@given(line_ids, sizes)
def test_every_line_in_exactly_one_batch_of_at_most_size(ids, size):
    buckets = batch_buckets(ids, size)
    flat = [line_id for batch in buckets.values() for line_id in batch]
    assert sorted(flat) == sorted(ids)
    assert len(flat) == len(set(flat))
    assert all(0 < len(batch) <= size for batch in buckets.values())
    assert all(batch == sorted(batch) for batch in buckets.values())


@given(line_ids, sizes, st.data())
def test_a_line_keeps_its_batch_when_others_are_done(ids, size, data):
    """A rerun splits the remaining lines into the same batches (same identity keys)."""
    base = min(ids, default=1)
    done = data.draw(st.sets(st.sampled_from(sorted(ids)))) if ids else set()
    before = batch_buckets(ids, size, base)
    after = batch_buckets(ids - done, size, base)
    bucket_of = {line_id: bucket for bucket, batch in before.items() for line_id in batch}
    for bucket, batch in after.items():
        assert all(bucket_of[line_id] == bucket for line_id in batch)
        assert set(batch) <= set(before[bucket])


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(0, 10**4), st.integers(0, 10**4))
def test_keys_identify_run_and_batch(run_a, run_b, bucket_a, bucket_b):
    same = (run_a, bucket_a) == (run_b, bucket_b)
    assert (batch_identity_key(run_a, bucket_a) == batch_identity_key(run_b, bucket_b)) == same
    assert batch_identity_key(run_a, bucket_a).startswith(batch_key_prefix(run_a))
    # Run 1's prefix never matches run 12's keys, nor the finish key.
    assert not batch_identity_key(run_a * 10 + 2, bucket_a).startswith(batch_key_prefix(run_a))
    assert not finish_identity_key(run_a).startswith(batch_key_prefix(run_a))
    assert finish_identity_key(run_a) != finish_identity_key(run_a + 1)


# The same tests under Odoo's own runner (see tests/pure.py).
OdooRunner = odoo_test_case(globals())
