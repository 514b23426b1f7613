from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.orm import model_classes
from odoo.tests import tagged

from ..models import account_move as account_move_module
from .common import DunningRunCommon


class DummyStepKind(models.Model):
    """A kind of step that an extension module would add (never installed)."""

    _name = "dunning.level.step"
    _inherit = ["dunning.level.step"]
    _module = "account_dunning"
    _register = False  # added to the registry by the test only

    kind = fields.Selection(selection_add=[("dummy", "Dummy")], ondelete={"dummy": "cascade"})


class DummyStepRunLine(models.Model):
    _name = "dunning.run.line"
    _inherit = ["dunning.run.line"]
    _module = "account_dunning"
    _register = False

    def _dunning_step_dummy(self, batch):
        for line in self:
            batch.add(line, line._log_event("dummy", reason="dummy step carried out"))


class RegistryExtension:
    """Adds model definitions to the registry for one test class, then takes them out."""

    def __init__(self, env, definitions):
        self.env = env
        self.definitions = definitions
        self.saved = {}

    def __enter__(self):
        registry = self.env.registry
        names = {definition._name for definition in self.definitions}
        for name in registry.descendants(names, "_inherit", "_inherits"):
            self.saved[name] = registry[name]._base_classes__
        for definition in self.definitions:
            model_classes.add_to_registry(registry, definition)
        registry._setup_models__(self.env.cr, list(self.saved))
        self.env.invalidate_all()
        return self

    def __exit__(self, *exc):
        registry = self.env.registry
        for name, bases in self.saved.items():
            registry[name]._base_classes__ = bases
            model_classes._init_model_class_attributes(registry[name])
            registry[name]._setup_done__ = False
        registry._setup_models__(self.env.cr, list(self.saved))
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestDunningEngine(DunningRunCommon):
    """One engine: stages change through flows, the history is append-only, steps and
    channels are a plug-in point, the collector is never an archived user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing_user = cls.collector  # account.group_account_invoice
        cls.collections_user = cls.env["res.users"].create(
            {
                "name": "Cora Collections",
                "login": "cora",
                "group_ids": [
                    Command.set(
                        [
                            cls.env.ref("account_dunning.group_dunning_user").id,
                            cls.env.ref("account.group_account_readonly").id,
                        ]
                    )
                ],
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
            }
        )
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Mona Manager",
                "login": "mona",
                "group_ids": [
                    Command.set(
                        [
                            cls.env.ref("account_dunning.group_dunning_manager").id,
                            cls.env.ref("account.group_account_invoice").id,
                        ]
                    )
                ],
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
            }
        )

    # ------------------------------------------------------------------ stages

    def test_stage_is_refused_to_people_and_set_by_flows(self):
        invoice = self._dunning_invoice(850.0, "2026-01-10")
        for user in (self.collections_user, self.billing_user, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                invoice.with_user(user).write({"dunning_stage": "written_off"})
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.billing_user).create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "dunning_stage": "agency",
                }
            )
        self.assertEqual(invoice.dunning_stage, "normal")
        # A flow, started by a billing user, changes it.
        invoice.with_user(self.billing_user)._dunning_set_stage("promised")
        self.assertEqual(invoice.dunning_stage, "promised")

    def test_manager_corrects_a_stage_with_a_logged_reason(self):
        invoice = self._dunning_invoice(850.0, "2026-01-10")
        invoice._dunning_set_stage("agency")
        with self.assertRaises(AccessError):
            invoice.with_user(self.billing_user).action_dunning_correct_stage()
        wizard_vals = {
            "move_ids": [Command.set(invoice.ids)],
            "stage": "normal",
            "reason": "Agency settled outside Odoo",
        }
        with self.assertRaises(AccessError):
            self.env["dunning.stage.wizard"].with_user(self.billing_user).create(wizard_vals)
        wizard = self.env["dunning.stage.wizard"].with_user(self.manager).create(wizard_vals)
        wizard.action_confirm()
        self.assertEqual(invoice.dunning_stage, "normal")
        event = invoice.dunning_event_ids
        self.assertEqual(len(event), 1)
        self.assertEqual(event.channel, "note")
        self.assertIn("Agency settled outside Odoo", event.reason)
        self.assertIn("At Agency", event.reason)
        self.assertEqual(event.user_id, self.manager)

    # ----------------------------------------------------------------- history

    def test_history_is_append_only_for_people(self):
        invoice = self._dunning_invoice(500.0, "2026-01-10")
        event = self.env["dunning.engine"]._log(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [Command.set(invoice.ids)],
                "channel": "note",
                "reason": "logged by the engine",
            }
        )
        as_user = event.with_user(self.manager)
        for vals in ({"reason": "rewritten"}, {"state": "failed"}, {"move_ids": [Command.clear()]}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_user.write(vals)
        with self.assertRaises(UserError):  # an AccessError is a UserError too
            as_user.unlink()
        with self.assertRaises(AccessError):
            self.env["dunning.event"].with_user(self.manager).create(
                {"partner_id": self.customer.id, "channel": "note", "company_id": self.company.id}
            )
        with self.assertRaises(AccessError):
            invoice.with_user(self.billing_user).write({"dunning_event_ids": [Command.clear()]})
        self.assertEqual(event.reason, "logged by the engine")
        self.assertEqual(invoice.dunning_event_ids, event)

    # ------------------------------------------------------------ plug-in steps

    def test_level_flags_are_its_steps(self):
        level = self.levels[4]  # formal demand: letter, email, call
        self.assertEqual(level._dunning_step_kinds(), ["letter", "email", "call"])
        level.create_call = False
        self.assertNotIn("call", level.step_ids.mapped("kind"))
        level.write({"step_ids": [Command.create({"kind": "handoff"})]})
        self.assertTrue(level.propose_handoff)
        self.assertFalse(level.create_call)

    def test_a_new_kind_of_step_needs_no_change_in_the_engine(self):
        with RegistryExtension(self.env, [DummyStepKind, DummyStepRunLine]):
            self.assertIn("dummy", self.env["dunning.level.step"]._dunning_kinds())
            self.assertIn("dummy", dict(self.env["dunning.event"]._selection_channel()))
            level = self.levels[2]  # +7 days, email only
            level.write({"step_ids": [Command.create({"kind": "dummy"})]})
            with freeze_time("2026-01-01"):
                invoice = self._dunning_invoice(300.0, "2026-01-01")
            with freeze_time("2026-01-09"):
                run = self._run()
            events = run.event_ids.filtered(lambda e: e.channel == "dummy")
            self.assertEqual(len(events), 1)
            self.assertEqual(events.state, "done")
            self.assertEqual(events.move_ids, invoice)
            self.assertEqual(invoice.dunning_level_id, level)
            self.assertEqual(run.line_ids.state, "done")
            self.assertIn("Dummy", run.line_ids.channels)
            self.assertEqual(len(run.event_ids.filtered(lambda e: e.channel == "email")), 1)

    # -------------------------------------------------------------------- SMS

    def test_sms_step_queues_an_sms_and_logs_it(self):
        level = self.levels[2]
        self.assertTrue(level.sms_template_id, "the default ladder ships its SMS templates")
        level.send_sms = True
        self.ap_contact.phone = "+32 470 12 34 56"
        with freeze_time("2026-01-01"):
            invoice = self._dunning_invoice(1250.0, "2026-01-01")
        with freeze_time("2026-01-09 10:00:00"):  # within the contact hours (UTC)
            run = self._run()
        event = run.event_ids.filtered(lambda e: e.channel == "sms")
        self.assertEqual(event.state, "done")
        sms = self.env["sms.sms"].sudo().search([("mail_message_id", "=", event.message_id.id)])
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(sms.number, "+32470123456")
        self.assertIn(self.company.name, sms.body)
        self.assertIn("1,250.00", sms.body)
        # One link: the contact's SMS page, its open invoices to pay and the stop button.
        self.assertIn(self.ap_contact._dunning_sms_opt_out_url(self.company), sms.body)
        self.assertIn("our records show $ 1,250.00 as unpaid", sms.body)
        self.assertEqual(invoice.dunning_level_id, level)

    def test_sms_without_a_number_fails_and_asks_to_fix_the_contact(self):
        level = self.levels[2]
        level.write({"send_sms": True, "send_email": False})
        with freeze_time("2026-01-01"):
            self._dunning_invoice(400.0, "2026-01-01")
        with freeze_time("2026-01-09"):
            run = self._run()
        event = run.event_ids.filtered(lambda e: e.channel == "sms")
        self.assertEqual(event.state, "failed")
        self.assertIn("No phone number", event.reason)
        self.assertEqual(run.line_ids.state, "failed")
        self.assertFalse(self.env["sms.sms"].sudo().search([("partner_id", "=", self.customer.id)]))
        tasks = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertTrue(any("Fix contact" in task.summary for task in tasks))

    def test_sms_template_in_the_contact_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        level = self.levels[2]
        level.send_sms = True
        level.sms_template_id.with_context(lang="fr_FR").body = (
            "{{ object.company_id.name }} : sauf erreur de notre part, nous n'avons pas "
            "reçu votre règlement. {{ object._get_sms_opt_out_url() }}"
        )
        self.ap_contact.write({"phone": "+33 6 12 34 56 78", "lang": "fr_FR"})
        with freeze_time("2026-01-01"):
            self._dunning_invoice(90.0, "2026-01-01")
        with freeze_time("2026-01-09"):
            run = self._run()
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    (
                        "mail_message_id",
                        "=",
                        run.event_ids.filtered(lambda e: e.channel == "sms").message_id.id,
                    )
                ]
            )
        )
        self.assertIn("nous n'avons pas reçu votre règlement", sms.body)

    # -------------------------------------------------------------- collector

    def test_an_archived_collector_passes_to_the_next_in_line(self):
        self.policy.write(
            {"default_collector_id": self.manager.id, "start_at_matching_level": True}
        )
        self.collector.action_archive()
        with freeze_time("2026-01-01"):
            self._dunning_invoice(700.0, "2026-01-01")
        with freeze_time("2026-01-17"):  # +16 days: the +15 level, email and call
            run = self._run()
        calls = self._calls()
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls.user_id, self.manager)
        self.assertEqual(run.line_ids.collector_id, self.manager)

    def test_a_second_call_step_updates_the_open_call(self):
        level_call = self.levels[3]
        self.levels[4].send_letter = False
        self.policy.start_at_matching_level = True
        with freeze_time("2026-01-01"):
            self._dunning_invoice(700.0, "2026-01-01")
        with freeze_time("2026-01-17"):
            self._run()
        self.assertEqual(len(self._calls()), 1)
        with freeze_time("2026-02-01"):
            self._run()
        calls = self._calls()
        self.assertEqual(len(calls), 1, "one open collections call per customer")
        self.assertIn(self.levels[4].name, calls.summary)
        self.assertNotEqual(calls.summary, f"Collections call: {level_call.name}")

    # ----------------------------------------------------------- extension hook

    def test_open_items_selection_is_an_extension_point(self):
        with freeze_time("2026-01-01"):
            small = self._dunning_invoice(40.0, "2026-01-01")
            large = self._dunning_invoice(4000.0, "2026-01-01")
        Partner = type(self.env["res.partner"])
        original = Partner._dunning_ledger_conditions

        def only_large(partner):
            from odoo.tools import SQL  # noqa: PLC0415

            return [*original(partner), SQL("m.amount_total > %s", 1000)]

        with freeze_time("2026-01-09"):
            try:
                Partner._dunning_ledger_conditions = only_large
                run = self._run()
                # One place: what a customer owes follows the same conditions.
                ledger = self.customer._dunning_ledger()[self.customer.id]
                self.assertEqual({item.move_id for item in ledger.items}, set(large.ids))
            finally:
                Partner._dunning_ledger_conditions = original
        self.assertEqual(run.line_ids.move_ids, large)
        self.assertFalse(small.dunning_level_id)

    # --------------------------------------------------------------- next date

    def test_next_date_is_the_day_the_run_acts(self):
        self.policy.attach_invoice_pdf = False
        other = self.customer.copy({"name": "Other Customer", "email": "other@example.com"})
        with freeze_time("2026-01-01"):
            late = self._dunning_invoice(100.0, "2026-01-01")
            courtesy = self._dunning_invoice(
                100.0, "2026-01-20", partner=other, invoice_date=date(2026, 1, 1)
            )
        invoices = late | courtesy
        with freeze_time("2026-01-10"):
            # 9 days late, never reminded: no courtesy reminder, the +7 level today.
            self.env["account.move"]._dunning_recompute_next_dates([("id", "in", invoices.ids)])
            self.assertEqual(late.dunning_next_date, date(2026, 1, 10))
            self.assertEqual(courtesy.dunning_next_date, date(2026, 1, 17))
        acted = 0
        day = date(2026, 1, 10)
        while day < date(2026, 4, 30):
            with freeze_time(day):
                # What the invoice shows that morning (the run refreshes passed dates).
                self.env["account.move"]._dunning_recompute_next_dates([("id", "in", invoices.ids)])
                shown = {move: move.dunning_next_date for move in invoices}
                run = self._run()
                stepped = {
                    int(move_id)
                    for line in run.line_ids.filtered(lambda line: line.state == "done")
                    for move_id in line.step_data or {}
                }
                for move, next_date in shown.items():
                    with self.subTest(day=day, invoice=move.name):
                        self.assertEqual(move.id in stepped, next_date == day)
                    acted += move.id in stepped
            day += timedelta(days=1)
        self.assertEqual(acted, 5 + 7, "the overdue rungs of one, every rung of the other")
        self.assertFalse(late.dunning_next_date, "the top of the ladder has no next step")

    def test_next_dates_recomputed_in_chunks_equal_one_pass(self):
        other = self.customer.copy({"name": "Other Customer", "email": "other@example.com"})
        invoices = self.env["account.move"]
        with freeze_time("2026-01-01"):
            for due in ("2025-12-20", "2026-01-01", "2026-01-03", "2026-01-20", "2026-02-01"):
                invoices |= self._dunning_invoice(100.0, due)
                invoices |= self._dunning_invoice(50.0, due, partner=other)
        domain = [("id", "in", invoices.ids)]
        with freeze_time("2026-01-05"):
            self.env["account.move"]._dunning_recompute_next_dates(domain)
            one_pass = {move.id: move.dunning_next_date for move in invoices}
            self.assertTrue(all(one_pass.values()))
            invoices.write({"dunning_next_date": False})
            with patch.object(account_move_module, "RECOMPUTE_CHUNK", 3):
                self.env["account.move"]._dunning_recompute_next_dates(domain)
            self.assertEqual({move.id: move.dunning_next_date for move in invoices}, one_pass)

    def test_next_date_follows_the_policy_and_the_exclusion(self):
        with freeze_time("2026-01-01"):
            invoice = self._dunning_invoice(100.0, "2026-01-01")
        with freeze_time("2026-01-05"):
            self.env["account.move"]._dunning_recompute_next_dates([("id", "=", invoice.id)])
            self.assertEqual(invoice.dunning_next_date, date(2026, 1, 8))
            self.levels[2].delay_days = 10
            self.assertEqual(invoice.dunning_next_date, date(2026, 1, 11))
            self.customer.with_company(self.company).dunning_excluded = True
            self.assertFalse(invoice.dunning_next_date)
