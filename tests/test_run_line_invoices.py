import importlib.util
from pathlib import Path

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon

MIGRATION = Path(__file__).parent.parent / "migrations" / "19.0.1.1.0" / "pre-migrate.py"


@tagged("post_install", "-at_install")
class TestRunLineInvoices(DunningRunCommon):
    """A run line keeps its invoices as one list (no relation table): what reads,
    searches and writes ``move_ids`` sees the same invoices as before."""

    def _planned_line(self):
        run = self.env["dunning.run"].create({"company_id": self.company.id})
        run.action_preview()
        return run.line_ids.filtered(lambda line: line.partner_id == self.customer)

    @freeze_time("2026-03-11")
    def test_planned_line_lists_searches_and_rewrites_its_invoices(self):
        first = self._dunning_invoice(100.0, "2026-03-01")
        second = self._dunning_invoice(200.0, "2026-03-02")
        line = self._planned_line()
        self.assertEqual(line.move_ids, first | second)
        self.assertCountEqual(line.move_id_list, (first | second).ids)
        Line = self.env["dunning.run.line"]
        self.assertEqual(Line.search([("move_ids", "in", first.ids)]), line)
        self.assertEqual(Line.search([("move_ids", "=", second.id)]), line)
        self.assertEqual(Line.search([("move_ids.name", "=", first.name)]), line)
        self.assertNotIn(line, Line.search([("move_ids", "not in", first.ids)]))
        line.sudo().write({"move_ids": [Command.set(second.ids)]})
        self.assertEqual(line.move_id_list, second.ids)
        line.invalidate_recordset()
        self.assertEqual(line.move_ids, second)
        self.assertFalse(Line.search([("move_ids", "in", first.ids)]))

    @freeze_time("2026-03-11")
    def test_plain_user_reads_and_writes_the_invoices_not_their_storage(self):
        first = self._dunning_invoice(100.0, "2026-03-01")
        second = self._dunning_invoice(200.0, "2026-03-02")
        line = self._planned_line()
        user = self._dunning_user("line_user", "account.group_account_invoice")
        # What the run's form reads for its lines, as the web client asks it.
        spec = {"line_ids": {"fields": {"partner_id": {}, "move_ids": {"fields": {
            "display_name": {}}}}}}  # fmt: skip
        lines = line.run_id.with_user(user).web_read(spec)[0]["line_ids"]
        shown = next(row for row in lines if row["partner_id"] == self.customer.id)
        self.assertCountEqual(
            [move["display_name"] for move in shown["move_ids"]],
            [first.display_name, second.display_name],
        )
        as_user = line.with_user(user)
        with self.assertRaises(AccessError):
            as_user.write({"move_id_list": [first.id]})
        with self.assertRaises(AccessError):
            as_user.read(["move_id_list"])
        # The plan is the engine's (tools/authority.py): a person cannot rewrite it.
        with self.assertRaises(AccessError):
            as_user.write({"move_ids": [Command.set(first.ids)]})
        self.assertCountEqual(line.move_id_list, (first | second).ids)

    @freeze_time("2026-03-11")
    def test_invoices_another_company_keeps_stay_hidden(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        invoice_b = self._dunning_invoice(300.0, "2026-01-01", company_id=company_b.id)
        mine = self._dunning_invoice(100.0, "2026-03-01")
        line = self._planned_line()
        line.sudo().move_id_list = [mine.id, invoice_b.id]
        self.assertEqual(line.move_ids, mine | invoice_b)
        user = self._dunning_user("line_user_a", "account.group_account_invoice")
        self.assertEqual(line.with_user(user).move_ids, mine)

    @freeze_time("2026-03-11")
    def test_a_deleted_invoice_leaves_the_list(self):
        kept = self._dunning_invoice(100.0, "2026-03-01")
        line = self._planned_line()
        draft = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": self.customer.id}
        )
        line.sudo().move_id_list = [kept.id, draft.id]
        draft.unlink()
        line.invalidate_recordset()
        self.assertEqual(line.move_ids, kept)

    @freeze_time("2026-03-11")
    def test_update_carries_the_relation_table_over(self):
        first = self._dunning_invoice(100.0, "2026-03-01")
        second = self._dunning_invoice(200.0, "2026-03-02")
        line = self._planned_line()
        # A database of 19.0.1.0.0: the relation table holds the links, no list yet.
        self.env.flush_all()
        self.env.cr.execute(
            """CREATE TABLE dunning_run_line_account_move_rel (line_id int, move_id int);
               INSERT INTO dunning_run_line_account_move_rel VALUES (%s, %s), (%s, %s);
               UPDATE dunning_run_line SET move_id_list = NULL WHERE id = %s""",
            (line.id, second.id, line.id, first.id, line.id),
        )
        spec = importlib.util.spec_from_file_location("pre_migrate", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.1.0.0")
        line.invalidate_recordset()
        self.assertEqual(line.move_id_list, sorted((first | second).ids))
        self.assertEqual(line.move_ids, first | second)
        self.env.cr.execute("SELECT to_regclass('dunning_run_line_account_move_rel')")
        self.assertIsNone(self.env.cr.fetchone()[0])
