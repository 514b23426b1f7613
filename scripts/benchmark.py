"""Benchmark of the daily run: builds N open invoices over N/5 customers at random
ages, then times the preview (planning) and the execution.

Run through scripts/benchmark.sh (which prepares the database); prints, per phase,
wall time, SQL queries and the peak resident memory of the process.
"""

import argparse
import contextlib
import gc
import os
import random
import re
import resource
import sys
import time
from datetime import date, timedelta

import odoo
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.orm import fields_textual

RUN_DATE = date(2026, 6, 1)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--execute-limit", type=int, default=0,
                        help="execute only this many customers (0: all)")  # fmt: skip
    parser.add_argument("--profile", action="store_true",
                        help="print the top functions of each phase (cProfile)")  # fmt: skip
    parser.add_argument("--profile-dir", default="",
                        help="with --profile: also save each phase's stats there "
                             "(read them with python3 -m pstats)")  # fmt: skip
    parser.add_argument("--attach-pdf", action="store_true",
                        help="attach invoice PDFs: a cold run (none stored), then the "
                             "warm-up of their PDFs and a warm run (use --execute-limit: "
                             "about a second per PDF)")  # fmt: skip
    parser.add_argument("--without-sanitizer", action="store_true",
                        help="then execute the same lines again with Odoo's HTML sanitizer "
                             "switched off in this process: what the sanitizing of the "
                             "chatter copies costs (a measure, never a way to run)")  # fmt: skip
    return parser.parse_args()


TEMPLATES = 500  # invoices made through the ORM; the rest are SQL copies of them


def build_data(env, count, run_date=RUN_DATE):
    """Customers with 5 invoices each, due between 10 days ahead and 120 days ago.

    500 invoices go through the ORM (create + post); the others are row copies of
    them with their own customer, number and due date, so that a 100,000-invoice
    database builds in minutes. The run only reads posted rows: copies behave alike.
    """
    existing = env["account.move"].search_count([("ref", "=", "dunning-bench")])
    if existing >= count:
        return
    if existing:
        raise SystemExit("partial benchmark data: drop the database and start again")
    started = time.perf_counter()
    customers = env["res.partner"].create(
        [
            {"name": f"Bench customer {i}", "is_company": True, "email": f"ap{i}@bench.example.com"}
            for i in range(count // 5)
        ]
    )
    env.flush_all()
    print(f"  {len(customers)} customers ({time.perf_counter() - started:.0f} s)")
    rng = random.Random(42)
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1
    )
    templates = min(TEMPLATES, count)
    values = [
        {
            "move_type": "out_invoice",
            "ref": "dunning-bench",
            "journal_id": journal.id,
            "partner_id": customers[index // 5].id,
            "invoice_date": run_date - timedelta(days=60),
            "invoice_payment_term_id": False,
            "invoice_line_ids": [
                Command.create({"name": "Service", "quantity": 1,
                                "price_unit": rng.randint(50, 5000), "tax_ids": []})
            ],
        }
        for index in range(templates)
    ]  # fmt: skip
    moves = env["account.move"].create(values)
    moves.action_post()
    env.flush_all()
    print(f"  {templates} invoices through the ORM ({time.perf_counter() - started:.0f} s)")
    _copy_invoices(env, moves, customers, count - templates, rng)
    # Random ages for all, templates included; seeded: every build gets the same ages.
    env.cr.execute("SELECT setseed(0.42)")
    env.cr.execute(
        """
        WITH due AS (SELECT id, %s::date - (floor(random() * 131) - 10)::int AS day
                       FROM account_move WHERE ref = 'dunning-bench')
        UPDATE account_move m SET invoice_date_due = due.day FROM due WHERE m.id = due.id;
        UPDATE account_move_line l SET date_maturity = m.invoice_date_due
          FROM account_move m
         WHERE l.move_id = m.id AND m.ref = 'dunning-bench' AND l.date_maturity IS NOT NULL;
        """,
        (run_date,),
    )
    env.cr.commit()
    env.invalidate_all()
    print(f"  {count} invoices in all ({time.perf_counter() - started:.0f} s)")


def _copy_invoices(env, templates, customers, count, rng):
    cr = env.cr
    cr.execute("SELECT * FROM account_move WHERE id IN %s ORDER BY id", (tuple(templates.ids),))
    move_columns = [column.name for column in cr.description]
    move_rows = cr.fetchall()
    cr.execute("SELECT * FROM account_move_line WHERE move_id IN %s ORDER BY id",
               (tuple(templates.ids),))  # fmt: skip
    line_columns = [column.name for column in cr.description]
    lines_by_move = {}
    for row in cr.fetchall():
        lines_by_move.setdefault(row[line_columns.index("move_id")], []).append(row)
    m_id, m_name = move_columns.index("id"), move_columns.index("name")
    m_partner = move_columns.index("partner_id")
    m_commercial = move_columns.index("commercial_partner_id")
    m_token = move_columns.index("access_token")
    l_id, l_move = line_columns.index("id"), line_columns.index("move_id")
    l_partner = line_columns.index("partner_id")
    done = 0
    while done < count:
        size = min(5000, count - done)
        cr.execute("SELECT nextval('account_move_id_seq') FROM generate_series(1, %s)", (size,))
        move_ids = [row[0] for row in cr.fetchall()]
        new_moves, new_lines = [], []
        for offset, move_id in enumerate(move_ids):
            index = TEMPLATES + done + offset
            template = list(move_rows[rng.randrange(len(move_rows))])
            customer_id = customers[index // 5].id
            template_id = template[m_id]
            template[m_id], template[m_name] = move_id, f"BENCH/{move_id}"
            template[m_partner] = template[m_commercial] = customer_id
            template[m_token] = None
            new_moves.append(template)
            for template_line in lines_by_move[template_id]:
                line = list(template_line)
                line[l_move], line[l_partner] = move_id, customer_id
                new_lines.append(line)
        _insert(cr, "account_move", move_columns, new_moves)
        cr.execute("SELECT nextval('account_move_line_id_seq') FROM generate_series(1, %s)",
                   (len(new_lines),))  # fmt: skip
        for line, (line_id,) in zip(new_lines, cr.fetchall(), strict=True):
            line[l_id] = line_id
        _insert(cr, "account_move_line", line_columns, new_lines)
        done += size
        cr.commit()
        print(f"  copied {done} invoices")


def _insert(cr, table, columns, rows):
    from psycopg2.extras import Json, execute_values  # noqa: PLC0415

    rows = [[Json(v) if isinstance(v, dict) else v for v in row] for row in rows]
    execute_values(
        cr._obj,
        "INSERT INTO %s (%s) VALUES %%s" % (table, ", ".join(f'"{c}"' for c in columns)),  # noqa: UP031
        rows,
        page_size=1000,
    )


class GcTimer:
    """Time Python's cyclic garbage collector spends, from gc.callbacks."""

    def __init__(self):
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def measure(env, label, function, customers=None, *, profile=False, profile_dir=""):
    if profile:
        import cProfile  # noqa: PLC0415
        import pstats  # noqa: PLC0415

        profiler = cProfile.Profile()

        def function_and_flush():
            result = function()
            env.flush_all()
            return result

        started = time.perf_counter()
        profiler.runcall(function_and_flush)
        elapsed = time.perf_counter() - started
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        if profile_dir:
            name = re.sub(r"\W+", "_", label).strip("_")
            profiler.dump_stats(os.path.join(profile_dir, f"{name}.prof"))
        return elapsed
    env.invalidate_all()
    env.cr.commit()
    queries = env.cr.sql_log_count
    with GcTimer() as gc_timer:
        started = time.perf_counter()
        function()
        env.flush_all()
        elapsed = time.perf_counter() - started
    queries = env.cr.sql_log_count - queries
    # Peak resident memory of the process so far (tracemalloc would slow Python 2x).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = f"{label:<28} {elapsed:8.2f} s {queries:8d} queries {peak:8.0f} MiB peak RSS"
    if customers:
        line += (
            f"  {customers / elapsed:7.1f} customers/s  {queries / customers:6.1f} queries/customer"
        )
    print(f"{line}  (garbage collector: {gc_timer.seconds:.2f} s)")
    return elapsed


@contextlib.contextmanager
def sanitizer_off():
    """Html fields store what they are given, in this process only: the measure of what
    Odoo's sanitizer (mail.message.body, a parse and a clean of each reminder) costs."""
    convert = fields_textual.Html._convert

    def convert_unsanitized(field, value, record, validate):
        return convert(field, value, record, False)

    fields_textual.Html._convert = convert_unsanitized
    try:
        yield
    finally:
        fields_textual.Html._convert = convert


def measure_pdf_path(env, policy, todo):
    """Warm-up of the PDFs, the run warm, the same run without PDF, Odoo's own rendering."""
    cr = env.cr
    cr.rollback()  # the cold run undone, its plan kept
    env.invalidate_all()
    moves = todo.move_ids
    started = time.perf_counter()
    moves._dunning_render_pdfs()
    elapsed = time.perf_counter() - started
    print(f"   warm-up: {len(moves)} PDFs in {elapsed:.1f} s, "
          f"{elapsed / max(len(moves), 1):.2f} s per PDF")  # fmt: skip
    warm = measure(env, "execute warm (PDFs stored)", todo._execute, len(todo))
    cr.rollback()
    moves.invoice_pdf_report_id.unlink()  # the database stays cold
    cr.commit()
    # The same customers without PDFs: the target is warm within 20 % of it.
    policy.attach_invoice_pdf = False
    cr.commit()
    bare = measure(env, "execute without PDF", todo._execute, len(todo))
    cr.rollback()
    policy.attach_invoice_pdf = True
    cr.commit()
    print(f"   warm run / run without PDF: {warm / bare:.2f}")
    # Odoo's own invoice sending renders each PDF this way (account.move.send).
    sample = moves[:10]
    sender = env["account.move.send"]
    started = time.perf_counter()
    for move in sample:
        sender._prepare_invoice_pdf_report(
            {move: {"pdf_report": sender._get_default_pdf_report_id(move)}}
        )
    elapsed = time.perf_counter() - started
    print(f"   Odoo's invoice sending: {len(sample)} PDFs in {elapsed:.1f} s, "
          f"{elapsed / max(len(sample), 1):.2f} s per PDF")  # fmt: skip
    cr.rollback()


def main():
    args = parse_args()
    odoo.tools.config.parse_config(
        ["-d", args.database, f"--addons-path={args.addons_path}", "--log-level=warn"]
    )
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tz": "UTC"})
        print(f"== data: {args.invoices} invoices over {args.invoices // 5} customers")
        build_data(env, args.invoices)
        policy = env.company.dunning_default_policy_id
        policy.write({"attach_invoice_pdf": args.attach_pdf, "min_days_between_steps": 0})
        # The previous measure's run, in SQL (lines and links cascade): through the ORM
        # its 20,000 lines at 100k would load into this process and blur its peak RSS.
        env.cr.execute("DELETE FROM dunning_run")
        env.invalidate_all()
        env.cr.commit()
        run = env["dunning.run"].create({"date": RUN_DATE})
        start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"== run of {RUN_DATE} (peak RSS before the run: {start_rss:.0f} MiB)")
        measure(
            env,
            "preview (select + plan)",
            run._plan,
            profile=args.profile,
            profile_dir=args.profile_dir,
        )
        todo = run.line_ids.filtered(lambda line: line.state == "todo")
        print(f"   planned: {len(run.line_ids)} customers, {len(todo)} to act on, "
              f"{len(run.line_ids.move_ids)} invoices listed")  # fmt: skip
        if args.execute_limit < 0:
            return
        if args.execute_limit:
            todo = todo[: args.execute_limit]
        label = "execute cold (no PDF stored)" if args.attach_pdf else "execute (mail queued)"
        measure(
            env, label, todo._execute, len(todo), profile=args.profile, profile_dir=args.profile_dir
        )
        mails = env["mail.mail"].search_count([("model", "=", "res.partner")])
        print(f"   queued mail.mail: {mails}; events: {len(run.event_ids)}")
        if args.attach_pdf:
            measure_pdf_path(env, policy, todo)
        if args.without_sanitizer:
            cr.rollback()  # the execution undone, its plan kept
            with sanitizer_off():
                measure(env, "execute, no HTML sanitizer", todo._execute, len(todo))
        cr.rollback()  # the database stays as built, ready for another measure


if __name__ == "__main__":
    sys.exit(main())
