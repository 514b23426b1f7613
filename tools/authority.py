"""Who may write what: one table for every model of the module, and for the module's
fields on invoices and partners. Enforced by dunning.authority.mixin in the ORM's own
field check (create and write, relational commands included), so it holds over JSON-RPC
and XML-RPC as in the forms, which show what a user may not write read-only.

A rule is (who may set the field when creating the record, who may change it after):
"user" (a collections user, or a manager), "manager" (a collections manager), or None
(only the module's flows: the engine, the actions and wizards once they checked the
request, the scheduled actions, through sudo). Every writable field of the module has a
rule: tests/test_authority_table.py walks the table and fails on a field without one."""

USER = ("user", "user")
MANAGER = ("manager", "manager")
CREATE = ("user", None)  # set when the record is made, then only its flow changes it
CREATE_MANAGER = ("manager", None)
CREATE_THEN_MANAGER = ("user", "manager")
FLOW = (None, None)

RULE_NAMES = {
    USER: "user",
    MANAGER: "manager",
    CREATE: "create",
    CREATE_MANAGER: "create (manager)",
    CREATE_THEN_MANAGER: "create, then manager",
    FLOW: "flow",
}

_DECLARED = {
    "dunning.policy": {
        MANAGER: """name sequence active company_id level_ids minimum_amount execution_mode
            min_days_between_steps skip_predue_for_good_payers start_at_matching_level
            email_from reply_to email_cc attach_invoice_pdf default_collector_id
            send_thank_you confirm_holds promise_grace_days call_max_attempts_7d
            call_quiet_days_after_conversation handoff_credit_hold handoff_notify_customer
            handoff_notice_template_id handoff_followup_days reply_pause_days late_charge_rule
            late_charge_rate late_charge_product_id contact_hour_start contact_hour_end
            email_min_days portal_self_service portal_link_days portal_promise_max_days
            portal_promise_min_share portal_promise_renewals
            portal_plan_max_months portal_plan_min_installment
            portal_plan_max_balance portal_plan_first_date_max_days
            portal_max_actions_per_hour""",
    },
    "dunning.level": {
        MANAGER: """policy_id sequence name delay_days tone step_ids send_email
            mail_template_id create_call call_activity_type_id call_assignee call_user_id
            call_script send_letter propose_handoff letter_deadline_days show_late_charges
            send_sms sms_template_id attach_statement mail_template_variant_id""",
    },
    "dunning.level.step": {MANAGER: "level_id sequence kind"},
    "dunning.dispute.reason": {MANAGER: "name sequence active description"},
    "dunning.reference.rate": {MANAGER: "rule date_from rate note"},
    # The history: written by the engine only.
    "dunning.event": {
        FLOW: """date company_id partner_id contact_id move_ids credit_line_ids level_id
            run_id run_line_id payment_plan_id promise_id dispute_id call_outcome channel
            is_customer_message state reason amount_residual user_id collector_id
            attachment_id template_variant message_id activity_id""",
    },
    # A person asks for a run of today (all customers, or chosen ones); what it plans,
    # its date and its progress are the engine's.
    "dunning.run": {
        CREATE: "company_id",
        CREATE_THEN_MANAGER: "partner_ids",
        CREATE_MANAGER: "force",
        FLOW: "date state trigger line_ids event_ids error_message",
    },
    "dunning.run.line": {
        FLOW: """run_id partner_id contact_id email_to policy_id level_id move_ids
            move_id_list credit_line_ids step_data amount collector_id state skip_reason
            note event_ids step_kinds message_edit""",
    },
    "dunning.promise": {
        CREATE: "company_id partner_id contact_id move_ids currency_id date_start call_event_id",
        USER: "amount date_promised user_id note",
        FLOW: "state date_end event_ids",
    },
    "dunning.dispute": {
        CREATE: "company_id partner_id contact_id move_ids date_start call_event_id",
        USER: "reason_id user_id note date_expected",
        FLOW: "state date_end overdue_notified_date event_ids",
    },
    # Its invoices and installments change while it is a draft (checked by the plan);
    # its state only through its buttons.
    "dunning.payment.plan": {
        CREATE: "company_id partner_id contact_id currency_id name",
        USER: """move_ids installment_ids interval date_start user_id tolerance_days
            reminder_days_before settlement_discount""",
        FLOW: "access_token state date_end event_ids reconcile_mark",
    },
    "dunning.payment.plan.installment": {
        CREATE: "plan_id",
        USER: "sequence date_due amount is_down_payment",
        FLOW: "amount_paid state reminder_before_date reminder_late_date",
    },
    "dunning.case": {
        CREATE: """name company_id partner_id handoff_type move_ids date amount_handed_off
            state""",
        CREATE_THEN_MANAGER: "agency_id commission_rate",
        USER: "reference user_id note",
        FLOW: """date_returned recovery_ids writeoff_move_ids commission_bill_ids
            case_file_pdf_id case_file_csv_id""",
    },
    "dunning.case.recovery": {
        FLOW: """case_id move_id partial_id payment_move_id date currency_id amount_currency
            amount commission_amount bill_line_id""",
    },
    # Recorded by the Charge Late Fees wizard only, with what it computed: a charge
    # written by hand ("charged until 2099") would stop every later charge.
    "dunning.late.charge": {
        FLOW: "move_id charge_move_id date_from date_to interest compensation rule",
    },
    # The module's fields on invoices: the ladder's bookkeeping is the run's (a manager
    # may correct it), holds and history are their flows'.
    "account.move": {
        USER: "dunning_excluded dunning_exclusion_reason",
        MANAGER: "dunning_level_id dunning_last_date",
        CREATE_MANAGER: """dunning_writeoff_invoice_id dunning_writeoff_event_id
            dunning_writeoff_case_id dunning_commission_case_id""",
        FLOW: """dunning_stage dunning_event_ids dunning_case_ids dunning_payment_plan_ids
            dunning_thanked dunning_promise_ids dunning_dispute_ids dunning_late_charge_ids""",
    },
    # On customers and agencies: the collections settings are the collectors', the
    # decisions (exclusion, credit hold, an agency's terms) a manager's.
    "res.partner": {
        USER: """dunning_policy_id dunning_collector_id dunning_contact_id
            dunning_reminder_mode dunning_postpone_until dunning_postpone_reason
            dunning_email_opt_out dunning_email_is_workplace dunning_is_consumer
            dunning_statement_monthly""",
        MANAGER: """dunning_credit_hold dunning_excluded dunning_exclusion_reason
            dunning_is_agency dunning_agency_commission dunning_agency_email""",
        FLOW: "dunning_statement_last_date dunning_priority",
    },
}

# Who may take a flow's decision with its button (the flow then writes its own fields):
# "user" (a collections user, or a manager) or "manager". Enforced by
# dunning.authority.mixin._dunning_check_action.
ACTIONS = {
    "dunning.payment.plan": {
        # A plan asked for online outside the policy's limits: approving agrees to what
        # a collector may agree with the payment plan wizard anyway; rejecting leaves
        # the invoices as they were before the request.
        "action_approve": "user",
        "action_reject": "user",
        # Ending an agreed plan without the customer: a manager's decision.
        "action_cancel": "manager",
    },
}

AUTHORITY = {
    model: {name: rule for rule, names in rules.items() for name in names.split()}
    for model, rules in _DECLARED.items()
}


def may_write(rule, role, creating):
    """Whether ``role`` ("flow", "manager", "user" or None) may write a field of
    ``rule`` when creating the record or afterwards."""
    if role == "flow":
        return True
    needed = rule[0] if creating else rule[1]
    if needed is None or role is None:
        return False
    return needed == role or (needed == "user" and role == "manager")


def may_act(model, action, role):
    """Whether ``role`` ("flow", "manager", "user" or None) may take ``action`` of
    ``model`` (ACTIONS)."""
    if role == "flow":
        return True
    needed = ACTIONS[model][action]
    return role is not None and (needed == role or (needed == "user" and role == "manager"))
