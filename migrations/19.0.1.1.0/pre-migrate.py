"""Run lines keep their invoices in ``move_id_list`` (jsonb) instead of the relation
table ``dunning_run_line_account_move_rel``: carried over, then the table dropped (an
update leaves the table of a removed field behind, stale)."""


def migrate(cr, version):
    cr.execute("SELECT to_regclass('dunning_run_line_account_move_rel')")
    if not cr.fetchone()[0]:
        return
    cr.execute("ALTER TABLE dunning_run_line ADD COLUMN IF NOT EXISTS move_id_list jsonb")
    cr.execute(
        """
        UPDATE dunning_run_line line
           SET move_id_list = listed.move_ids
          FROM (SELECT line_id, jsonb_agg(move_id ORDER BY move_id) AS move_ids
                  FROM dunning_run_line_account_move_rel
                 GROUP BY line_id) AS listed
         WHERE listed.line_id = line.id
        """
    )
    cr.execute("DROP TABLE dunning_run_line_account_move_rel")
    cr.execute("DELETE FROM ir_model_relation WHERE name = 'dunning_run_line_account_move_rel'")
