"""Split a run's execution into jobs of one batch each (queue_job scale-out).

A batch is a bucket of line ids counted from the run's first line: bucket ``b`` holds
the ids in ``[base + b * size, base + (b + 1) * size)``. A line never changes bucket
when other lines are executed, so splitting the remaining lines again (a rerun, the
scheduled action called twice) gives the same buckets and the same identity keys:
queue_job then refuses to queue a bucket that is already waiting.
"""

KEY_PREFIX = "account_dunning.run"


def batch_buckets(line_ids, size, base=None):
    """``{bucket: [line ids, ascending]}`` of the given line ids, buckets ascending.

    ``base`` is the run's smallest line id (executed lines included), so that the
    buckets stay put as lines are done; by default the smallest given id.
    """
    if size < 1:
        raise ValueError("a batch holds at least one line")
    ids = sorted(set(line_ids))
    if not ids:
        return {}
    base = ids[0] if base is None else base
    if ids[0] < base:
        raise ValueError("the base is the smallest line id of the run")
    buckets = {}
    for line_id in ids:
        buckets.setdefault((line_id - base) // size, []).append(line_id)
    return buckets


def batch_identity_key(run_id, bucket):
    """queue_job identity key of one batch of one run."""
    return f"{KEY_PREFIX}.{run_id}.batch.{bucket}"


def batch_key_prefix(run_id):
    """The prefix shared by the batch keys of one run (and only them)."""
    return f"{KEY_PREFIX}.{run_id}.batch."


def finish_identity_key(run_id):
    """queue_job identity key of the job that closes a run once its batches are done."""
    return f"{KEY_PREFIX}.{run_id}.finish"
