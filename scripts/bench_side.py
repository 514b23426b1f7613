"""One side of the benchmark, in its own process (its CPU and peak memory are its own):
build the data, or measure account_dunning, OCA's account_credit_control, or a run
executed by queue_job's workers, on a database that scripts/bench_compare.py copied.

Prints its figures as one JSON line starting with ``BENCH-RESULT``.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
from datetime import date
from unittest import mock

from benchmark import build_data

import odoo
from odoo import fields
from odoo.fields import Command
from odoo.modules.registry import Registry

RUN_DATE_PARAM = "account_dunning.bench_run_date"
# The same ladder on both sides: three emails, 10, 30 and 60 days after the due date.
LADDER = (
    (10, "polite", "account_dunning.mail_template_dunning_polite"),
    (30, "firm", "account_dunning.mail_template_dunning_firm"),
    (60, "final", "account_dunning.mail_template_dunning_final"),
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["build", "ours", "oca", "queue"])
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--load", default="", help="server-wide modules (queue mode)")
    parser.add_argument("--timeout", type=int, default=3600, help="queue mode: seconds")
    return parser.parse_args()


class Sampler:
    """The highest 1-minute load average seen during a measurement (sampled each second)."""

    def __init__(self):
        self.peak = os.getloadavg()[0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(1):
            self.peak = max(self.peak, os.getloadavg()[0])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.peak = max(self.peak, os.getloadavg()[0])


class Meter:
    """Wall time, CPU of this process and of its PostgreSQL backend, SQL queries."""

    def __init__(self, cr):
        self.cr = cr
        cr.execute("SELECT pg_backend_pid()")
        self.backend = cr.fetchone()[0]

    def _backend_cpu(self):
        try:
            with open(f"/proc/{self.backend}/stat") as stat:
                values = stat.read().rsplit(")", 1)[1].split()
            return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None  # PostgreSQL on another machine or user

    def snapshot(self):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "wall": time.perf_counter(),
            "cpu": usage.ru_utime + usage.ru_stime,
            "pg_cpu": self._backend_cpu(),
            "queries": self.cr.sql_log_count,
        }

    @staticmethod
    def delta(before, after):
        result = {key: after[key] - before[key] for key in ("wall", "cpu", "queries")}
        pg = (before["pg_cpu"], after["pg_cpu"])
        result["pg_cpu"] = None if None in pg else pg[1] - pg[0]
        return result


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result):
    print("BENCH-RESULT " + json.dumps(result), flush=True)


# ------------------------------------------------------------------------ build


def configure(env, run_date):
    """The same 3-email ladder in account_dunning and, when installed, in OCA's module."""
    company = env.company
    company.email = company.email or "ar@bench.example.com"
    levels = [
        Command.create(
            {
                "sequence": index * 10,
                "name": f"Reminder {index}",
                "delay_days": delay,
                "tone": tone,
                "send_email": True,
                "mail_template_id": env.ref(template).id,
                "create_call": False,
                "send_letter": False,
                "propose_handoff": False,
            }
        )
        for index, (delay, tone, template) in enumerate(LADDER, start=1)
    ]
    policy = env["dunning.policy"].create(
        {
            "name": "Benchmark: 3 emails",
            "company_id": company.id,
            "execution_mode": "automatic",
            "min_days_between_steps": 0,
            "attach_invoice_pdf": False,
            "level_ids": levels,
        }
    )
    company.dunning_default_policy_id = policy
    if "credit.control.policy" in env:
        receivable = env["account.account"].search(
            [
                *env["account.account"]._check_company_domain(company),
                ("account_type", "=", "asset_receivable"),
            ]
        )
        template = env.ref("account_credit_control.email_template_credit_control_base")
        # No PDF on either side (ours: attach_invoice_pdf off): OCA's summary PDF would
        # measure wkhtmltopdf, not the run. --attach-pdf measures our PDF path.
        template.report_template_ids = [Command.clear()]
        oca = env["credit.control.policy"].create(
            {
                "name": "Benchmark: 3 emails",
                "company_id": company.id,
                "account_ids": [Command.set(receivable.ids)],
                # One message per customer, as account_dunning sends.
                "apply_max_policy_level": True,
                "level_ids": [
                    Command.create(
                        {
                            "name": f"Reminder {index}",
                            "level": index,
                            "computation_mode": "net_days",
                            "delay_days": delay,
                            "email_template_id": template.id,
                            "channel": "email",
                            "custom_text": "Please pay the invoices below.",
                            "custom_mail_text": "<p>Please pay the invoices below.</p>",
                            "mail_show_invoice_detail": True,
                        }
                    )
                    for index, (delay, _tone, _template) in enumerate(LADDER, start=1)
                ],
            }
        )
        company.credit_policy_id = oca
    env["ir.config_parameter"].set_param(RUN_DATE_PARAM, run_date.isoformat())


def build(env, args):
    run_date = date.today()
    print(f"== data: {args.invoices} invoices over {args.invoices // 5} customers, due "
          f"around {run_date}")  # fmt: skip
    build_data(env, args.invoices, run_date=run_date)
    configure(env, run_date)
    env.cr.commit()


# ------------------------------------------------------------------------ measures


def run_date_of(env):
    return date.fromisoformat(env["ir.config_parameter"].get_param(RUN_DATE_PARAM))


def messaged(env, run_date):
    """Customers who got a reminder email on the run date, and the most any one got."""
    env.cr.execute(
        """
        SELECT count(*), coalesce(max(n), 0), count(*) FILTER (WHERE n > 1)
          FROM (SELECT partner_id, count(*) AS n FROM dunning_event
                 WHERE date = %s AND channel = 'email' AND state = 'done'
                 GROUP BY partner_id) per_customer
        """,
        (run_date,),
    )
    customers, most, duplicates = env.cr.fetchone()
    return customers, most, duplicates


def mail_count(env):
    env.cr.execute("SELECT count(*) FROM mail_mail")
    return env.cr.fetchone()[0]


def measure_ours(env, args):
    """Today's scheduled run, as the cron calls it: plan, then batches with commits."""
    run_date = run_date_of(env)
    Run = env["dunning.run"]
    plan_time = {}
    original_plan = type(Run)._dunning_cron_plan

    def timed_plan(self):
        started = time.perf_counter()
        queries = self.env.cr.sql_log_count
        result = original_plan(self)
        plan_time.update(wall=time.perf_counter() - started,
                         queries=self.env.cr.sql_log_count - queries)  # fmt: skip
        return result

    mails_before = mail_count(env)
    env.cr.commit()
    meter = Meter(env.cr)
    with (
        mock.patch.object(fields.Date, "context_today", lambda *a, **k: run_date),
        mock.patch.object(type(Run), "_dunning_cron_plan", timed_plan),
        Sampler() as load,
    ):
        before = meter.snapshot()
        Run._cron_run()
        env.flush_all()
        env.cr.commit()
        after = meter.snapshot()
    totals = Meter.delta(before, after)
    customers, most, duplicates = messaged(env, run_date)
    emit(
        {
            "side": "ours",
            **totals,
            "phases": {
                "plan": plan_time,
                "execute": {
                    "wall": totals["wall"] - plan_time.get("wall", 0),
                    "queries": totals["queries"] - plan_time.get("queries", 0),
                },
            },
            "customers": customers,
            "duplicates": duplicates,
            "most_per_customer": most,
            "mails": mail_count(env) - mails_before,
            "rss": peak_rss_mib(),
            "load": load.peak,
            "invoices": args.invoices,
        }
    )


def measure_oca(env, args):
    """OCA's run as a user does it: generate the lines, mark them ready, email them."""
    run_date = run_date_of(env)
    mails_before = mail_count(env)
    env.cr.commit()
    meter = Meter(env.cr)
    phases = {}
    with Sampler() as load:
        start = meter.snapshot()
        run = env["credit.control.run"].create({"date": run_date})
        for name, method in (
            ("generate", run.generate_credit_lines),
            ("mark ready", run.set_to_ready_lines),
            ("queue emails", run.run_channel_action),
        ):
            before = meter.snapshot()
            method()
            env.flush_all()
            env.cr.commit()
            phases[name] = Meter.delta(before, meter.snapshot())
            # As it happens: a run stopped by --oca-timeout still tells what it finished.
            print("BENCH-PHASE " + json.dumps({"name": name, **phases[name]}), flush=True)
        totals = Meter.delta(start, meter.snapshot())
    env.cr.execute(
        """
        SELECT count(DISTINCT c.partner_id), count(*)
          FROM credit_control_communication c
         WHERE EXISTS (SELECT 1 FROM credit_control_line l
                        WHERE l.communication_id = c.id AND l.run_id = %s)
        """,
        (run.id,),
    )
    customers, communications = env.cr.fetchone()
    emit(
        {
            "side": "oca",
            **totals,
            "phases": phases,
            "customers": customers,
            "duplicates": communications - customers,
            "mails": mail_count(env) - mails_before,
            "rss": peak_rss_mib(),
            "load": load.peak,
            "invoices": args.invoices,
        }
    )


def measure_queue(env, args):
    """Plan and queue today's run (the cron's call), then wait for the servers' job
    workers to execute it; count the customers messaged twice (must be none)."""
    run_date = run_date_of(env)
    env.cr.commit()
    with mock.patch.object(fields.Date, "context_today", lambda *a, **k: run_date):
        started = time.perf_counter()
        env["dunning.run"]._cron_run()
        env.cr.commit()
    queued = time.perf_counter()
    run = env["dunning.run"].search([("date", "=", run_date), ("trigger", "=", "cron")])
    env.cr.execute(
        "SELECT count(*) FROM queue_job WHERE identity_key LIKE %s",
        (f"account_dunning.run.{run.id}.batch.%",),
    )
    jobs = env.cr.fetchone()[0]
    print(f"   planned and queued in {queued - started:.1f} s: {jobs} batch jobs", flush=True)
    with Sampler() as load:
        while True:
            env.invalidate_all()
            env.cr.rollback()  # a fresh snapshot of what the workers committed
            run.invalidate_recordset()
            if run.state != "running":
                break
            if time.perf_counter() - started > args.timeout:
                raise SystemExit(f"the jobs did not finish in {args.timeout} s")
            time.sleep(0.5)
    ended = time.perf_counter()
    env.cr.execute(
        "SELECT state, count(*) FROM queue_job WHERE identity_key LIKE %s GROUP BY state",
        (f"account_dunning.run.{run.id}.%",),
    )
    job_states = dict(env.cr.fetchall())
    # The batches' own time, from the first queued to the last done (the closing job
    # looks every few seconds whether they are done: its wait is not execution).
    env.cr.execute(
        "SELECT extract(epoch FROM max(date_done) - min(date_created)) FROM queue_job "
        "WHERE identity_key LIKE %s",
        (f"account_dunning.run.{run.id}.batch.%",),
    )
    batches_wall = float(env.cr.fetchone()[0] or 0)
    customers, most, duplicates = messaged(env, run_date)
    env.cr.execute(
        """
        SELECT count(*) FROM (
            SELECT msg.res_id FROM mail_mail mail
              JOIN mail_message msg ON msg.id = mail.mail_message_id
             WHERE msg.model = 'res.partner' GROUP BY msg.res_id HAVING count(*) > 1) twice
        """
    )
    mail_duplicates = env.cr.fetchone()[0]
    emit(
        {
            "side": "queue",
            "wall": ended - started,
            "execute_wall": ended - queued,
            "batches_wall": batches_wall,
            "customers": customers,
            "duplicates": duplicates,
            "mail_duplicates": mail_duplicates,
            "most_per_customer": most,
            "jobs": job_states,
            "run_state": run.state,
            "load": load.peak,
            "invoices": args.invoices,
        }
    )


def main():
    args = parse_args()
    options = ["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"]
    if args.load:
        options.append(f"--load={args.load}")
    odoo.tools.config.parse_config(options)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tz": "UTC"})
        {"build": build, "ours": measure_ours, "oca": measure_oca, "queue": measure_queue}[
            args.mode
        ](env, args)


if __name__ == "__main__":
    sys.exit(main())
