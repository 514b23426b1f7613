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
        # Customer, level, invoices, amount, skip reason, note (a missing email), state.
        self.assertLessEqual(len(shown), 7, shown)
