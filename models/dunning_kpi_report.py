from odoo import fields, models, tools
from odoo.tools import SQL

# Countback DSO looks back over the sales of this many months (the current one included).
COUNTBACK_MONTHS = 12

# Figures that are ratios: computed from the sums of their parts for any grouping, never
# summed or averaged themselves (see _read_group_select).
RATIO_FIELDS = ("dso", "best_dso", "add_days", "cei", "promise_kept_rate")
# Figures that are balances at the end of a month: a group of months shows its last
# month (its first for the opening balance), summed over collectors, never over months.
BALANCE_FIELDS = (
    "amount_open",
    "amount_not_due",
    "amount_overdue",
    "amount_overdue_1_30",
    "amount_overdue_31_60",
    "amount_overdue_61_90",
    "amount_overdue_90",
    "amount_open_begin",
)


def _countback(balance, sales, days):
    """SQL of the countback DSO of ``balance`` against the monthly ``sales`` (this
    month first, then back) of ``days`` days each: whole months are counted back while
    the balance exceeds their sales, then the share of the month that absorbs the rest.
    Months with no (or negative) sales are passed over, their days counted; beyond
    COUNTBACK_MONTHS the result is capped at their days."""
    branches, done_sales, done_days = [], SQL("0"), SQL("0")
    for sale, day in zip(sales, days, strict=True):
        positive = SQL("GREATEST(%s, 0)", sale)
        cumulated = SQL("(%s + %s)", done_sales, positive)
        branches.append(
            SQL(
                "WHEN %(sale)s > 0 AND %(balance)s <= %(cumulated)s THEN "
                "%(done_days)s + (%(balance)s - %(done_sales)s) / %(sale)s * %(day)s",
                sale=positive,
                balance=balance,
                cumulated=cumulated,
                done_days=done_days,
                done_sales=done_sales,
                day=day,
            )
        )
        done_sales, done_days = cumulated, SQL("(%s + %s)", done_days, day)
    return SQL(
        "(CASE WHEN %s <= 0 THEN 0 %s ELSE %s END)::numeric",
        balance,
        SQL(" ").join(branches),
        done_days,
    )


class DunningKpiReport(models.Model):
    """Collections KPIs per company, collector and month (a SQL view).

    Every amount is in the company's currency. The collector is the customer's, else
    its policy's default collector (empty: nobody). Formulas: readme/USAGE.md.
    """

    _name = "dunning.kpi.report"
    _description = "Collections KPIs"
    _auto = False
    _order = "date desc, company_id, user_id"
    _rec_name = "date"

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    amount_open = fields.Monetary(string="Receivables", readonly=True)
    amount_not_due = fields.Monetary(string="Not Due", readonly=True)
    amount_overdue = fields.Monetary(string="Overdue", readonly=True)
    amount_overdue_1_30 = fields.Monetary(string="Overdue 1-30", readonly=True)
    amount_overdue_31_60 = fields.Monetary(string="Overdue 31-60", readonly=True)
    amount_overdue_61_90 = fields.Monetary(string="Overdue 61-90", readonly=True)
    amount_overdue_90 = fields.Monetary(string="Overdue 90+", readonly=True)
    amount_open_begin = fields.Monetary(string="Receivables at Start", readonly=True)
    amount_sales = fields.Monetary(string="Credit Sales", readonly=True)
    amount_recovered = fields.Monetary(string="Recovered via Agencies", readonly=True)
    amount_written_off = fields.Monetary(string="Written Off", readonly=True)
    promises_kept = fields.Integer(readonly=True)
    promises_broken = fields.Integer(readonly=True)
    dso = fields.Float(string="DSO (countback)", digits=(16, 1), readonly=True, aggregator="avg")
    best_dso = fields.Float(
        string="Best Possible DSO", digits=(16, 1), readonly=True, aggregator="avg"
    )
    add_days = fields.Float(
        string="Average Days Delinquent", digits=(16, 1), readonly=True, aggregator="avg"
    )
    cei = fields.Float(
        string="Collection Effectiveness (%)", digits=(16, 1), readonly=True, aggregator="avg"
    )
    promise_kept_rate = fields.Float(
        string="Promises Kept (%)", digits=(16, 1), readonly=True, aggregator="avg"
    )
    # The parts of the countback: credit sales of each of the 11 months before, and the
    # days of each month (the month itself: up to today).
    countback_sales_1 = fields.Float(readonly=True)
    countback_sales_2 = fields.Float(readonly=True)
    countback_sales_3 = fields.Float(readonly=True)
    countback_sales_4 = fields.Float(readonly=True)
    countback_sales_5 = fields.Float(readonly=True)
    countback_sales_6 = fields.Float(readonly=True)
    countback_sales_7 = fields.Float(readonly=True)
    countback_sales_8 = fields.Float(readonly=True)
    countback_sales_9 = fields.Float(readonly=True)
    countback_sales_10 = fields.Float(readonly=True)
    countback_sales_11 = fields.Float(readonly=True)
    countback_days_0 = fields.Float(readonly=True, aggregator="avg")
    countback_days_1 = fields.Float(readonly=True, aggregator="avg")
    countback_days_2 = fields.Float(readonly=True, aggregator="avg")
    countback_days_3 = fields.Float(readonly=True, aggregator="avg")
    countback_days_4 = fields.Float(readonly=True, aggregator="avg")
    countback_days_5 = fields.Float(readonly=True, aggregator="avg")
    countback_days_6 = fields.Float(readonly=True, aggregator="avg")
    countback_days_7 = fields.Float(readonly=True, aggregator="avg")
    countback_days_8 = fields.Float(readonly=True, aggregator="avg")
    countback_days_9 = fields.Float(readonly=True, aggregator="avg")
    countback_days_10 = fields.Float(readonly=True, aggregator="avg")
    countback_days_11 = fields.Float(readonly=True, aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )

    # -- the figures of a group: ratios of the sums of their parts --------------------

    def _read_group_select(self, aggregate_spec, query):
        fname = aggregate_spec.split(":")[0]
        if fname in BALANCE_FIELDS:
            return self._balance_sql(fname, query)
        if fname not in RATIO_FIELDS:
            return super()._read_group_select(aggregate_spec, query)

        def total(name):
            return SQL("SUM(%s)", self._field_to_sql(self._table, name, query))

        def average(name):
            return SQL("AVG(%s)", self._field_to_sql(self._table, name, query))

        return self._ratio_sql(fname, total, average)

    def _balance_sql(self, fname, query):
        """A balance of a group of rows: summed over the collectors of a month, never
        over months (receivables at the end of March and April are not 'receivables'
        twice): the group's last month, or its first for the opening balance."""
        month = self._field_to_sql(self._table, "date", query)
        value = self._field_to_sql(self._table, fname, query)
        edge = SQL("MIN(%s)", month) if fname == "amount_open_begin" else SQL("MAX(%s)", month)
        return SQL(
            "(SELECT COALESCE(SUM(cell.value), 0) FROM unnest(ARRAY_AGG(%s), ARRAY_AGG(%s))"
            " AS cell(month, value) WHERE cell.month = %s)",
            month,
            value,
            edge,
        )

    def _ratio_sql(self, fname, total, average):
        """SQL of a ratio field from ``total(name)`` and ``average(name)`` of its parts
        (the per-row columns of the view, or the sums over a group)."""
        sales = [total("amount_sales")] + [
            total(f"countback_sales_{k}") for k in range(1, COUNTBACK_MONTHS)
        ]
        days = [average(f"countback_days_{k}") for k in range(COUNTBACK_MONTHS)]
        dso = _countback(total("amount_open"), sales, days)
        best = _countback(total("amount_not_due"), sales, days)
        if fname == "dso":
            return dso
        if fname == "best_dso":
            return best
        if fname == "add_days":
            return SQL("(%s - %s)", dso, best)
        if fname == "cei":
            collectible = SQL("(%s + %s)", total("amount_open_begin"), total("amount_sales"))
            return SQL(
                "(100.0 * (%(collectible)s - %(open)s)"
                " / NULLIF(%(collectible)s - %(not_due)s, 0))::numeric",
                collectible=collectible,
                open=total("amount_open"),
                not_due=total("amount_not_due"),
            )
        return SQL(
            "(100.0 * %(kept)s / NULLIF(%(kept)s + %(broken)s, 0))::numeric",
            kept=total("promises_kept"),
            broken=total("promises_broken"),
        )

    # -- the view --------------------------------------------------------------------

    def _query(self):
        def column(name):
            return SQL.identifier("k", name)

        ratios = SQL(", ").join(
            SQL("%s AS %s", self._ratio_sql(name, column, column), SQL.identifier(name))
            for name in RATIO_FIELDS
        )
        return SQL(
            """
            SELECT k.*, %(ratios)s
              FROM (%(rows)s) k
            """,
            ratios=ratios,
            rows=self._query_rows(),
        )

    def _query_rows(self):
        lags = SQL(", ").join(
            SQL(
                "COALESCE(LAG(f.amount_sales, %(k)s) OVER w, 0) AS %(sales)s, "
                "EXTRACT(DAY FROM g.month - INTERVAL '%(k_sql)s month' + INTERVAL '1 month'"
                " - INTERVAL '1 day')::float AS %(days)s",
                k=k,
                k_sql=SQL(str(k)),
                sales=SQL.identifier(f"countback_sales_{k}"),
                days=SQL.identifier(f"countback_days_{k}"),
            )
            for k in range(1, COUNTBACK_MONTHS)
        )
        return SQL(
            """
    WITH lines AS (
        -- Receivable lines of posted entries, with their customer and the day they
        -- were settled (the last reconciliation of a fully reconciled line).
        SELECT aml.id, aml.company_id, aml.balance, aml.date,
               COALESCE(aml.date_maturity, aml.date) AS due,
               COALESCE(rp.commercial_partner_id, aml.partner_id) AS partner_id,
               move.move_type IN ('out_invoice', 'out_refund', 'out_receipt') AS is_sale,
               move.dunning_writeoff_invoice_id IS NOT NULL AS is_writeoff,
               CASE WHEN aml.reconciled THEN (
                   SELECT MAX(apr.max_date) FROM account_partial_reconcile apr
                    WHERE apr.debit_move_id = aml.id OR apr.credit_move_id = aml.id)
               END AS settled_on
          FROM account_move_line aml
          JOIN account_move move ON move.id = aml.move_id
          JOIN account_account acc ON acc.id = aml.account_id
          LEFT JOIN res_partner rp ON rp.id = aml.partner_id
         WHERE aml.parent_state = 'posted' AND acc.account_type = 'asset_receivable'
    ), months AS (
        -- Every month from the company's first receivable to this one (or to the
        -- last one dated ahead), seen at its end; this month: today.
        SELECT fst.company_id, month::date AS month,
               CASE WHEN month = date_trunc('month', CURRENT_DATE) THEN CURRENT_DATE
                    ELSE (month + INTERVAL '1 month' - INTERVAL '1 day')::date
               END AS as_of
          FROM (SELECT company_id, MIN(date) AS first_date, MAX(date) AS last_date
                  FROM lines GROUP BY company_id) fst,
               generate_series(date_trunc('month', fst.first_date),
                               GREATEST(date_trunc('month', CURRENT_DATE),
                                        date_trunc('month', fst.last_date)),
                               INTERVAL '1 month') month
    ), open_at AS (
        -- What each line still had open at the end of each month: its balance less
        -- the reconciliations dated up to then.
        SELECT mo.company_id, mo.month, l.partner_id, mo.as_of - l.due AS age,
               l.balance
               - COALESCE((SELECT SUM(apr.amount) FROM account_partial_reconcile apr
                            WHERE apr.debit_move_id = l.id AND apr.max_date <= mo.as_of), 0)
               + COALESCE((SELECT SUM(apr.amount) FROM account_partial_reconcile apr
                            WHERE apr.credit_move_id = l.id AND apr.max_date <= mo.as_of), 0)
               AS amount
          FROM months mo
          JOIN lines l ON l.company_id = mo.company_id AND l.date <= mo.as_of
                      AND (l.settled_on IS NULL OR l.settled_on > mo.as_of)
    ), facts AS (
        SELECT company_id, month, partner_id, amount AS amount_open,
               CASE WHEN age <= 0 THEN amount ELSE 0 END AS amount_not_due,
               CASE WHEN age BETWEEN 1 AND 30 THEN amount ELSE 0 END AS amount_overdue_1_30,
               CASE WHEN age BETWEEN 31 AND 60 THEN amount ELSE 0 END AS amount_overdue_31_60,
               CASE WHEN age BETWEEN 61 AND 90 THEN amount ELSE 0 END AS amount_overdue_61_90,
               CASE WHEN age > 90 THEN amount ELSE 0 END AS amount_overdue_90,
               0 AS amount_sales, 0 AS amount_recovered, 0 AS amount_written_off,
               0 AS promises_kept, 0 AS promises_broken
          FROM open_at
        UNION ALL
        -- Credit sales: customer invoices net of credit notes, by accounting date;
        -- write-offs: the receivable credited by bad-debt entries.
        SELECT company_id, date_trunc('month', date)::date, partner_id, 0, 0, 0, 0, 0, 0,
               CASE WHEN is_sale THEN balance ELSE 0 END, 0,
               CASE WHEN is_writeoff THEN -balance ELSE 0 END, 0, 0
          FROM lines
         WHERE is_sale OR is_writeoff
        UNION ALL
        SELECT case_.company_id, date_trunc('month', rec.date)::date, case_.partner_id,
               0, 0, 0, 0, 0, 0, 0, rec.amount, 0, 0, 0
          FROM dunning_case_recovery rec
          JOIN dunning_case case_ ON case_.id = rec.case_id
        UNION ALL
        SELECT promise.company_id, date_trunc('month', promise.date_end)::date,
               COALESCE(rp.commercial_partner_id, promise.partner_id),
               0, 0, 0, 0, 0, 0, 0, 0, 0,
               (promise.state = 'kept')::int, (promise.state = 'broken')::int
          FROM dunning_promise promise
          LEFT JOIN res_partner rp ON rp.id = promise.partner_id
         WHERE promise.state IN ('kept', 'broken') AND promise.date_end IS NOT NULL
    ), by_collector AS (
        -- The customer's collector in the company, else its policy's default one.
        SELECT f.company_id, f.month,
               COALESCE((p.dunning_collector_id ->> f.company_id::text)::int,
                        policy.default_collector_id) AS user_id,
               SUM(f.amount_open) AS amount_open,
               SUM(f.amount_not_due) AS amount_not_due,
               SUM(f.amount_overdue_1_30) AS amount_overdue_1_30,
               SUM(f.amount_overdue_31_60) AS amount_overdue_31_60,
               SUM(f.amount_overdue_61_90) AS amount_overdue_61_90,
               SUM(f.amount_overdue_90) AS amount_overdue_90,
               SUM(f.amount_sales) AS amount_sales,
               SUM(f.amount_recovered) AS amount_recovered,
               SUM(f.amount_written_off) AS amount_written_off,
               SUM(f.promises_kept) AS promises_kept,
               SUM(f.promises_broken) AS promises_broken
          FROM facts f
          LEFT JOIN res_partner p ON p.id = f.partner_id
          JOIN res_company company ON company.id = f.company_id
          LEFT JOIN dunning_policy policy ON policy.id = COALESCE(
               (p.dunning_policy_id ->> f.company_id::text)::int,
               company.dunning_default_policy_id)
      GROUP BY 1, 2, 3
    ), grid AS (
        -- Every month for every (company, collector) that has figures: the months
        -- before are at hand for the countback and the opening balance.
        SELECT mo.company_id, mo.month, mo.as_of, pair.user_id
          FROM months mo
          JOIN (SELECT DISTINCT company_id, user_id FROM by_collector) pair
            ON pair.company_id = mo.company_id
    )
    SELECT ROW_NUMBER() OVER (ORDER BY g.company_id, g.month, g.user_id) AS id,
           g.company_id, g.month AS date, g.user_id,
           COALESCE(f.amount_open, 0) AS amount_open,
           COALESCE(f.amount_not_due, 0) AS amount_not_due,
           COALESCE(f.amount_open, 0) - COALESCE(f.amount_not_due, 0) AS amount_overdue,
           COALESCE(f.amount_overdue_1_30, 0) AS amount_overdue_1_30,
           COALESCE(f.amount_overdue_31_60, 0) AS amount_overdue_31_60,
           COALESCE(f.amount_overdue_61_90, 0) AS amount_overdue_61_90,
           COALESCE(f.amount_overdue_90, 0) AS amount_overdue_90,
           COALESCE(LAG(f.amount_open, 1) OVER w, 0) AS amount_open_begin,
           COALESCE(f.amount_sales, 0) AS amount_sales,
           COALESCE(f.amount_recovered, 0) AS amount_recovered,
           COALESCE(f.amount_written_off, 0) AS amount_written_off,
           COALESCE(f.promises_kept, 0) AS promises_kept,
           COALESCE(f.promises_broken, 0) AS promises_broken,
           (g.as_of - g.month + 1)::float AS countback_days_0,
           %(lags)s
      FROM grid g
      LEFT JOIN by_collector f ON f.company_id = g.company_id AND f.month = g.month
                              AND f.user_id IS NOT DISTINCT FROM g.user_id
    WINDOW w AS (PARTITION BY g.company_id, g.user_id ORDER BY g.month)
            """,
            lags=lags,
        )
