from odoo import models
from odoo.exceptions import AccessError

from ..tools.authority import ACTIONS, AUTHORITY, may_act, may_write


class DunningAuthorityError(AccessError):
    """A field refused by the authority table (tools/authority.py)."""


class DunningAuthorityMixin(models.AbstractModel):
    """Who may write what (tools/authority.py), in the ORM's own field check: create
    and write, over RPC as in the forms, which show refused fields read-only."""

    _name = "dunning.authority.mixin"
    _description = "Collections: Write Authority"

    def _has_field_access(self, field, operation):
        if operation == "write" and not self._dunning_may_write(field.name):
            return False
        return super()._has_field_access(field, operation)

    def _check_field_access(self, field, operation):
        if operation == "write" and not self._dunning_may_write(field.name):
            raise DunningAuthorityError(self._dunning_refusal(field))
        return super()._check_field_access(field, operation)

    def _dunning_flow_write(self, vals):
        """Write what the table leaves to the flows (a state, a run's progress, a case
        file), from the flow that checked the request on these records."""
        self.check_access("read")
        # sudo: the calling flow (an action, the run, a wizard) checked what the user
        # asked for; these are its own bookkeeping fields, on records the user reads.
        return self.sudo().write(vals)

    def _dunning_check_action(self, action):
        """Refuse ``action`` (a button of a flow) to those the table (ACTIONS) does not
        allow it, and to those who may not write these records."""
        if not may_act(self._name, action, self._dunning_role()):
            model = self.env["ir.model"]._get(self._name).name
            if ACTIONS[self._name][action] == "manager":
                raise DunningAuthorityError(
                    self.env._("Only a collections manager can do this on %(model)s.", model=model)
                )
            raise DunningAuthorityError(
                self.env._("Only collections users can do this on %(model)s.", model=model)
            )
        self.check_access("write")

    def _dunning_may_write(self, field_name):
        rule = AUTHORITY.get(self._name, {}).get(field_name)
        # The ORM checks the fields of a create() on the empty model, of a write() on
        # the records.
        return rule is None or may_write(rule, self._dunning_role(), creating=not self)

    def _dunning_role(self):
        if self.env.su:
            return "flow"
        user = self.env.user
        if user.has_group("account_dunning.group_dunning_manager"):
            return "manager"
        if user.has_group("account_dunning.group_dunning_user"):
            return "user"
        return None

    def _dunning_refusal(self, field):
        rule = AUTHORITY[self._name][field.name]
        creating = not self
        needed = rule[0] if creating else rule[1]
        label = field._description_string(self.env)
        model = self.env["ir.model"]._get(self._name).name
        if needed == "manager":
            return self.env._(
                "Only a collections manager can set %(field)s of %(model)s.",
                field=label,
                model=model,
            )
        if needed == "user":
            return self.env._(
                "Only collections users can set %(field)s of %(model)s.", field=label, model=model
            )
        if not creating and rule[0]:
            return self.env._(
                "%(field)s of %(model)s is set when it is created; afterwards only its flow "
                "changes it (its buttons).",
                field=label,
                model=model,
            )
        return self.env._(
            "%(field)s of %(model)s is written by the collections flows only (the run, the "
            "buttons and wizards), never by hand.",
            field=label,
            model=model,
        )
