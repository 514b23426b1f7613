/**
 * A collector approves a payment plan a customer asked for online beyond the policy's
 * limits: the plan waits "To Approve", Approve puts it in force. tests/test_tours.py
 * prepares the request and checks the plan and the agreement sent.
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("account_dunning_plan_approval_tour", {
    steps: () => [
        {
            content: "The customer's request waits for approval",
            trigger: '.o_form_view .o_statusbar_status .o_arrow_button_current:contains("To Approve")',
        },
        {
            content: "Approve the plan as the customer asked for it",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_approve]",
            run: "click",
        },
        {
            content: "The plan is in force",
            trigger: '.o_form_view .o_statusbar_status .o_arrow_button_current:contains("Active")',
        },
    ],
});
