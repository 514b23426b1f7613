"""A collections day as production runs it: ``odoo-bin`` as a server process.

The database (created by scripts/server_day.sh) gets customers with invoices 10 days
late, on two policies of one company: automatic and review. Then:

1. ``odoo-bin`` starts with an HTTP port and a cron thread; its outgoing mail goes to a
   real SMTP server on 127.0.0.1 (tests/smtp_server.py, an ``ir.mail_server``).
2. The daily run and the mail queue are left to Odoo's cron runner (woken by their
   triggers, as any ``_trigger()`` does): each automatic customer receives exactly one
   reminder, the review customers none. A second call of the daily run the same day
   delivers nothing more.
3. A collections manager executes the run over XML-RPC, as the Execute button does:
   the review customers receive their reminder, once.
4. Thirty requests on one customer's self-service page, six at the same moment, against
   the policy's hourly limit of ten: at most ten are recorded, the others answered 429;
   the confirmations they queue leave like the rest, and no email of the day fails.

Prints what it sees; exits 1 on any failed check. Time is the real day: every date is
relative to today, nothing depends on which day that is.
"""

import argparse
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

import odoo
from odoo.fields import Command
from odoo.modules.registry import Registry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from smtp_server import SmtpSink  # a plain module beside the tests

AUTOMATIC, REVIEW = 5, 3
PARALLEL_REQUESTS, WAVE, HOURLY_LIMIT = 30, 6, 10
MANAGER_LOGIN = "server-day-manager"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per wait")
    return parser.parse_args()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Day:
    def __init__(self, args, registry, sink, port):
        self.args = args
        self.registry = registry
        self.sink = sink
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.failures = []

    # ------------------------------------------------------------ helpers

    def env(self, cr):
        return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tz": "UTC"})

    def check(self, condition, what):
        print(f"   {'ok  ' if condition else 'FAIL'} {what}")
        if not condition:
            self.failures.append(what)

    def wait(self, what, predicate):
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(1)
        self.failures.append(f"timed out waiting for {what}")
        print(f"   FAIL timed out waiting for {what}")
        return False

    def trigger(self, xmlid):
        """Wake the server's cron runner for one scheduled action, as Odoo does."""
        with self.registry.cursor() as cr:
            self.env(cr).ref(xmlid)._trigger()

    def queue_empty(self):
        with self.registry.cursor() as cr:
            return not self.env(cr)["mail.mail"].search_count([("state", "=", "outgoing")])

    def received(self):
        """Messages delivered so far, per recipient address."""
        return Counter(
            address.lower() for envelope in self.sink.envelopes for address in envelope["rcpt_tos"]
        )

    # ------------------------------------------------------------ the day

    def prepare(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            env["ir.config_parameter"].set_param("web.base.url", self.url)
            env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
            # As an administrator sets up outgoing mail (README, "Mail for collections"):
            # Odoo's own notifications (an activity assigned to a collector after a
            # customer's online promise) are sent from this default address.
            alias_domain = env["mail.alias.domain"].create(
                {"name": "server-day.example.com", "default_from": "notifications"}
            )
            env["ir.mail_server"].create(
                {
                    "name": "Server day SMTP",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": self.sink.port,
                    "smtp_encryption": "none",
                    "sequence": 1,
                }
            )
            company = env.ref("base.main_company")
            company.write(
                {"email": "finance@server-day.example.com", "alias_domain_id": alias_domain.id}
            )
            automatic = company.dunning_default_policy_id
            # Any hour of the day is a contact hour here: the script runs when CI does.
            automatic.write(
                {
                    "execution_mode": "automatic",
                    "contact_hour_start": 0.0,
                    "contact_hour_end": 24.0,
                    "portal_self_service": True,
                    "portal_max_actions_per_hour": HOURLY_LIMIT,
                }
            )
            review = automatic.copy({"name": "Review first", "execution_mode": "review"})
            manager = env["res.users"].create(
                {
                    "name": "Server Day Manager",
                    "login": MANAGER_LOGIN,
                    "email": "manager@server-day.example.com",
                    "group_ids": [
                        Command.link(env.ref("account.group_account_invoice").id),
                        Command.link(env.ref("account_dunning.group_dunning_manager").id),
                    ],
                }
            )
            # Odoo 19's external API (JSON-2) authenticates with the user's API key.
            self.manager_key = (
                env["res.users.apikeys"]
                .with_user(manager)
                .sudo()
                ._generate("rpc", "server day", odoo.fields.Datetime.now() + timedelta(days=1))
            )
            today = odoo.fields.Date.context_today(company)
            due = today - timedelta(days=10)
            self.customers = {}
            for index in range(AUTOMATIC + REVIEW):
                mode = "automatic" if index < AUTOMATIC else "review"
                customer = env["res.partner"].create(
                    {
                        "name": f"Server Day Customer {index} ({mode})",
                        "is_company": True,
                        "email": f"customer{index}@server-day.example.com",
                    }
                )
                if mode == "review":
                    customer.with_company(company).dunning_policy_id = review
                invoice = env["account.move"].create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.id,
                        "invoice_date": due,
                        "invoice_date_due": due,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Services", "price_unit": 100.0 + index, "tax_ids": []}
                            )
                        ],
                    }
                )
                invoice.invoice_date_due = due
                invoice.action_post()
                self.customers[customer.email] = (mode, customer.id, invoice.id)
            self.company_id = company.id
            self.today = today

    def expected(self, modes):
        return {email: 1 for email, (mode, *_ids) in self.customers.items() if mode in modes}

    def delivered_to_customers(self):
        return {email: n for email, n in self.received().items() if email in self.customers}

    def daily_run_by_the_cron_runner(self):
        print("== the daily run and the mail queue, by the server's cron runner")
        self.trigger("account_dunning.ir_cron_dunning_run")
        self.wait("the daily run", lambda: self.run_state() in ("planned", "done"))
        self.trigger("mail.ir_cron_mail_scheduler_action")
        automatic = self.expected({"automatic"})
        self.wait(
            "the automatic customers' reminders",
            lambda: len(self.delivered_to_customers()) >= len(automatic) and self.queue_empty(),
        )
        self.check(
            self.delivered_to_customers() == automatic,
            f"each of the {AUTOMATIC} automatic customers received exactly one reminder, "
            f"the {REVIEW} review customers none ({self.delivered_to_customers()})",
        )
        first = next(
            message
            for message in self.sink.messages
            if message["To"].addresses[0].addr_spec in automatic
        )
        print(
            f"   a delivered reminder: From {first['From']} | To {first['To']} | "
            f"Subject {first['Subject']} | Message-ID {first['Message-ID']}"
        )
        print("== the daily run called again the same day")
        before = self.cron_lastcall("account_dunning.ir_cron_dunning_run")
        self.trigger("account_dunning.ir_cron_dunning_run")
        self.wait(
            "the second call",
            lambda: self.cron_lastcall("account_dunning.ir_cron_dunning_run") != before,
        )
        self.trigger("mail.ir_cron_mail_scheduler_action")
        self.wait("the mail queue", self.queue_empty)
        self.check(
            self.delivered_to_customers() == automatic, "the second call delivered nothing more"
        )

    def review_executed_by_the_manager(self):
        print("== review mode: the manager executes the run (JSON-2 API, as the button)")
        run_ids = self.rpc("dunning.run", "search", domain=[["trigger", "=", "cron"]])
        self.check(len(run_ids) == 1, "the manager finds one scheduled run")
        self.rpc("dunning.run", "action_execute", ids=run_ids)
        self.trigger("mail.ir_cron_mail_scheduler_action")
        everyone = self.expected({"automatic", "review"})
        self.wait(
            "the review customers' reminders",
            lambda: len(self.delivered_to_customers()) >= len(everyone) and self.queue_empty(),
        )
        self.check(
            self.delivered_to_customers() == everyone,
            f"after Execute each of the {REVIEW} review customers received exactly one "
            "reminder, nobody a second one",
        )

    def parallel_self_service(self):
        print(
            f"== {PARALLEL_REQUESTS} self-service requests, {WAVE} at once (limit {HOURLY_LIMIT}/h)"
        )
        email = next(iter(self.expected({"automatic"})))
        _mode, customer_id, invoice_id = self.customers[email]
        with self.registry.cursor() as cr:
            env = self.env(cr)
            customer = env["res.partner"].browse(customer_id)
            page = customer._dunning_self_service_url(env["res.company"].browse(self.company_id))
            amount = env["account.move"].browse(invoice_id).amount_residual
        session = requests.Session()
        # One connection per parallel request: they reach the server at the same moment.
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=PARALLEL_REQUESTS)
        session.mount("http://", adapter)
        answer = session.get(page, timeout=60)
        self.check(answer.status_code == 200, "the self-service page opens without a session")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
        self.check(bool(csrf), "the page's forms carry a CSRF token")
        if not csrf:
            return
        form = {
            "csrf_token": csrf.group(1),
            "move_ids": str(invoice_id),
            "amount": str(amount),
            "date": str(self.today + timedelta(days=5)),
        }

        def post(_index):
            response = session.post(
                f"{page}/promise", data=form, allow_redirects=False, timeout=120
            )
            return response.status_code

        statuses = Counter()
        with ThreadPoolExecutor(WAVE) as pool:
            for _wave in range(PARALLEL_REQUESTS // WAVE):
                statuses.update(pool.map(post, range(WAVE)))
        with self.registry.cursor() as cr:
            recorded = self.env(cr)["dunning.event"].search_count(
                [("partner_id", "=", customer_id), ("channel", "=", "portal")]
            )
        print(f"   answers {dict(statuses)}, portal events recorded {recorded}")
        self.check(recorded <= HOURLY_LIMIT, f"at most {HOURLY_LIMIT} actions recorded")
        self.check(
            set(statuses) <= {303, 400, 429},
            "every request answered: done, refused, or 429 (limit reached or another "
            "request in progress); none failed",
        )
        answered = statuses[303] + statuses[400]
        self.check(answered == recorded, "every action answered was recorded, and no other")
        self.trigger("mail.ir_cron_mail_scheduler_action")
        self.wait("the mail queue", self.queue_empty)
        with self.registry.cursor() as cr:
            failed = self.env(cr)["mail.mail"].search([("state", "=", "exception")])
            reasons = failed.mapped("failure_reason")
        self.check(not failed, f"no email of the day failed in the queue {reasons}")

    def rpc(self, model, method, **params):
        """Call a model method as the collections manager through Odoo's JSON-2 API."""
        response = requests.post(
            f"{self.url}/json/2/{model}/{method}",
            json=params,
            headers={
                "Authorization": f"bearer {self.manager_key}",
                "X-Odoo-Database": self.args.database,
            },
            timeout=300,
        )
        response.raise_for_status()
        return response.json()

    def run_state(self):
        with self.registry.cursor() as cr:
            run = self.env(cr)["dunning.run"].search(
                [("trigger", "=", "cron"), ("date", "=", self.today)], limit=1
            )
            return run.state

    def cron_lastcall(self, xmlid):
        with self.registry.cursor() as cr:
            return self.env(cr).ref(xmlid).lastcall


def main():
    args = parse_args()
    odoo.tools.config.parse_config(
        ["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"]
    )
    registry = Registry(args.database)
    sink = SmtpSink().start()
    port = free_port()
    day = Day(args, registry, sink, port)
    day.prepare()
    print(f"== odoo-bin on 127.0.0.1:{port}, one cron thread, mail to 127.0.0.1:{sink.port}")
    server = subprocess.Popen(  # our own odoo-bin, arguments from this script
        [
            sys.executable,
            str(Path(__file__).resolve().parent / "odoo_bin.py"),
            args.odoo_bin,
            "-d",
            args.database,
            f"--db-filter=^{re.escape(args.database)}$",
            f"--addons-path={args.addons_path}",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--gevent-port=0",
            "--max-cron-threads=1",
            "--workers=0",
            "--log-level=warn",
            # Parallel requests on one customer fail to serialise and Odoo retries them:
            # its SQL layer logs each such try as an error; the outcome is checked here.
            "--log-handler=odoo.sql_db:CRITICAL",
        ]
    )
    try:
        day.wait("the server", lambda: _answers(f"{day.url}/web/health"))
        if not day.failures:
            day.daily_run_by_the_cron_runner()
            day.review_executed_by_the_manager()
            day.parallel_self_service()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        sink.stop()
    if day.failures:
        print(f"== {len(day.failures)} check(s) failed")
        return 1
    print("== the server day held")
    return 0


def _answers(url):
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
