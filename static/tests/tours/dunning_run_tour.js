/**
 * A manager previews today's run, checks the customer's planned step (amount first,
 * its line in a dialog titled by the customer, the "nothing sent yet" banner), and
 * executes it. tests/test_tours.py checks the run, the event and the queued email.
 */
import { registry } from "@web/core/registry";

import { openMenu } from "./dunning_tour_utils";

const runLine = '.o_field_widget[name=line_ids] .o_data_row:contains("Tour Run Customer")';

registry.category("web_tour.tours").add("account_dunning_run_tour", {
    url: "/odoo",
    steps: () => [
        ...openMenu(
            "account.menu_finance_receivables",
            "account_dunning.menu_dunning_preview",
            "Open Collections > Preview Today's Run"
        ),
        {
            content: "The preview plans the +7 reminder for the customer",
            trigger: `${runLine}:contains("May have slipped")`,
        },
        {
            content: "Nothing is sent by the preview",
            trigger: `${runLine} td[name=state]:contains("To do")`,
        },
        {
            content: "The preview says so until Execute",
            trigger: '.o_form_view .alert-warning:contains("nothing has been sent yet")',
        },
        {
            content: "The customer's amount comes right after its name",
            trigger: `${runLine} td[name=amount_by_currency]:contains("750.00")`,
        },
        {
            content: "Open the customer's line",
            trigger: `${runLine} button[name=action_dunning_open]`,
            run: "click",
        },
        {
            content: "The dialog is titled by the customer and lists its invoice",
            trigger: '.modal .modal-title:contains("Tour Run Customer")',
        },
        {
            content: "Its invoices as a list",
            trigger: ".modal .o_field_widget[name=move_ids] .o_data_row",
        },
        {
            content: "Close the dialog",
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            content: "Execute the plan",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_execute]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The run is done",
            trigger: '.o_statusbar_status .o_arrow_button_current:contains("Done")',
        },
        {
            content: "The customer's line is done",
            trigger: `${runLine} td[name=state]:contains("Done")`,
        },
    ],
});
