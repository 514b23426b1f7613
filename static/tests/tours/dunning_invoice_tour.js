/**
 * A collector opens an overdue invoice that the run has already reminded: its
 * Collections tab shows the level reached, the history and the next step's date,
 * and the smart button opens that history. tests/test_tours.py prepares the invoice.
 */
// The date field's own formatter: the tour compares what the user sees.
import { formatDate } from "@web/views/fields/formatters";
import { registry } from "@web/core/registry";

import { checkField, openOverdueInvoice } from "./dunning_tour_utils";

registry.category("web_tour.tours").add("account_dunning_invoice_tour", {
    url: "/odoo",
    steps: () => {
        // Due 10 days ago and reminded today at the +7 level: the next level (+15) is
        // due in 5 days. The test asserts the same date in the database.
        const nextDate = formatDate(luxon.DateTime.now().plus({ days: 5 }));
        return [
            ...openOverdueInvoice("Tour Invoice Customer"),
            {
                content: "Open the Collections tab",
                trigger: '.o_notebook .nav-link:contains("Collections")',
                run: "click",
            },
            checkField("dunning_stage", "Normal"),
            checkField("dunning_level_id", "May have slipped"),
            checkField("dunning_days_overdue", "10"),
            checkField("dunning_next_date", nextDate),
            {
                content: "The tab lists today's reminder",
                trigger:
                    '.o_field_widget[name=dunning_event_ids] .o_data_row:contains("May have slipped"):contains("Email")',
            },
            {
                content: "Open the history from the smart button",
                trigger: 'button[name=action_view_dunning_events]:contains("1")',
                run: "click",
            },
            {
                content: "The history shows the reminder to this customer",
                trigger:
                    '.o_list_view .o_data_row:count(1):contains("Tour Invoice Customer"):contains("May have slipped")',
            },
        ];
    },
});
