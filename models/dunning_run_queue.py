import logging

from odoo import models

from ..tools.job_batches import (
    batch_buckets,
    batch_identity_key,
    batch_key_prefix,
    finish_identity_key,
)
from .dunning_run_schedule import BATCH_SIZE

_logger = logging.getLogger(__name__)

# The batches go first; the job closing the run waits for them (lower runs first).
BATCH_PRIORITY = 10
FINISH_PRIORITY = 20
# Seconds between two looks of the closing job at the batches still running.
FINISH_RETRY_SECONDS = 2
WAITING_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class DunningRun(models.Model):
    """Scale-out: with OCA's queue_job installed (never a dependency of this module),
    a run's execution is queued as jobs of one batch each, run by any Odoo worker of
    any server; without it, the scheduled action executes the batches itself.

    The guarantees do not depend on the jobs: a line is executed only while it is to
    do, under a lock on its customer (see dunning.run.line._execute), so a job run
    twice, two jobs holding the same line, or a rerun after a crash send nothing twice;
    a job that fails leaves its lines to do, for the closing job or the next run.
    """

    _inherit = "dunning.run"

    def _dunning_queue_available(self):
        return "queue.job" in self.env and not self.env.context.get("dunning_no_queue")

    def _dunning_enqueue_batches(self, automatic_only=False):
        """Queue one job per batch of the lines left to do, and the job that closes the
        run. Returns False (nothing queued) when queue_job is not installed."""
        self.ensure_one()
        if not self._dunning_queue_available():
            return False
        todo = self._dunning_todo_lines(automatic_only=automatic_only)
        if todo:
            # The smallest line id of the whole run, done lines included: the buckets
            # stay the same from one call to the next (see tools/job_batches.py).
            self.env.cr.execute(
                "SELECT min(id) FROM dunning_run_line WHERE run_id = %s", (self.id,)
            )
            base = self.env.cr.fetchone()[0]
            for bucket, line_ids in batch_buckets(todo.ids, BATCH_SIZE, base).items():
                self.with_delay(
                    priority=BATCH_PRIORITY,
                    identity_key=batch_identity_key(self.id, bucket),
                    description=self.env._(
                        "Collections run %(run)s: batch %(batch)s", run=self.name, batch=bucket
                    ),
                )._dunning_job_execute_batch(line_ids)
        self.with_delay(
            priority=FINISH_PRIORITY,
            identity_key=finish_identity_key(self.id),
            description=self.env._("Collections run %(run)s: close", run=self.name),
        )._dunning_job_finish(automatic_only)
        _logger.info(
            "Collections run %s: %s customers queued in batches of %s",
            self.id,
            len(todo),
            BATCH_SIZE,
        )
        return True

    def _dunning_job_execute_batch(self, line_ids):
        """Job: execute the lines of one batch that are still to do (the others were
        done by an earlier attempt or another job)."""
        self.ensure_one()
        lines = self.env["dunning.run.line"].search(
            [("id", "in", line_ids), ("run_id", "=", self.id), ("state", "=", "todo")],
            order="id",
        )
        lines._execute()
        return self.env._("%(count)s customers executed", count=len(lines))

    def _dunning_job_finish(self, automatic_only=False):
        """Job: once no batch of the run waits or runs, execute in place what is still
        to do (lines of failed jobs), follow up and close the run, as the scheduled
        action does without queue_job."""
        from odoo.addons.queue_job.exception import RetryableJobError  # noqa: PLC0415

        self.ensure_one()
        waiting = (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("identity_key", "=like", batch_key_prefix(self.id) + "%"),
                    ("state", "in", WAITING_JOB_STATES),
                ]
            )
        )
        if waiting:
            raise RetryableJobError(
                f"{waiting} batches of the run still to execute",
                seconds=FINISH_RETRY_SECONDS,
                ignore_retry=True,
            )
        if self.state != "running":
            return self.env._("Run already closed")
        # Lines of batches whose job failed for good: once more here, where a customer
        # that fails again is marked failed. No commit: queue_job commits the job.
        self._dunning_todo_lines(automatic_only=automatic_only)._execute()
        self._dunning_close()
        return self.env._("Run closed: %(state)s", state=self.state)
