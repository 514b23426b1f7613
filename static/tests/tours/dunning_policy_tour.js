/**
 * A manager configures the ladder: Configuration > Collections > Dunning Policies,
 * the default policy, one level's delay (in the level's dialog) and the minimum
 * amount, then saves. tests/test_tours.py checks the database.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

import { openMenu } from "./dunning_tour_utils";

const levels = ".o_field_widget[name=level_ids]";

registry.category("web_tour.tours").add("account_dunning_policy_tour", {
    url: "/odoo",
    steps: () => [
        ...openMenu(
            "account.menu_finance_configuration",
            "account_dunning.menu_dunning_policies",
            "Open Configuration > Collections > Dunning Policies"
        ),
        {
            content: "Open the default policy",
            trigger: '.o_list_view .o_data_row td[name=name]:contains("Standard collections")',
            run: "click",
        },
        {
            content: "The policy shows its seven levels",
            trigger: `${levels} .o_data_row:count(7)`,
        },
        {
            content: "Open the +7 days level",
            trigger: `${levels} .o_data_row td[name=name]:contains("May have slipped")`,
            run: "click",
        },
        {
            content: "Move it to 10 days after the due date",
            trigger: ".modal .o_field_widget[name=delay_days] input",
            run: "edit 10",
        },
        {
            content: "Close the level's dialog",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The levels list shows the new delay",
            trigger: `${levels} .o_data_row:has(td[name=name]:contains("May have slipped")) td[name=delay_days]:contains(10)`,
        },
        {
            content: "Chase only balances of 50 or more",
            trigger: ".o_field_widget[name=minimum_amount] input",
            run: "edit 50",
        },
        ...stepUtils.saveForm(),
    ],
});
