from lxml import etree

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestViews(TransactionCase):
    """Lists as people read them: no meaningless totals, no truncated columns."""

    def test_history_list_does_not_sum_amounts_of_different_events(self):
        # Each event freezes what was due at that time: a total across events (the same
        # invoice counted at every reminder) means nothing.
        arch = etree.fromstring(self.env["dunning.event"].get_view(view_type="list")["arch"])
        [field] = arch.xpath("//field[@name='amount_residual']")
        for aggregate in ("sum", "avg", "aggregator"):
            self.assertIsNone(field.get(aggregate), f"{aggregate} on amount_residual")

    def test_preview_lists_invoices_and_level_readably(self):
        arch = etree.fromstring(self.env["dunning.run"].get_view(view_type="form")["arch"])
        [line_list] = arch.xpath("//field[@name='line_ids']/list")
        columns = {field.get("name"): field for field in line_list.xpath("./field")}
        invoices, level = columns["move_ids"], columns["level_id"]
        self.assertEqual(invoices.get("widget"), "many2many_tags")
        # Wide enough at 1440 px for two invoice numbers such as "INV/2026/00001".
        self.assertGreaterEqual(int(invoices.get("width", "0px").removesuffix("px")), 240)
        self.assertGreaterEqual(int(level.get("width", "0px").removesuffix("px")), 150)
        # The secondary columns are optional and hidden by default, to leave the room.
        for name in ("email_to", "collector_id", "channels"):
            self.assertEqual(columns[name].get("optional"), "hide", name)
        shown = [
            name
            for name, field in columns.items()
            if field.get("optional") != "hide" and not field.get("column_invisible")
        ]
        # Customer, amount, level, invoices, skip reason, note (a missing email), state.
        self.assertLessEqual(len(shown), 7, shown)
        # The customer and its amount first; the note does not take their room.
        self.assertEqual(shown[:2], ["partner_id", "amount_by_currency"])
        self.assertTrue(columns["note"].get("width"))
        # A line opens in a dialog titled by its customer (not Odoo's "Open: Customers").
        self.assertEqual(line_list.get("no_open"), "1")
        self.assertTrue(line_list.xpath("./button[@name='action_dunning_open']"))

    def test_preview_says_nothing_is_sent_until_execute(self):
        arch = etree.fromstring(self.env["dunning.run"].get_view(view_type="form")["arch"])
        banners = [
            div
            for div in arch.xpath("//div[hasclass('alert')]")
            if "nothing has been sent yet" in "".join(div.itertext())
        ]
        self.assertEqual(len(banners), 1)
        self.assertEqual(banners[0].get("invisible"), "state not in ('draft', 'planned')")

    def test_runs_list_counts_and_state(self):
        arch = etree.fromstring(self.env["dunning.run"].get_view(view_type="list")["arch"])
        shown = [
            field.get("name")
            for field in arch.xpath("//list/field")
            if field.get("optional") != "hide" and not field.get("column_invisible")
        ]
        for name in (
            "display_name", "trigger", "line_count", "message_count", "failed_count", "state"
        ):  # fmt: skip
            self.assertIn(name, shown)
