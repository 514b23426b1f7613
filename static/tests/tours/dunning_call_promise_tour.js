/**
 * A collector works the worklist: My Collections, "Log call" on the customer's row,
 * outcome "Promised to pay" with an amount and a date, confirm; the promise opens and
 * the invoice shows the stage "Promised". tests/test_tours_workspace.py checks the
 * promise, the logged call and the invoice's stage in the database.
 */
import { registry } from "@web/core/registry";

import { checkField, openMenu, openOverdueInvoice } from "./dunning_tour_utils";

const customer = "Tour Promise Customer";
const row = `.o_list_view .o_data_row:contains("${customer}")`;

registry.category("web_tour.tours").add("account_dunning_call_promise_tour", {
    url: "/odoo",
    steps: () => {
        // The test expects the promise in 10 days (the browser's today, as the user's),
        // typed as an en_US user types a date.
        const promiseDate = luxon.DateTime.now().plus({ days: 10 }).toFormat("MM/dd/yyyy");
        return [
            ...openMenu(
                "account.menu_finance_receivables",
                "account_dunning.menu_dunning_worklist",
                "Open Collections > My Collections"
            ),
            {
                content: "The worklist shows the customer with its overdue amount",
                trigger: `${row} td[name=dunning_overdue_amount]:contains("1,000.00")`,
            },
            {
                content: "Switch to the kanban view",
                trigger: "button.o_switch_view.o_kanban",
                run: "click",
            },
            {
                content: "The customer's card shows its overdue amount and the buttons",
                trigger: `.o_kanban_record:contains("${customer}"):contains("1,000.00") button[name=action_dunning_new_payment_plan]`,
            },
            {
                content: "Back to the list",
                trigger: "button.o_switch_view.o_list",
                run: "click",
            },
            {
                content: "Log a call from the customer's row",
                trigger: `${row} button[name=action_dunning_log_call]`,
                run: "click",
            },
            checkField("partner_id", customer, ".modal"),
            {
                content: "The customer promised to pay",
                trigger: ".modal .o_field_widget[name=outcome] input[data-value=promised]",
                run: "click",
            },
            {
                content: "Promised amount: part of the invoice",
                trigger: ".modal .o_field_widget[name=promise_amount] input",
                run: "edit 600 && press Tab",
            },
            {
                content: "Promised date",
                trigger: ".modal .o_field_widget[name=promise_date] input",
                run: `edit ${promiseDate} && press Enter`,
            },
            {
                content: "What was said",
                trigger: ".modal .o_field_widget[name=note] textarea",
                run: "edit Will pay 600 once the customer's client has paid.",
            },
            {
                content: "Log the call",
                trigger: ".modal-footer button[name=action_confirm]",
                run: "click",
            },
            {
                content: "The promise opens, open, for the customer",
                trigger: `.o_form_view:has(.o_field_widget[name=partner_id]:contains("${customer}")) .o_statusbar_status .o_arrow_button_current:contains("Open")`,
            },
            checkField("amount", "600.00"),
            ...openOverdueInvoice(customer),
            {
                content: "Open the Collections tab",
                trigger: '.o_notebook .nav-link:contains("Collections")',
                run: "click",
            },
            checkField("dunning_stage", "Promised"),
        ];
    },
});
