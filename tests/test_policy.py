from itertools import count

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestPolicy(DunningCommon):
    _names = count()  # a failed create stays in the transaction: names must differ

    def _policy(self, levels):
        return self.env["dunning.policy"].create(
            {
                "name": f"Test ladder {next(self._names)}",
                "level_ids": [
                    Command.create({"name": f"L{i}", "sequence": i, "send_email": False, **vals})
                    for i, vals in enumerate(levels)
                ],
            }
        )

    def test_delays_must_increase_with_sequence(self):
        with self.assertRaisesRegex(ValidationError, "strictly increase"):
            self._policy([{"delay_days": 5}, {"delay_days": 5}])
        with self.assertRaisesRegex(ValidationError, "strictly increase"):
            self._policy([{"delay_days": 10}, {"delay_days": -3}])
        policy = self._policy([{"delay_days": -3}, {"delay_days": 0}, {"delay_days": 7}])
        self.assertEqual(policy.level_count, 3)
        # Reordering a saved ladder is checked too.
        with self.assertRaisesRegex(ValidationError, "L2 \\(\\+7\\)"):
            policy.level_ids[2].sequence = -1

    def test_email_level_needs_a_dunning_template(self):
        with self.assertRaisesRegex(ValidationError, "choose its email template"):
            self._policy([{"delay_days": 1, "send_email": True}])
        invoice_template = self.env.ref("account.email_template_edi_invoice")
        with self.assertRaisesRegex(ValidationError, "made for account.move"):
            self._policy(
                [{"delay_days": 1, "send_email": True, "mail_template_id": invoice_template.id}]
            )
        template = self.env.ref("account_dunning.mail_template_dunning_polite")
        policy = self._policy(
            [{"delay_days": 1, "send_email": True, "mail_template_id": template.id}]
        )
        self.assertEqual(policy.level_ids.mail_template_id, template)

    def test_broken_template_is_refused_when_the_level_is_saved(self):
        broken = self.env.ref("account_dunning.mail_template_dunning_polite").copy(
            {"body_html": "<p><t t-out='object.no_such_field'/></p>"}
        )
        with self.assertRaisesRegex(ValidationError, "cannot be rendered"):
            self.policy.level_ids[2].mail_template_id = broken
        events_before = self.env["dunning.event"].search_count([])
        self.policy.level_ids[2].mail_template_id = self.env.ref(
            "account_dunning.mail_template_dunning_firm"
        )
        self.assertEqual(self.env["dunning.event"].search_count([]), events_before)

    def test_call_to_specific_user_needs_the_user(self):
        with self.assertRaisesRegex(ValidationError, "who gets the call"):
            self._policy([{"delay_days": 1, "create_call": True, "call_assignee": "user"}])

    def test_new_company_gets_default_policy(self):
        company = self.env["res.company"].create({"name": "Newco"})
        policy = company.dunning_default_policy_id
        self.assertEqual(policy.company_id, company)
        self.assertEqual(policy.level_ids.sorted("sequence").mapped("delay_days"),
                         [-3, 0, 7, 15, 30, 45, 60])  # fmt: skip
        # Calling it again does not create a second ladder.
        company._dunning_ensure_default_policy()
        self.assertEqual(
            self.env["dunning.policy"].search_count([("company_id", "=", company.id)]), 1
        )

    def test_partner_policy_falls_back_to_company_default(self):
        self.assertEqual(self.customer._dunning_get_policy(), self.policy)
        strict = self.policy.copy({"name": "Strict"})
        self.customer.dunning_policy_id = strict
        self.assertEqual(self.customer._dunning_get_policy(), strict)
        # The policy is per company: another company still uses its own default.
        other = self.setup_other_company()["company"]
        self.assertEqual(
            self.customer.with_company(other)._dunning_get_policy(),
            other.dunning_default_policy_id,
        )

    def test_sender_defaults_to_company_email(self):
        self.assertIn("finance@company-a.example.com", self.policy._get_sender())
        self.policy.email_from = "Accounts Receivable <ar@company-a.example.com>"
        self.assertEqual(
            self.policy._get_sender(), "Accounts Receivable <ar@company-a.example.com>"
        )

    def test_events_are_an_immutable_log(self):
        invoice = self._dunning_invoice(100.0, "2026-01-10")
        engine = self.env["dunning.engine"]
        event = engine._log(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "level_id": self.policy.level_ids[0].id,
                "channel": "email",
            }
        )
        self.assertEqual(invoice.dunning_event_ids, event)
        # The engine completes the outcome; nothing else changes, not even for it.
        engine._record_outcome(event, {"state": "failed", "reason": "bounced"})
        self.assertEqual(event.state, "failed")
        with self.assertRaisesRegex(AccessError, "partner_id"):
            engine._record_outcome(event, {"partner_id": self.partner_a.id})
        with self.assertRaises(AccessError):
            event.write({"reason": "edited"})
        with self.assertRaises(AccessError):
            event.unlink()
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            event.sudo().unlink()
