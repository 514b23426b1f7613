/**
 * A collector hands an old invoice to a collection agency: header button, the
 * agency, a note, confirm. tests/test_tours.py checks the case and the invoice's stage.
 */
import { registry } from "@web/core/registry";

import { openOverdueInvoice } from "./dunning_tour_utils";

registry.category("web_tour.tours").add("account_dunning_handoff_tour", {
    url: "/odoo",
    steps: () => [
        ...openOverdueInvoice("Tour Handoff Customer"),
        {
            content: "Hand the invoice off",
            trigger: '.o_form_view .o_statusbar_buttons button:contains("Hand Off")',
            run: "click",
        },
        {
            content: "To a collection agency",
            trigger: ".modal .o_field_widget[name=handoff_type] input[data-value=agency]",
            run: "click",
        },
        {
            content: "Search the agency",
            trigger: ".modal .o_field_widget[name=agency_id] input",
            run: "edit Tour Collect",
        },
        {
            content: "Pick it",
            trigger: '.ui-menu-item a:contains("Tour Collect Agency")',
            run: "click",
        },
        {
            content: "Add a note for the agency",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Customer stopped answering in March.",
        },
        {
            content: "Confirm the hand-off",
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The new case opens, with the agency",
            trigger:
                '.o_form_view:has(.o_field_widget[name=agency_id]:contains("Tour Collect Agency")) .o_statusbar_status .o_arrow_button_current:contains("Open")',
        },
    ],
});
