from odoo.tools import SQL


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


def uninstall_hook(env):
    """Drop the module's "on delete restrict" foreign keys before Odoo removes its data.

    Records that the module creates at run time (the default ladder of each company,
    events, cases) are not module data: they go with their tables, which Odoo drops
    last. Before that, Odoo deletes the module's data records (mail templates, demo
    customers), which those rows still reference with ON DELETE RESTRICT: each delete
    fails, is logged as an ERROR and retried after the tables are gone. The tables are
    about to be dropped, so their restricting constraints can go first.
    """
    tables = {
        model._table
        for model in env.registry.values()
        if model._original_module == "account_dunning" and model._auto and not model._abstract
    }
    env.cr.execute(
        """
        SELECT rel.relname, con.conname
          FROM pg_constraint con
          JOIN pg_class rel ON rel.oid = con.conrelid
         WHERE con.contype = 'f' AND con.confdeltype = 'r' AND rel.relname = ANY(%s)
        """,
        [sorted(tables)],
    )
    for table, constraint in env.cr.fetchall():
        env.cr.execute(
            SQL(
                "ALTER TABLE %s DROP CONSTRAINT %s",
                SQL.identifier(table),
                SQL.identifier(constraint),
            )
        )
