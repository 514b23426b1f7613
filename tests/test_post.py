"""Formal letters by post: a step kind "post" carried by Odoo's Snailmail (IAP). Only
the IAP endpoint is mocked; letters, notifications and the queue are Snailmail's own."""

import base64
from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.iap.tools import iap_tools
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon

# 30 days after the due date: the formal demand (levels[4]).
FORMAL_DAY = "2026-03-31 10:00:00"


@tagged("post_install", "-at_install")
class TestPost(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy.attach_invoice_pdf = False
        cls.formal = cls.levels.filtered(lambda level: level.delay_days == 30)
        cls.formal.step_ids = [Command.create({"kind": "post"})]
        cls.customer.write(
            {
                "street": "Rue de la Loi 16",
                "zip": "1000",
                "city": "Brussels",
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.company.partner_id.write(
            {"street": "Main Street 1", "zip": "10001", "city": "New York",
             "country_id": cls.env.ref("base.us").id}
        )  # fmt: skip
        with freeze_time("2026-03-01"):
            cls.invoice = cls._dunning_invoice(1000.0, "2026-03-01")
        cls.invoice.dunning_level_id = cls.levels.filtered(lambda level: level.delay_days == 15)

    def _letters(self):
        return self.env["snailmail.letter"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )

    def _post_with_iap(self, letters, answer):
        """Snailmail's scheduled action for each letter (without its commit), with the
        IAP endpoint answering ``answer(document)``; returns the documents sent."""
        sent = []

        def iap(url, params=None, **kwargs):
            sent.extend(params["documents"])
            return {
                "request_code": 200,
                "request": {"documents": [answer(doc) for doc in params["documents"]]},
            }

        with patch.object(iap_tools, "iap_jsonrpc", side_effect=iap):
            for letter in letters:
                letter._snailmail_print_valid_address()
        return sent

    @freeze_time(FORMAL_DAY)
    def test_letter_queued_to_snailmail_then_posted(self):
        run = self._run()
        post = run.event_ids.filtered(lambda event: event.channel == "post")
        self.assertEqual(post.state, "done", post.reason)
        self.assertTrue(post.is_customer_message)
        # The level's letter (Odoo renders reports as HTML under test, PDF in production).
        self.assertEqual(post.attachment_id.mimetype, "application/pdf")
        self.assertIn(b"Acme Retail", post.attachment_id.raw)
        self.assertTrue(post.attachment_id.name.startswith("Letter Acme Retail"))
        letter = self._letters()
        self.assertEqual(len(letter), 1)
        # Addressed to the customer: the accounts-payable contact has no address.
        self.assertEqual(
            (letter.partner_id, letter.attachment_id, letter.state),
            (self.customer, post.attachment_id, "pending"),
        )
        # The history and the chatter share Snailmail's status message.
        self.assertEqual(post.message_id, letter.message_id)
        self.assertEqual(letter.message_id.message_type, "snailmail")
        self.assertEqual(self.invoice.dunning_level_id, self.formal)

        sent = self._post_with_iap(
            letter, lambda doc: {"letter_id": doc["letter_id"], "sent": True, "send_id": "T-1"}
        )
        self.assertEqual(len(sent), 1)
        address = sent[0]["address"]
        self.assertEqual(
            (address["name"], address["street"], address["zip"], address["city"]),
            ("Acme Retail", "Rue de la Loi 16", "1000", "Brussels"),
        )
        self.assertEqual(address["country_code"], "BE")
        self.assertEqual(base64.b64decode(sent[0]["pdf_bin"]), post.attachment_id.raw)
        self.assertEqual(letter.state, "sent")
        self.assertEqual(post.state, "done")

    @freeze_time(FORMAL_DAY)
    def test_snailmail_refusal_fails_the_event(self):
        run = self._run()
        post = run.event_ids.filtered(lambda event: event.channel == "post")
        self._post_with_iap(
            self._letters(),
            lambda doc: {"letter_id": doc["letter_id"], "sent": False, "error": "FORMAT_ERROR"},
        )
        self.assertEqual(self._letters().state, "error")
        self.assertEqual(post.state, "failed")
        self.assertIn("Not delivered to Acme Retail", post.reason)
        # The format is ours to fix, not the contact: no "Fix contact" task.
        self.assertFalse(self._fix_contact_tasks())

    @freeze_time(FORMAL_DAY)
    def test_no_postal_address_fails_and_asks_to_fix_the_contact(self):
        self.customer.zip = False
        run = self._run()
        post = run.event_ids.filtered(lambda event: event.channel == "post")
        self.assertEqual(post.state, "failed")
        self.assertIn("No complete postal address", post.reason)
        self.assertFalse(self._letters())
        task = self._fix_contact_tasks()
        self.assertEqual(task.summary, "Fix contact: no complete postal address")
        # The level's other steps still reach the customer.
        email = run.event_ids.filtered(lambda event: event.channel == "email")
        self.assertEqual(email.state, "done")

    @freeze_time(FORMAL_DAY)
    def test_send_print_offers_post_with_its_cost(self):
        wizard = (
            self.env["dunning.send.wizard"]
            .with_user(self.collector)
            .with_context(**self.customer.with_user(self.collector).action_dunning_send_print()["context"])
            .create({})
        )  # fmt: skip
        wizard.level_id = self.formal
        post = wizard.channel_ids.filtered(lambda line: line.kind == "post")
        self.assertTrue(post.selected)
        self.assertIn("IAP credits", post.note)
        for line in wizard.channel_ids:
            line.selected = line.kind == "post"
        wizard.action_send()
        event = self.env["dunning.event"].search([("channel", "=", "post")])
        self.assertEqual(event.state, "done")
        self.assertEqual(self._letters().attachment_id, event.attachment_id)
        self.assertEqual(self.invoice.dunning_level_id, self.formal)

    def test_level_form_shows_the_cost(self):
        step = self.formal.step_ids.filtered(lambda step: step.kind == "post")
        self.assertIn("IAP credits", step.notice)
        self.assertFalse(self.formal.step_ids.filtered(lambda s: s.kind == "email").notice)

    def _fix_contact_tasks(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("summary", "like", "Fix contact"),
            ]
        )
