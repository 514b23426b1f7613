def post_init_hook(env):
    """Give every existing company its default policy (new ones get it on create), then
    compute the next step of the open invoices, which had no policy when the column
    was added."""
    companies = env["res.company"].search([])
    companies._dunning_ensure_default_policy()
    companies._dunning_propose_bad_debt_account()
    open_invoices = env["account.move"].search(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
    )
    env.add_to_compute(env["account.move"]._fields["dunning_next_date"], open_invoices)
    open_invoices._recompute_recordset(["dunning_next_date"])
