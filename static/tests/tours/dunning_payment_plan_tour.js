/**
 * A collector agrees a payment plan from an overdue invoice: header button, four
 * monthly installments in the wizard's preview, confirm. tests/test_tours.py checks
 * the plan and its installments.
 */
import { registry } from "@web/core/registry";

import { checkField, openOverdueInvoice } from "./dunning_tour_utils";

registry.category("web_tour.tours").add("account_dunning_payment_plan_tour", {
    url: "/odoo",
    steps: () => [
        ...openOverdueInvoice("Tour Plan Customer"),
        {
            content: "Propose a payment plan",
            trigger: '.o_form_view .o_statusbar_buttons button:contains("Payment Plan")',
            run: "click",
        },
        checkField("amount_total", "1,200.00", ".modal"),
        {
            content: "Split in four installments (the default is three)",
            trigger: ".modal .o_field_widget[name=installment_count] input",
            // Tab leaves the field: the change (and the preview's onchange) fires on blur.
            run: "edit 4 && press Tab",
        },
        {
            content: "The preview shows four installments of 300",
            trigger:
                '.modal .o_dunning_plan_preview tbody tr:nth-child(4):last-child:contains("300.00")',
        },
        {
            content: "Confirm the plan",
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The plan opens, active, for the customer",
            trigger:
                '.o_form_view:has(.o_field_widget[name=partner_id]:contains("Tour Plan Customer")) .o_statusbar_status .o_arrow_button_current:contains("Active")',
        },
    ],
});
