from odoo.fields import Command

from .common import DunningCommon


class HandoffCommon(DunningCommon):
    """A customer with two overdue invoices and a collections history, another customer
    with its own, a collection agency and a lawyer. Dates: invoices due in January and
    February 2026; the tests run on 1 April 2026 (freeze_time in each test class)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bad_debt_account = cls.env["account.account"].create(
            {"name": "Bad debts", "code": "658100", "account_type": "expense"}
        )
        cls.company.dunning_bad_debt_account_id = cls.bad_debt_account
        cls.customer.write(
            {
                "street": "12 Harbour Road",
                "zip": "1000",
                "city": "Brussels",
                "country_id": cls.env.ref("base.be").id,
                "vat": "BE0123456749",
                "phone": "+32 2 555 01 01",
                "comment": "<p>Owner plays golf with our CEO</p>",
            }
        )
        cls.ap_contact = cls.env["res.partner"].create(
            {
                "name": "Ann Payables",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "ap@acme.example.com",
                "phone": "+32 2 555 01 02",
            }
        )
        cls.customer.dunning_contact_id = cls.ap_contact
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Globex Other",
                "is_company": True,
                "email": "billing@globex.example.com",
                "vat": "BE0987654321",
                "street": "99 Secret Lane",
            }
        )
        cls.agency = cls.env["res.partner"].create(
            {
                "name": "Fair Collect Ltd",
                "is_company": True,
                "email": "info@faircollect.example.com",
                "dunning_is_agency": True,
                "dunning_agency_commission": 15.0,
                "dunning_agency_email": "cases@faircollect.example.com",
            }
        )
        cls.lawyer = cls.env["res.partner"].create(
            {"name": "Lex & Partners", "is_company": True, "email": "office@lex.example.com"}
        )
        cls.levels = cls.policy.level_ids.sorted("sequence")
        cls.inv1 = cls._dunning_invoice(1000.0, "2026-01-15")
        cls.inv2 = cls._dunning_invoice(500.0, "2026-02-01")
        cls.not_handed = cls._dunning_invoice(80.0, "2026-02-10")
        cls.other_inv = cls._dunning_invoice(700.0, "2026-01-20", partner=cls.other_customer)
        cls.final_level = cls.levels.filtered(lambda lvl: lvl.tone == "final")
        (cls.inv1 | cls.inv2 | cls.other_inv).write({"dunning_level_id": cls.final_level.id})
        both = cls.inv1 | cls.inv2
        cls._event(cls.customer, both, "email", level=cls.levels[2], date="2026-01-22")
        cls._event(cls.customer, cls.inv1, "call", level=cls.levels[3], date="2026-01-30",
                   reason="Spoke to the owner, his wife is ill")  # fmt: skip
        cls._event(cls.customer, both, "letter", level=cls.levels[4],
                   date="2026-02-14")  # fmt: skip
        cls._event(cls.customer, cls.inv2, "email", level=cls.levels[5], date="2026-03-01",
                   state="skipped", reason="Too soon since the last step")  # fmt: skip
        cls._event(cls.customer, cls.inv2, "note", date="2026-02-20",
                   reason="Customer disputes the delivery date of order 42")  # fmt: skip
        cls._event(cls.customer, cls.not_handed, "note", date="2026-02-21",
                   reason="Not-handed invoice remark")  # fmt: skip
        cls._event(cls.other_customer, cls.other_inv, "call", level=cls.levels[3],
                   date="2026-02-02", reason="Globex call")  # fmt: skip
        cls._event(cls.other_customer, cls.other_inv, "note", date="2026-02-03",
                   reason="Globex disputes everything")  # fmt: skip

    @classmethod
    def _event(cls, partner, moves, channel, *, level=None, date=None, state="done", reason=None):
        return cls.env["dunning.engine"]._log(
            {
                "partner_id": partner.id,
                "move_ids": [Command.set(moves.ids)],
                "channel": channel,
                "level_id": level.id if level else False,
                "date": date,
                "state": state,
                "reason": reason,
            }
        )

    def _handoff(self, moves, handoff_type="agency", agency=None, env=None, **values):
        env = env or self.env
        default_agency = self.agency if handoff_type == "agency" else self.lawyer
        wizard = (
            env["dunning.handoff.wizard"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create(
                {
                    "handoff_type": handoff_type,
                    "agency_id": (agency or default_agency).id,
                    "reference": "FC-2026-77",
                    "note": "Please call before writing.",
                    **values,
                }
            )
        )
        action = wizard.action_confirm()
        return env["dunning.case"].browse(action["res_id"])

    def _writeoff(self, moves, env=None, **values):
        env = env or self.env
        wizard = (
            env["dunning.writeoff.wizard"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"reason": "Customer insolvent", **values})
        )
        wizard.action_confirm()
        return env["account.move"].search([("dunning_writeoff_invoice_id", "in", moves.ids)])
