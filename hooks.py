from odoo.tools import SQL, sql


def pre_init_hook(env):
    """Create the stored computed columns the module adds to Odoo's own tables before
    Odoo does: a column Odoo creates for a computed field is computed for every row at
    once (every journal entry of a large book, with its lines, in memory). Filled here in
    SQL (a customer is a consumer unless a company) or in chunks after install (the next
    step of the open invoices, see post_init_hook)."""
    cr = env.cr
    if not sql.column_exists(cr, "account_move", "dunning_next_date"):
        sql.create_column(cr, "account_move", "dunning_next_date", "date")
    if not sql.column_exists(cr, "res_partner", "dunning_is_consumer"):
        sql.create_column(cr, "res_partner", "dunning_is_consumer", "boolean")
        cr.execute("UPDATE res_partner SET dunning_is_consumer = NOT COALESCE(is_company, FALSE)")


def post_init_hook(env):
    """Give every existing company its default policy (new ones get it on create), then
    compute the next step of the open invoices, which had no policy when the column
    was added: in chunks whose cache is dropped between them (no memory spike on a large
    book)."""
    companies = env["res.company"].search([])
    companies._dunning_ensure_default_policy()
    companies._dunning_propose_bad_debt_account()
    env["account.move"]._dunning_recompute_next_dates()


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
