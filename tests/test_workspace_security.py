"""The collector's workspace as JSON-RPC sees it: security in the model, not the form.

Every test acts over the ORM as a plain user would through JSON-RPC (``with_user`` then
create / write / unlink / read / public action methods), including writes on the fields
a view shows read-only or hides. The users:

(a) ``employee``: internal user who edits contacts, without any collections group;
(b) ``collector``: collections user (billing user) of company A;
(c) ``collector_b``: the same, of company B only (multi-company record rules);
(d) ``portal``: portal user, contact of the customer;
and ``manager``: collections manager of company A, for what the design keeps to flows.
"""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import DunningRunCommon

# AccessError and ValidationError are UserErrors: any clear refusal (Odoo's assertRaises
# takes one class).
REFUSED = UserError
USER_GROUPS = (
    "account_dunning.group_dunning_user,account.group_account_invoice,base.group_partner_manager"
)


@tagged("post_install", "-at_install")
@freeze_time("2026-03-02")
class TestWorkspaceSecurity(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.employee = cls._dunning_user(
            "ws_employee", "base.group_user,base.group_partner_manager"
        )
        cls.user = cls._dunning_user("ws_collector", USER_GROUPS)
        cls.user_b = cls._dunning_user("ws_collector_b", USER_GROUPS, company=cls.company_b)
        cls.manager = cls._dunning_user(
            "ws_manager", USER_GROUPS + ",account_dunning.group_dunning_manager"
        )
        cls.portal = cls._dunning_user("ws_portal", "base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Customer", "is_company": True}
        )
        with freeze_time("2026-02-01"):
            cls.inv_promised = cls._dunning_invoice(1000.0, "2026-02-01")
            cls.inv_disputed = cls._dunning_invoice(500.0, "2026-02-01")
            cls.inv_free = cls._dunning_invoice(300.0, "2026-02-01")
            cls.inv_other = cls._dunning_invoice(200.0, "2026-02-01", partner=cls.other_customer)
        cls.reason = cls.env.ref("account_dunning.dispute_reason_quality")
        with freeze_time("2026-03-02"):
            cls.promise = cls.env["dunning.promise"].create(
                {
                    "partner_id": cls.customer.id,
                    "move_ids": [Command.set(cls.inv_promised.ids)],
                    "amount": 1000.0,
                    "date_promised": date(2026, 3, 20),
                }
            )
            cls.dispute = cls.env["dunning.dispute"].create(
                {
                    "partner_id": cls.customer.id,
                    "move_ids": [Command.set(cls.inv_disputed.ids)],
                    "reason_id": cls.reason.id,
                    "date_expected": date(2026, 3, 31),
                }
            )
        cls.call_event = cls.promise.event_ids[:1]

    def _as(self, user, records):
        return records.with_user(user)

    def _assert_refused(self, records, vals, msg=None):
        names = list(vals)  # account.move.write() adds keys of its own to vals
        before = {name: records.sudo()[name] for name in names}
        with self.assertRaises(REFUSED, msg=msg or str(vals)):
            records.write(vals)
        records.invalidate_recordset()
        after = {name: records.sudo()[name] for name in names}
        self.assertEqual(after, before, msg or str(vals))

    # ----------------------------------------------------------------- promises

    def test_promise_fields_read_only_in_the_form_are_refused_to_a_collector(self):
        promise = self._as(self.user, self.promise)
        for vals in (
            {"state": "kept"},
            {"state": "broken"},
            {"state": "cancelled"},
            {"date_end": date(2026, 3, 2)},
            {"date_start": date(2026, 1, 1)},  # payments before the promise would count
            {"call_event_id": self.call_event.id},
            {"partner_id": self.other_customer.id},
            {"move_ids": [Command.set(self.inv_free.ids)]},
            {"move_ids": [Command.link(self.inv_free.id)]},
            {"company_id": self.company_b.id},
        ):
            self._assert_refused(promise, vals)
        self.assertEqual(self.inv_free.dunning_stage, "normal")
        self.assertEqual(self.inv_promised.dunning_stage, "promised")
        # What the form leaves editable while open stays editable.
        promise.write({"amount": 900.0, "date_promised": date(2026, 3, 25), "note": "Paula"})
        self.assertEqual(self.promise.amount, 900.0)
        # Closed: the amount and date are history.
        promise.action_cancel()
        self.assertEqual(self.promise.state, "cancelled")
        self._assert_refused(promise, {"amount": 10.0})
        self._assert_refused(promise, {"date_promised": date(2026, 4, 1)})
        self._assert_refused(promise, {"state": "open"})
        self.assertEqual(self.inv_promised.dunning_stage, "normal")

    def test_promise_state_only_through_its_flow_even_for_a_manager(self):
        promise = self._as(self.manager, self.promise)
        self._assert_refused(promise, {"state": "kept"})
        self._assert_refused(promise, {"state": "broken", "date_end": date(2026, 3, 2)})
        # An open promise deleted would leave its invoice promised for ever: cancel it.
        with self.assertRaises(REFUSED):
            promise.unlink()
        self.assertEqual(self.inv_promised.dunning_stage, "promised")
        with self.assertRaises(AccessError):  # no delete right for a collector
            self._as(self.user, self.promise).unlink()
        promise.action_cancel()
        self.assertEqual(self.inv_promised.dunning_stage, "normal")

    def test_promise_created_only_open_and_today(self):
        Promise = self.env["dunning.promise"].with_user(self.user)
        vals = {
            "partner_id": self.customer.id,
            "move_ids": [Command.set(self.inv_free.ids)],
            "amount": 300.0,
            "date_promised": date(2026, 3, 20),
        }
        for extra in (
            {"state": "kept"},
            {"state": "broken"},
            {"date_start": date(2026, 1, 1)},
            {"date_end": date(2026, 3, 2)},
        ):
            with self.assertRaises(REFUSED, msg=str(extra)):
                Promise.create({**vals, **extra})
        self.assertFalse(self.inv_free.dunning_promise_ids)
        self.assertEqual(self.inv_free.dunning_stage, "normal")
        promise = Promise.create(vals)
        self.assertEqual((promise.state, promise.date_start), ("open", date(2026, 3, 2)))
        self.assertEqual(self.inv_free.dunning_stage, "promised")

    # ----------------------------------------------------------------- disputes

    def test_dispute_fields_read_only_in_the_form_are_refused_to_a_collector(self):
        dispute = self._as(self.user, self.dispute)
        for vals in (
            {"state": "accepted"},
            {"state": "rejected"},
            {"date_end": date(2026, 3, 2)},
            {"date_start": date(2026, 1, 1)},
            {"overdue_notified_date": date(2026, 3, 31)},
            {"call_event_id": self.call_event.id},
            {"partner_id": self.other_customer.id},
            {"move_ids": [Command.set(self.inv_free.ids)]},
            {"move_ids": [Command.unlink(self.inv_disputed.id)]},
            {"company_id": self.company_b.id},
        ):
            self._assert_refused(dispute, vals)
        self.assertEqual(self.inv_disputed.dunning_stage, "dispute")
        self.assertEqual(self.inv_free.dunning_stage, "normal")
        dispute.write(
            {
                "note": "Two items broken",
                "date_expected": date(2026, 4, 15),
                "user_id": self.user.id,
            }
        )
        self.assertEqual(self.dispute.date_expected, date(2026, 4, 15))
        # Settled by its action: then the state is history too.
        dispute.action_reject()
        self.assertEqual(self.inv_disputed.dunning_stage, "normal")
        self._assert_refused(dispute, {"state": "open"})
        with self.assertRaises(REFUSED):
            dispute.action_accept()

    def test_dispute_state_only_through_its_actions_even_for_a_manager(self):
        dispute = self._as(self.manager, self.dispute)
        self._assert_refused(dispute, {"state": "accepted", "date_end": date(2026, 3, 2)})
        with self.assertRaises(REFUSED):
            dispute.unlink()
        self.assertEqual(self.inv_disputed.dunning_stage, "dispute")
        Dispute = self.env["dunning.dispute"].with_user(self.user)
        with self.assertRaises(REFUSED):
            Dispute.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.inv_free.ids)],
                    "reason_id": self.reason.id,
                    "state": "accepted",
                }
            )
        with self.assertRaises(REFUSED):
            Dispute.create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.inv_free.ids)],
                    "reason_id": self.reason.id,
                    "date_start": date(2025, 1, 1),
                }
            )
        self.assertFalse(self.inv_free.dunning_dispute_ids)

    def test_dispute_reasons_are_a_managers_configuration(self):
        Reason = self.env["dunning.dispute.reason"].with_user(self.user)
        self.assertIn(self.reason, Reason.search([]))
        with self.assertRaises(AccessError):
            Reason.create({"name": "Weather"})
        with self.assertRaises(AccessError):
            self._as(self.user, self.reason).write({"name": "Anything"})
        with self.assertRaises(AccessError):
            self._as(self.user, self.reason).unlink()
        reason = self.env["dunning.dispute.reason"].with_user(self.manager).create({"name": "Hail"})
        reason.write({"active": False})
        self.assertFalse(reason.active)

    # ------------------------------------------------------- invoices and stages

    def test_invoice_collections_fields_only_through_flows(self):
        for user in (self.user, self.manager):
            invoice = self._as(user, self.inv_free)
            for vals in (
                {"dunning_stage": "promised"},
                {"dunning_stage": "written_off"},
                {"dunning_promise_ids": [Command.link(self.promise.id)]},
                {"dunning_dispute_ids": [Command.link(self.dispute.id)]},
                {"dunning_thanked": True},  # would silence the thank-you
            ):
                self._assert_refused(invoice, vals, msg=f"{user.login} {vals}")
            # From the other side as well: unlink the promise / dispute from its invoice.
            self._assert_refused(
                self._as(user, self.inv_promised),
                {"dunning_promise_ids": [Command.unlink(self.promise.id)]},
            )
        self.assertEqual(self.promise.move_ids, self.inv_promised)
        self.assertEqual(self.dispute.move_ids, self.inv_disputed)

    def test_invoice_ladder_is_the_runs_and_a_managers_correction(self):
        last_level = self.policy.level_ids.sorted("delay_days")[-1]
        invoice = self._as(self.user, self.inv_free)
        for vals in (
            {"dunning_level_id": last_level.id},  # would skip rungs
            {"dunning_last_date": date(2099, 1, 1)},  # would silence the reminders
        ):
            self._assert_refused(invoice, vals)
        self._as(self.manager, self.inv_free).write({"dunning_level_id": last_level.id})
        self.assertEqual(self.inv_free.dunning_level_id, last_level)

    def test_stage_correction_is_a_managers_wizard(self):
        with self.assertRaises(AccessError):
            self.env["dunning.stage.wizard"].with_user(self.user).create(
                {"move_ids": [Command.set(self.inv_free.ids)], "stage": "agency", "reason": "x"}
            )
        wizard = (
            self.env["dunning.stage.wizard"]
            .with_user(self.manager)
            .create(
                {"move_ids": [Command.set(self.inv_free.ids)], "stage": "agency", "reason": "x"}
            )
        )
        # Handed to a collector (e.g. a shared link), it still refuses.
        with self.assertRaises(AccessError):
            wizard.with_user(self.user).action_confirm()
        self.assertEqual(self.inv_free.dunning_stage, "normal")
        wizard.action_confirm()
        self.assertEqual(self.inv_free.dunning_stage, "agency")

    # --------------------------------------------------------------- call wizard

    def _call_activity(self, partner, user):
        return self.env["dunning.engine"]._schedule(
            partner,
            "Collections call",
            "",
            user,
            date(2026, 3, 2),
            activity_type=self.env.ref("account_dunning.mail_activity_type_dunning_call"),
        )

    def _call_events(self, company=None):
        domain = [("channel", "=", "call")]
        if company:
            domain.append(("company_id", "=", company.id))
        return self.env["dunning.event"].sudo().search(domain)

    def test_call_wizard_refuses_an_activity_of_another_company(self):
        activity = self._call_activity(self.customer, self.user)
        Wizard = self.env["dunning.call.wizard"].with_user(self.user_b)
        wizard = Wizard.create(
            {"partner_id": self.customer.id, "activity_id": activity.id, "outcome": "reached"}
        )
        with self.assertRaises(REFUSED):
            wizard.action_confirm()
        self.assertTrue(activity.exists() and activity.active, "the call is still to do")
        # Nor can it log the call in company A by naming it.
        with self.assertRaises(REFUSED):
            Wizard.create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "outcome": "reached",
                }
            ).action_confirm()
        self.assertFalse(self._call_events())
        # Its own call, in its own company, goes through.
        Wizard.create({"partner_id": self.customer.id, "outcome": "no_answer"}).action_confirm()
        self.assertEqual(self._call_events().company_id, self.company_b)

    def test_call_wizard_refuses_an_activity_or_invoices_of_another_customer(self):
        activity = self._call_activity(self.other_customer, self.user)
        Wizard = self.env["dunning.call.wizard"].with_user(self.user)
        with self.assertRaises(REFUSED):
            Wizard.create(
                {"partner_id": self.customer.id, "activity_id": activity.id, "outcome": "reached"}
            ).action_confirm()
        self.assertTrue(activity.exists() and activity.active)
        for outcome in ("reached", "promised"):
            with self.assertRaises(REFUSED, msg=outcome):
                Wizard.create(
                    {
                        "partner_id": self.customer.id,
                        "outcome": outcome,
                        "move_ids": [Command.set(self.inv_other.ids)],
                        "promise_date": date(2026, 3, 9),
                        "promise_amount": 200.0,
                    }
                ).action_confirm()
        self.assertFalse(self._call_events())
        self.assertEqual(self.inv_other.dunning_stage, "normal")
        # The activity of the customer itself is logged and done.
        own = self._call_activity(self.customer, self.user)
        Wizard.create(
            {"partner_id": self.customer.id, "activity_id": own.id, "outcome": "reached"}
        ).action_confirm()
        self.assertFalse(own.active)
        self.assertEqual(len(self._call_events(self.company)), 1)

    # ------------------------------------------------------------ cross-company

    def test_other_company_cannot_see_or_act_on_promises_and_disputes(self):
        env_b = self.env(user=self.user_b)
        self.assertFalse(env_b["dunning.promise"].search([]))
        self.assertFalse(env_b["dunning.dispute"].search([]))
        promise, dispute = self.promise.with_env(env_b), self.dispute.with_env(env_b)
        for records in (promise, dispute):
            with self.assertRaises(AccessError):
                records.read(["state"])
            with self.assertRaises(AccessError):
                records.write({"note": "seen from B"})
        with self.assertRaises(AccessError):
            promise.action_cancel()
        with self.assertRaises(AccessError):
            dispute.action_reject()
        with self.assertRaises(AccessError):
            dispute.action_accept()
        # Naming company A in the context is refused too.
        with self.assertRaises(AccessError):
            promise.with_context(allowed_company_ids=[self.company.id]).read(["state"])
        self.assertEqual((self.promise.state, self.dispute.state), ("open", "open"))
        # A promise of A's invoices cannot be recorded from B.
        with self.assertRaises(AccessError):
            env_b["dunning.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(self.inv_free.ids)],
                    "amount": 300.0,
                    "date_promised": date(2026, 3, 20),
                }
            )
        self.assertEqual(self.inv_free.dunning_stage, "normal")

    def test_other_company_cannot_change_the_customers_collections_data(self):
        partner_a = self.customer.with_company(self.company)
        partner_a.write(
            {"dunning_postpone_until": date(2026, 3, 20), "dunning_postpone_reason": "Holiday"}
        )
        partner = self.customer.with_user(self.user_b)
        # Company-dependent: B's own setting, A's is untouched.
        partner.write({"dunning_reminder_mode": "manual"})
        self.assertEqual(partner_a.dunning_reminder_mode, False)
        self.assertEqual(partner.dunning_reminder_mode, "manual")
        with self.assertRaises(AccessError):
            partner.with_context(allowed_company_ids=[self.company.id]).write(
                {"dunning_postpone_until": False, "dunning_postpone_reason": False}
            )
        partner_a.invalidate_recordset()
        self.assertEqual(partner_a.dunning_postpone_until, date(2026, 3, 20))
        # B's figures of the customer hold none of A's invoices.
        self.assertEqual(partner.dunning_overdue_amount, 0.0)
        self.assertEqual(partner.dunning_promise_open_count, 0)
        self.assertEqual(partner.dunning_dispute_open_count, 0)

    # ---------------------------------------------------------- customer fields

    def test_collections_fields_of_a_customer_are_not_an_employees(self):
        """Hidden from (a) by the Collections tab's groups: refused in the model too."""
        partner = self.customer.with_user(self.employee)
        partner.write({"phone": "+32 2 555 00 00"})  # (a) may edit the contact itself
        for vals in (
            {"dunning_reminder_mode": "manual"},
            {"dunning_postpone_until": date(2026, 4, 1), "dunning_postpone_reason": "Why not"},
            {"dunning_email_opt_out": True},
            {"dunning_email_is_workplace": True},
            {"dunning_is_consumer": True},
            {"dunning_statement_monthly": True},
            {"dunning_collector_id": self.employee.id},
            {"dunning_contact_id": self.portal.partner_id.id},
        ):
            self._assert_refused(partner, vals)
        # The collector sets them.
        self.customer.with_user(self.user).write(
            {"dunning_reminder_mode": "manual", "dunning_email_opt_out": True}
        )
        self.assertEqual(self.customer.with_company(self.company).dunning_reminder_mode, "manual")

    def test_last_monthly_statement_date_is_the_scheduled_actions(self):
        for user in (self.user, self.manager):
            self._assert_refused(
                self.customer.with_user(user), {"dunning_statement_last_date": date(2026, 3, 1)}
            )

    def test_money_is_not_an_employees(self):
        partner = self.customer.with_user(self.employee)
        for name in ("dunning_balance", "dunning_overdue_amount", "dunning_oldest_overdue_days"):
            with self.assertRaises(AccessError, msg=name):
                partner.read([name])
        for records, names in (
            (self.promise, ["amount", "amount_paid"]),
            (self.dispute, ["amount_residual"]),
        ):
            with self.assertRaises(AccessError):
                records.with_user(self.employee).read(names)
        with self.assertRaises(AccessError):
            self.env["dunning.late.charge"].with_user(self.employee).search([])
        # The statement of account lists the money: not for (a) either.
        Report = self.env["ir.actions.report"].with_user(self.employee)
        with self.assertRaises(AccessError):
            Report._render_qweb_html("account_dunning.report_dunning_statement", self.customer.ids)
        # The collector reads it.
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user)
            ._render_qweb_html("account_dunning.report_dunning_statement", self.customer.ids)[0]
        )
        self.assertIn(self.inv_free.name, html.decode())

    # -------------------------------------------------------------- configuration

    def test_policy_and_levels_are_a_managers_configuration(self):
        policy = self.policy.with_user(self.user)
        for vals in (
            {"contact_hour_start": 0.0},
            {"contact_hour_end": 24.0},
            {"late_charge_rule": "fixed_rate", "late_charge_rate": 99.0},
            {"promise_grace_days": 90},
            {"send_thank_you": False},
            {"call_max_attempts_7d": 50},
            {"email_min_days": 0},
            {"minimum_amount": 0.0},
        ):
            self._assert_refused(policy, vals)
        level = self.policy.level_ids[:1].with_user(self.user)
        self._assert_refused(level, {"delay_days": 1})
        with self.assertRaises(AccessError):
            self.env["dunning.level"].with_user(self.user).create(
                {"policy_id": self.policy.id, "name": "Mine", "delay_days": 1}
            )
        Rate = self.env["dunning.reference.rate"].with_user(self.user)
        with self.assertRaises(AccessError):
            Rate.create({"rule": "ecb_mro", "date_from": "2031-01-01", "rate": 0.0})
        self._assert_refused(
            self.company.with_user(self.user),
            {"dunning_late_charge_account_id": self.company_data["default_account_revenue"].id},
        )
        self.policy.with_user(self.manager).write({"promise_grace_days": 5})
        self.assertEqual(self.policy.promise_grace_days, 5)

    # --------------------------------------------------------------- late charges

    def test_late_charges_only_from_the_wizard_with_recomputed_amounts(self):
        self.policy.write({"late_charge_rule": "fixed_rate", "late_charge_rate": 10.0})
        expected = self.inv_free._dunning_late_charges(date(2026, 3, 2))["interest"]
        self.assertGreater(expected, 0.0)
        LateCharge = self.env["dunning.late.charge"].with_user(self.user)
        # Recording "charged until 2099" by hand would stop every future charge.
        with self.assertRaises(REFUSED):
            LateCharge.create(
                {
                    "move_id": self.inv_free.id,
                    "charge_move_id": self.inv_other.id,
                    "date_from": date(2026, 2, 2),
                    "date_to": date(2099, 12, 31),
                }
            )
        self.assertFalse(self.inv_free.sudo().dunning_late_charge_ids)
        # Lines forged in the wizard's values are recomputed, not trusted.
        wizard = (
            self.env["dunning.late.charge.wizard"]
            .with_user(self.user)
            .create(
                {
                    "move_ids": [Command.set(self.inv_free.ids)],
                    "line_ids": [
                        Command.create(
                            {
                                "move_id": self.inv_free.id,
                                "date_from": date(2026, 2, 2),
                                "date_to": date(2099, 12, 31),
                                "interest": 99999.0,
                                "compensation": 0.0,
                            }
                        )
                    ],
                }
            )
        )
        charge_move = self.env["account.move"].browse(wizard.action_confirm()["res_id"])
        self.assertEqual(charge_move.amount_untaxed, expected)
        charge = self.inv_free.dunning_late_charge_ids
        self.assertEqual((charge.date_to, charge.interest), (date(2026, 3, 2), expected))
        with self.assertRaises(AccessError):
            charge.with_user(self.user).write({"date_to": date(2099, 12, 31)})
        with self.assertRaises(AccessError):
            charge.with_user(self.user).unlink()
        # Company B's collector cannot charge A's invoices.
        with self.assertRaises(AccessError):
            self.env["dunning.late.charge.wizard"].with_user(self.user_b).create(
                {"move_ids": [Command.set(self.inv_promised.ids)]}
            ).action_confirm()
        with self.assertRaises(AccessError):
            charge.with_user(self.user_b).read(["interest"])

    # ------------------------------------------------------------------- portal

    def test_portal_user_gets_nothing(self):
        env = self.env(user=self.portal)
        for model in (
            "dunning.promise",
            "dunning.dispute",
            "dunning.dispute.reason",
            "dunning.late.charge",
            "dunning.reference.rate",
            "dunning.policy",
        ):
            with self.assertRaises(AccessError, msg=model):
                env[model].search([])
        for model, vals in (
            ("dunning.call.wizard", {"partner_id": self.customer.id}),
            ("dunning.stage.wizard", {"stage": "normal", "reason": "x"}),
            ("dunning.late.charge.wizard", {}),
            ("dunning.promise", {"partner_id": self.customer.id, "amount": 1.0}),
            ("dunning.dispute", {"partner_id": self.customer.id, "reason_id": self.reason.id}),
        ):
            with self.assertRaises(AccessError, msg=model):
                env[model].create(vals)
        with self.assertRaises(AccessError):
            self.promise.with_env(env).action_cancel()
        with self.assertRaises(AccessError):
            self.dispute.with_env(env).action_reject()
        partner = self.customer.with_env(env)
        for vals in (
            {"dunning_reminder_mode": "manual"},
            {"dunning_postpone_until": date(2026, 9, 1), "dunning_postpone_reason": "Me"},
            {"dunning_is_consumer": True},
        ):
            with self.assertRaises(AccessError, msg=str(vals)):
                partner.write(vals)
        with self.assertRaises(AccessError):
            partner.read(["dunning_overdue_amount"])
        # The collectors' free-text notes on the customer and its invoices stay theirs,
        # though the portal user reads both records.
        self.customer.write(
            {
                "dunning_excluded": True,
                "dunning_exclusion_reason": "Director is a friend of ours",
                "dunning_postpone_until": date(2026, 9, 1),
                "dunning_postpone_reason": "Says the bank is slow",
            }
        )
        self.inv_free.write({"dunning_excluded": True, "dunning_exclusion_reason": "Goodwill"})
        self.assertEqual(partner.read(["name"])[0]["name"], self.customer.name)
        self.inv_free.with_env(env).read(["name"])
        for record, field in (
            (partner, "dunning_exclusion_reason"),
            (partner, "dunning_postpone_reason"),
            (self.inv_free.with_env(env), "dunning_exclusion_reason"),
        ):
            with self.assertRaises(AccessError, msg=field):
                record.read([field])
        # Even its own customer's statement is not printed through RPC (the portal
        # shows invoices its own way).
        with self.assertRaises(AccessError):
            env["ir.actions.report"]._render_qweb_html(
                "account_dunning.report_dunning_statement", self.customer.ids
            )
        with self.assertRaises(AccessError):
            self.inv_free.with_env(env).write({"dunning_stage": "dispute"})
        self.assertEqual(self.customer.with_company(self.company).dunning_reminder_mode, False)
