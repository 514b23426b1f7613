/**
 * Steps shared by the collections tours: menu navigation, opening an invoice from
 * the collections list, checking a form field's displayed value.
 */
import { stepUtils } from "@web_tour/tour_utils";

/** Invoicing app, then a menu section (e.g. Customers), then one of its items. */
export function openMenu(sectionXmlid, itemXmlid, description) {
    return [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the Invoicing app"),
        {
            content: `Open the menu section ${sectionXmlid}`,
            trigger: `.o_main_navbar [data-menu-xmlid="${sectionXmlid}"]`,
            run: "click",
        },
        {
            content: description,
            trigger: `.o-dropdown--menu [data-menu-xmlid="${itemXmlid}"]`,
            run: "click",
        },
    ];
}

/** Invoicing > Customers > Collections > Overdue Invoices, then the customer's invoice. */
export function openOverdueInvoice(customerName) {
    return [
        ...openMenu(
            "account.menu_finance_receivables",
            "account_dunning.menu_dunning_overdue_invoices",
            "Open Collections > Overdue Invoices"
        ),
        {
            content: `The overdue list shows ${customerName}'s invoice`,
            trigger: `.o_list_view .o_data_row td[name=partner_id]:contains("${customerName}")`,
            run: "click",
        },
        {
            content: "The invoice form is open on a posted customer invoice",
            trigger: `.o_form_view .o_field_widget[name=partner_id]:contains("${customerName}")`,
        },
    ];
}

/**
 * Fails the tour (with this step's name) unless the field shows ``expected``: the
 * text of a read-only widget or the value of an editable one.
 */
export function checkField(fieldName, expected, scope = ".o_form_view") {
    return {
        content: `Field ${fieldName} shows "${expected}"`,
        trigger: `${scope} .o_field_widget[name=${fieldName}]`,
        run() {
            const input = this.anchor.querySelector("input, select, textarea");
            const shown = (input ? input.value : this.anchor.textContent).trim();
            if (!shown.includes(expected)) {
                throw new Error(`${fieldName} shows "${shown}", expected "${expected}"`);
            }
        },
    };
}
