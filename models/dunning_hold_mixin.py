from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command


class DunningHoldMixin(models.AbstractModel):
    """What holds invoices out of the ladder: a promise to pay, a dispute, a payment plan,
    a hand-off to an agency or a lawyer. One life for all of them:

    - opening puts the invoices in the hold's stage; an invoice is held by one open hold
      at a time: a new hold ends the one it supersedes (a hand-off ends a promise and a
      plan, a plan or a dispute ends a promise), with an event, or is refused with a
      message that names the hold in the way;
    - closing returns the invoices still in the hold's stage to the ladder (Normal);
    - one event layout, one "open records" action, one delete guard.

    A model sets ``_dunning_hold_stage`` (or overrides ``_dunning_hold_stage_of``),
    ``_dunning_hold_open_states``, ``_dunning_hold_channel``, ``_dunning_hold_event_field``
    (its link on dunning.event), ``_dunning_hold_action`` (its window action) and
    ``_dunning_hold_yields_to`` (the models whose opening ends it).
    """

    _name = "dunning.hold.mixin"
    _description = "Collections Hold"

    _dunning_hold_stage = None
    _dunning_hold_open_states = ("open",)
    _dunning_hold_channel = "note"
    _dunning_hold_event_field = None
    _dunning_hold_action = None
    _dunning_hold_yields_to = ()
    # Records in these states may be deleted; the others hold invoices or are history.
    _dunning_hold_deletable_states = ()
    # The date a hold ends on.
    _dunning_hold_end_field = "date_end"
    # The email confirming an opened hold to the customer (a mail.template on
    # dunning.event), when the policy confirms holds; None: not confirmed.
    _dunning_hold_confirm_template = None

    # ------------------------------------------------------------------ CRUD

    @api.ondelete(at_uninstall=False)
    def _unlink_except_holding(self):
        # Deleted while holding, its invoices would stay out of the ladder; closed, it is
        # part of the history.
        for hold in self.filtered(lambda h: h.state not in h._dunning_hold_deletable_states):
            raise UserError(
                self.env._(
                    "%(hold)s holds invoices out of the collections ladder or is part of "
                    "their history: end it through its flow (cancel, settle, return) "
                    "instead of deleting it.",
                    hold=hold.display_name,
                )
            )

    # --------------------------------------------------------------- actions

    def _dunning_open_action(self):
        """The window action on these records: the form of one, the list of several."""
        action = self.env["ir.actions.act_window"]._for_xml_id(self._dunning_hold_action)
        if len(self) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=self.id)
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    # -------------------------------------------------------------- business

    def _dunning_hold_is_open(self):
        self.ensure_one()
        return self.state in self._dunning_hold_open_states

    def _dunning_hold_stage_of(self):
        """The collections stage of the invoices this hold holds."""
        self.ensure_one()
        return self._dunning_hold_stage

    def _dunning_hold_moves(self):
        """The invoices this hold holds now (those of its invoices still in its stage)."""
        moves = self.env["account.move"]
        for hold in self:
            stage = hold._dunning_hold_stage_of()
            moves |= hold.move_ids.filtered(lambda move, stage=stage: move.dunning_stage == stage)
        return moves

    @api.model
    def _dunning_hold_models(self):
        """Every model that holds invoices (inherits this mixin)."""
        return [
            name
            for name in self.env.registry.descendants(["dunning.hold.mixin"], "_inherit")
            if not self.env[name]._abstract
        ]

    @api.model
    def _dunning_open_holds(self, moves):
        """The open holds of any kind on ``moves``, as a list of recordsets."""
        holds = []
        for name in self._dunning_hold_models():
            Model = self.env[name].sudo()  # sudo: which holds exist, to name them
            found = Model.search(
                [
                    ("move_ids", "in", moves.ids),
                    ("state", "in", list(Model._dunning_hold_open_states)),
                ]
            )
            if found:
                holds.append(found.with_env(self.env))
        return holds

    def _dunning_hold_conflicts(self, moves):
        """The open holds on ``moves`` that this kind of hold ends when it opens; raises a
        UserError naming the others, which refuse it."""
        ending = []
        for found in self._dunning_open_holds(moves):
            other = found - self if found._name == self._name else found
            if not other:
                continue
            if self._name not in other._dunning_hold_yields_to:
                raise UserError(
                    self.env._(
                        "%(invoices)s: already held by %(hold)s. End it first (a promise "
                        "is cancelled, a dispute settled, a plan cancelled or "
                        "renegotiated, a case returned).",
                        invoices=", ".join((other.move_ids & moves).mapped("name")),
                        hold=", ".join(f"{rec._description} {rec.display_name}" for rec in other),
                    )
                )
            ending.append(other)
        return ending

    def _dunning_hold_open(self):
        """Put the invoices of these holds in their stage, after ending the holds they
        supersede and refusing those they cannot. Call on new or activated holds."""
        for hold in self:
            if "contact_id" in hold._fields:
                hold.contact_id._dunning_check_contact_of(hold.partner_id)
            for other in hold._dunning_hold_conflicts(hold.move_ids):
                # sudo: the hold the user opens ends the one it supersedes, whoever
                # recorded that one; only its flow fields change, logged.
                other.sudo()._dunning_hold_yield(hold)
            hold.move_ids._dunning_set_stage(hold._dunning_hold_stage_of())

    def _dunning_hold_yield(self, hold):
        """End these holds because ``hold`` takes their invoices over (logged)."""
        self._dunning_hold_close(
            "cancelled",
            reason=self.env._(
                "Ended: its invoices go to %(hold)s.",
                hold=f"{hold._description} {hold.display_name}",
            ),
        )

    def _dunning_hold_close(self, state, day=None, reason=None):
        """End these holds in ``state`` on ``day``: their invoices still in the hold's
        stage go back to the ladder at the level they have (a flow that sets another
        level does so itself). Logged with ``reason`` when given."""
        if not self:
            return self.env["dunning.event"]
        day = day or fields.Date.context_today(self)
        self.check_access("write")
        released = self._dunning_hold_moves()
        # sudo: the state of a hold follows its flow only (refused to people by its
        # write()); this is that flow, for those who may write these records.
        self.sudo().write({"state": state, self._dunning_hold_end_field: day})
        released._dunning_set_stage("normal")
        if reason is None:
            return self.env["dunning.event"]
        return self._dunning_hold_log(dict.fromkeys(self, reason), day=day)

    def _dunning_hold_log(self, reasons, day=None, **values):
        """One event per hold ({hold: reason}), in the hold's layout: its customer, its
        invoices and what they owe, its channel and link. ``values`` add or override
        fields (a {hold: value} dict per field, or one value for all)."""
        vals_list = []
        for hold in self:
            moves = hold.move_ids
            vals = {
                "date": day or fields.Date.context_today(self),
                "company_id": hold.company_id.id,
                "partner_id": hold.partner_id.commercial_partner_id.id,
                "move_ids": [Command.set(moves.ids)],
                "channel": self._dunning_hold_channel,
                "state": "done",
                "reason": reasons[hold],
                "amount_residual": moves._dunning_owed(),
            }
            if self._dunning_hold_event_field:
                vals[self._dunning_hold_event_field] = hold.id
            for key, given in values.items():
                value = given.get(hold) if isinstance(given, dict) else given
                if isinstance(value, models.BaseModel):
                    value = value.id
                if value is not None:
                    vals[key] = value
            vals_list.append(vals)
        return self.env["dunning.engine"]._log(vals_list)

    def _dunning_hold_confirm(self):
        """Confirm opened holds to the customer by email through the gateway: what was
        noted and that the reminders on those invoices pause. To the hold's contact (who
        promised or disputed) or the customer's accounts-payable contact; each is its own
        event. It answers the customer's own request, so it goes even when the customer
        heard from us today (logged); an opt-out or a missing address shows on the event
        as for any message."""
        template = self._dunning_hold_confirm_template and self.env.ref(
            self._dunning_hold_confirm_template, raise_if_not_found=False
        )
        holds = self.filtered(
            lambda hold: (policy := hold._dunning_hold_policy()) and policy.confirm_holds
        )
        if not template or not holds:
            return self.env["dunning.event"]
        engine = self.env["dunning.engine"]
        contacts = {
            hold: hold.contact_id
            or hold.partner_id.with_company(hold.company_id)._dunning_get_contact()
            for hold in holds
        }
        events = holds._dunning_hold_log(
            {hold: hold._dunning_hold_confirm_reason() for hold in holds},
            channel="email",
            contact_id=contacts,
        )
        engine._deliver(
            [
                {
                    "channel": "email",
                    "event": event,
                    "customer": hold.partner_id.commercial_partner_id,
                    "contact": contacts[hold],
                    "template": template,
                    "thread": hold,
                    "policy": hold._dunning_hold_policy(),
                    "company": hold.company_id,
                    "override": self.env._(
                        "Sent although the customer already got a message from us today: "
                        "it confirms what they told us."
                    ),
                }
                for hold, event in zip(holds, events, strict=True)
            ]
        )
        return events

    def _dunning_hold_confirm_reason(self):
        self.ensure_one()
        return self.env._(
            "Confirmation of %(hold)s sent to the customer.",
            hold=f"{self._description} {self.display_name}",
        )

    def _dunning_hold_policy(self):
        self.ensure_one()
        return self.partner_id.with_company(self.company_id)._dunning_get_policy()
