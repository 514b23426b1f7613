"""The authority table (tools/authority.py), walked: every writable field of the module
has a rule, and six kinds of user try to create, write (plain values and relational
commands) and delete every model over with_user(), as JSON-RPC would; each outcome must
be what the table, the access rights and the company rules say."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.dunning_authority_mixin import DunningAuthorityError
from ..tools.authority import AUTHORITY, RULE_NAMES, may_write
from .common import DunningRunCommon

MAGIC = {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date"}
# Odoo's own mixins on our models (chatter, activities, portal access): theirs to guard.
FOREIGN_MODULES = {"mail", "portal", "base"}
# A collector controls a customer's reminders without the right to edit contacts
# (res.partner.write): these fields go through whenever the user reads the customer.
COLLECTOR_CONTROLS = {"dunning_reminder_mode", "dunning_postpone_until", "dunning_postpone_reason"}


class _Undone(Exception):
    """Raised to roll an accepted attempt back."""


def _module_models(env):
    return sorted(
        name
        for name in env.registry
        if name.startswith("dunning.")
        and not env[name]._abstract
        and not env[name]._transient
        and env[name]._auto
    )


def _writable_fields(model, own_module_only=False):
    names = []
    for name, field in model._fields.items():
        if name in MAGIC or (field.compute and not field.inverse and field.readonly):
            continue
        if field.related and field.readonly:
            continue
        if own_module_only and field._module != "account_dunning":
            continue
        if not own_module_only and field._module in FOREIGN_MODULES:
            continue
        names.append(name)
    return names


@tagged("post_install", "-at_install")
class TestAuthorityTable(DunningRunCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_b = cls.setup_other_company(name="Authority B")["company"]
        cls.roles = {
            "portal": cls._dunning_user("auth_portal", "base.group_portal"),
            "internal": cls._dunning_user("auth_internal", "base.group_user"),
            "billing": cls._dunning_user("auth_billing", "account.group_account_invoice"),
            "collections user": cls._dunning_user(
                "auth_collector", "base.group_user,account_dunning.group_dunning_user"
            ),
            "collections manager": cls._dunning_user(
                "auth_manager", "base.group_user,account_dunning.group_dunning_manager"
            ),
            "manager of another company": cls._dunning_user(
                "auth_manager_b",
                "base.group_user,account_dunning.group_dunning_manager",
                company=company_b,
            ),
        }
        cls.samples = cls._make_samples()

    @classmethod
    def _make_samples(cls):
        env = cls.env(su=True)
        invoice = cls._dunning_invoice(500.0, "2026-01-01")
        paid = cls._dunning_invoice(300.0, "2026-01-01")
        cls._dunning_pay(paid, 300.0, pay_date=date(2026, 1, 10))
        charge = cls._dunning_invoice(12.0, "2026-02-01")
        level = cls.levels[2]
        lawyer = env["res.partner"].create({"name": "Lawyer", "dunning_is_agency": True})
        run = env["dunning.run"].create({"company_id": cls.company.id})
        line = env["dunning.run.line"].create(
            {
                "run_id": run.id,
                "partner_id": cls.customer.id,
                "policy_id": cls.policy.id,
                "level_id": level.id,
                "move_ids": [Command.set(invoice.ids)],
            }
        )
        event = env["dunning.engine"]._log(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "channel": "email",
                "move_ids": [Command.set(invoice.ids)],
                "run_id": run.id,
                "run_line_id": line.id,
            }
        )
        promise = env["dunning.promise"].create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 100.0,
                "date_promised": date(2026, 12, 31),
            }
        )
        dispute = env["dunning.dispute"].create(
            {
                "partner_id": cls.customer.id,
                "move_ids": [Command.set(charge.ids)],
                "reason_id": env.ref("account_dunning.dispute_reason_price").id,
            }
        )
        plan = env["dunning.payment.plan"].create(
            {
                "partner_id": cls.customer.id,
                "currency_id": cls.company.currency_id.id,
                "installment_ids": [
                    Command.create({"date_due": date(2026, 12, 31), "amount": 100.0})
                ],
            }
        )
        case = env["dunning.case"].create(
            {"partner_id": cls.customer.id, "handoff_type": "legal", "agency_id": lawyer.id}
        )
        partial = paid.line_ids.matched_credit_ids[:1]
        recovery = env["dunning.case.recovery"].create(
            {
                "case_id": case.id,
                "move_id": paid.id,
                "partial_id": partial.id,
                "payment_move_id": partial.credit_move_id.move_id.id,
                "date": date(2026, 1, 10),
                "currency_id": cls.company.currency_id.id,
            }
        )
        late_charge = env["dunning.late.charge"].create(
            {
                "move_id": invoice.id,
                "charge_move_id": charge.id,
                "date_from": date(2026, 1, 2),
                "date_to": date(2026, 1, 31),
            }
        )
        rate = env["dunning.reference.rate"].create(
            {"rule": "ecb_mro", "date_from": date(2026, 1, 1), "rate": 2.0}
        )
        return {
            "dunning.policy": cls.policy,
            "dunning.level": level,
            "dunning.level.step": level.step_ids[:1],
            "dunning.dispute.reason": env.ref("account_dunning.dispute_reason_price"),
            "dunning.reference.rate": rate,
            "dunning.event": event,
            "dunning.run": run,
            "dunning.run.line": line,
            "dunning.promise": promise,
            "dunning.dispute": dispute,
            "dunning.payment.plan": plan,
            "dunning.payment.plan.installment": plan.installment_ids[:1],
            "dunning.case": case,
            "dunning.case.recovery": recovery,
            "dunning.late.charge": late_charge,
            "account.move": invoice,
            "res.partner": cls.customer,
        }

    # ---------------------------------------------------------------- helpers

    def _role(self, user):
        if user.has_group("account_dunning.group_dunning_manager"):
            return "manager"
        if user.has_group("account_dunning.group_dunning_user"):
            return "user"
        return None

    def _refused(self, call, by_table_only=False):
        """Whether ``call`` is refused for want of rights (anything else it raises is a
        business rule, past the authority check); ``by_table_only``: refused by the
        authority table itself. Undone either way, so that every attempt starts from
        the same records."""
        try:
            with self.env.cr.savepoint():
                call()
                raise _Undone
        except AccessError as error:
            self._last_refusal = str(error).splitlines()[0]
            return isinstance(error, DunningAuthorityError) or not by_table_only
        except Exception:  # _Undone, or a business refusal: not an access refusal
            return False

    def _acl(self, user, model, operation):
        return self.env["ir.model.access"].with_user(user).check(model, operation, False)

    def _value_commands(self, record, name):
        field = record._fields[name]
        value = record.sudo()[name]
        if field.type == "many2many":
            commands = [[Command.set(value.ids)], [Command.clear()]]
            if value:
                commands.append([Command.link(value[:1].id)])
            return commands
        if field.type == "one2many":  # the lines' own fields are their model's rules
            return [[Command.update(value[:1].id, {})] if value else []]
        return [field.convert_to_write(value, record)]

    def _reads_comodel(self, user, field):
        """A relational field is written with the records it points to, which the user
        must be able to read (Odoo's access rights on the other model)."""
        return not field.relational or self._acl(user, field.comodel_name, "read")

    # ------------------------------------------------------------------ tests

    def test_every_writable_field_has_a_rule(self):
        missing, unknown = [], []
        for model in _module_models(self.env):
            if model in ("dunning.kpi.report", "dunning.template.report"):
                continue  # reports read from SQL views
            declared = AUTHORITY.get(model, {})
            fields_ = _writable_fields(self.env[model])
            missing += [f"{model}.{name}" for name in fields_ if name not in declared]
            unknown += [
                f"{model}.{name}" for name in declared if name not in self.env[model]._fields
            ]
        for model in ("account.move", "res.partner"):
            declared = AUTHORITY[model]
            fields_ = _writable_fields(self.env[model], own_module_only=True)
            missing += [f"{model}.{name}" for name in fields_ if name not in declared]
            unknown += [
                f"{model}.{name}" for name in declared if name not in self.env[model]._fields
            ]
        self.assertFalse(missing, "fields without a rule in tools/authority.py")
        self.assertFalse(unknown, "rules for fields that do not exist")
        self.assertEqual(set(self.samples), set(AUTHORITY), "a sample record per model")

    def test_walk_the_table(self):
        mismatches, attempts = [], 0
        for role_name, user in self.roles.items():
            role = self._role(user)
            for model, rules in AUTHORITY.items():
                record = self.samples[model]
                as_user = record.with_user(user)
                readable = bool(record.with_user(user)._filtered_access("write")) and (
                    self._acl(user, model, "read")
                )
                sees = self._acl(user, model, "read") and bool(
                    record.with_user(user)._filtered_access("read")
                )
                for name, rule in rules.items():
                    # write, plain and relational
                    allowed = (
                        self._acl(user, model, "write")
                        and readable
                        and may_write(rule, role, creating=False)
                        and self._reads_comodel(user, record._fields[name])
                    )
                    if model == "res.partner" and name in COLLECTOR_CONTROLS and role and sees:
                        allowed = True
                    for value in self._value_commands(record, name):
                        attempts += 1
                        refused = self._refused(lambda r=as_user, n=name, v=value: r.write({n: v}))
                        if refused == allowed:
                            mismatches.append(
                                f"{role_name} write {model}.{name} ({RULE_NAMES[rule]}): "
                                f"{'refused: ' + self._last_refusal if refused else 'accepted'}"
                            )
                    # create, with this field given
                    # A record made of one field fails on the others (required, company)
                    # after the field check: what is asserted is the table's own answer,
                    # with the access rights (checked first) when they refuse.
                    acl = self._acl(user, model, "create")
                    allowed = acl and may_write(rule, role, creating=True)
                    vals = {name: self._value_commands(record, name)[0]}
                    if model == "dunning.run":  # a person's run is for chosen customers
                        vals["partner_ids"] = [Command.set(self.customer.ids)]
                    attempts += 1
                    refused = self._refused(
                        lambda m=model, v=vals, u=user: self.env[m].with_user(u).create(v),
                        by_table_only=acl,
                    )
                    if refused == allowed:
                        mismatches.append(
                            f"{role_name} create {model} with {name} ({RULE_NAMES[rule]}): "
                            f"{'refused: ' + self._last_refusal if refused else 'accepted'}"
                        )
                if model in ("account.move", "res.partner"):
                    continue  # Odoo's own records: deleting them is Odoo's rule
                allowed = self._acl(user, model, "unlink") and readable
                attempts += 1
                refused = self._refused(lambda r=as_user: r.unlink())
                if refused == allowed:
                    mismatches.append(
                        f"{role_name} unlink {model}: {'refused' if refused else 'accepted'}"
                    )
        self.assertGreater(attempts, 2000)
        self.assertFalse(mismatches, "\n".join(mismatches))
