/**
 * A collector (not a manager) opens the Collections app from the home menu, My
 * Collections, opens Log Call from the activity popover of the customer's card, then
 * logs the call in one click from the call activity in the chatter: the call sheet
 * shows the phone as a link, what is overdue and the call script.
 * tests/test_tours_workspace.py checks the logged call and the activity done.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

import { checkField } from "./dunning_tour_utils";

const customer = "Tour Activity Customer";

registry.category("web_tour.tours").add("account_dunning_activity_call_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(
            "account_dunning.menu_collections_root",
            "Open the Collections app"
        ),
        {
            content: "A collector's app: no Configuration menu (the managers')",
            trigger:
                '.o_main_navbar:has([data-menu-xmlid="account_dunning.menu_collections_worklist"]):not(:has([data-menu-xmlid="account_dunning.menu_collections_config"]))',
        },
        {
            content: "Open My Collections",
            trigger: '.o_main_navbar [data-menu-xmlid="account_dunning.menu_collections_worklist"]',
            run: "click",
        },
        {
            content: "Switch to the kanban view",
            trigger: "button.o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "Open the customer's activities",
            trigger: `.o_kanban_record:contains("${customer}") .o-mail-ActivityButton`,
            run: "click",
        },
        {
            content: "Log Call from the activity popover",
            trigger: ".o-mail-ActivityListPopoverItem .o-dunning-ActivityListPopoverItem-logCall",
            run: "click",
        },
        {
            content: "The call sheet opens for the customer",
            trigger: `.modal .o_field_widget[name=partner_id]:contains("${customer}")`,
        },
        {
            content: "Not now: discard",
            trigger: ".modal-footer button.btn-secondary",
            run: "click",
        },
        {
            content: "Back to the list",
            trigger: "body:not(:has(.modal)) button.o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open the customer from the worklist",
            trigger: `.o_list_view .o_data_row td[name=display_name]:contains("${customer}")`,
            run: "click",
        },
        {
            content: "Log the call from its activity in the chatter",
            trigger: '.o-mail-Activity:contains("Collections call") .o-dunning-Activity-logCall',
            run: "click",
        },
        {
            content: "The phone number is a link to dial",
            trigger: '.modal .o_field_widget[name=phone] a[href^="tel:"]',
        },
        checkField("overdue_text", "1,000.00", ".modal"),
        {
            content: "The call script is shown",
            trigger: ".modal div[name=call_script] .o_field_widget[name=call_script]",
        },
        {
            content: "What was said",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Will pay on Friday.",
        },
        {
            content: "Log the call",
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The call activity is done",
            trigger: ".o_form_view .o-mail-Chatter:not(:has(.o-dunning-Activity-logCall))",
        },
    ],
});
