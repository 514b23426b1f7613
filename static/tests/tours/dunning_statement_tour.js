/**
 * A collector opens a customer from the worklist and prints its statement of account.
 * The print button's report action is recorded on its way to the download (the test
 * browser denies downloads), then the HTML rendering of the same report is read: its
 * aging buckets must hold the customer's open amounts. tests/test_tours_workspace.py
 * prepares the invoices (one not due, one 1-30 days late, one 31-60).
 */
import { registry } from "@web/core/registry";

import { openMenu } from "./dunning_tour_utils";

const customer = "Tour Statement Customer";
const reportName = "account_dunning.report_dunning_statement";

// Records the report actions run while this tour is on (window.dunningReportSpy is
// set by its first step); lets every report go on to its download as usual.
registry.category("ir.actions.report handlers").add("account_dunning_statement_tour_spy", (action) => {
    if (window.dunningReportSpy) {
        window.dunningReportSpy.push(action);
    }
    return false;
});

function cellTexts(row) {
    return [...row.querySelectorAll("td")].map((td) => td.textContent.replace(/\s+/g, " ").trim());
}

registry.category("web_tour.tours").add("account_dunning_statement_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Record the report actions",
            trigger: "body",
            run() {
                window.dunningReportSpy = [];
            },
        },
        ...openMenu(
            "account.menu_finance_receivables",
            "account_dunning.menu_dunning_worklist",
            "Open Collections > My Collections"
        ),
        {
            content: "Open the customer",
            trigger: `.o_list_view .o_data_row td[name=display_name]:contains("${customer}")`,
            run: "click",
        },
        {
            content: "Open the Collections tab",
            trigger: '.o_form_view .o_notebook .nav-link:contains("Collections")',
            run: "click",
        },
        {
            content: "Print the statement",
            trigger: ".o_form_view button[name=action_dunning_print_statement]",
            run: "click",
        },
        {
            content: "The statement report ran for this customer",
            trigger: "body",
            async run() {
                // The button's action arrives after a round trip to the server.
                const statements = () =>
                    window.dunningReportSpy.filter((a) => a.report_name === reportName);
                for (let wait = 0; wait < 100 && !statements().length; wait++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                const actions = statements();
                if (actions.length !== 1) {
                    throw new Error(`expected one statement report action, got ${actions.length}`);
                }
                const ids = actions[0].context.active_ids;
                if (!ids || ids.length !== 1) {
                    throw new Error(`the statement is for ${JSON.stringify(ids)}, not one customer`);
                }
                window.dunningStatementUrl = `/report/html/${reportName}/${ids[0]}`;
            },
        },
        {
            content: "The HTML statement shows the customer and its aging buckets",
            trigger: "body",
            async run() {
                const response = await fetch(window.dunningStatementUrl);
                if (!response.ok) {
                    throw new Error(`${window.dunningStatementUrl} answered ${response.status}`);
                }
                const page = new DOMParser().parseFromString(await response.text(), "text/html");
                if (!page.body.textContent.includes(customer)) {
                    throw new Error("the statement does not name the customer");
                }
                const heads = [...page.querySelectorAll("table thead")].find((thead) =>
                    thead.textContent.includes("31-60")
                );
                if (!heads) {
                    throw new Error("the statement has no aging table");
                }
                const labels = [...heads.querySelectorAll("th")].map((th) => th.textContent.trim());
                const expectedLabels = ["Currency", "Not due", "1-30", "31-60", "61-90", "Over 90", "Balance"];
                if (JSON.stringify(labels) !== JSON.stringify(expectedLabels)) {
                    throw new Error(`aging columns ${JSON.stringify(labels)}`);
                }
                const rows = [...heads.parentElement.querySelectorAll("tbody tr")];
                if (rows.length !== 1) {
                    throw new Error(`expected one currency in the aging, got ${rows.length}`);
                }
                const cells = cellTexts(rows[0]);
                const expected = ["100.00", "400.00", "250.00", "0.00", "0.00", "750.00"];
                expected.forEach((amount, index) => {
                    if (!cells[index + 1].includes(amount)) {
                        throw new Error(
                            `aging column ${expectedLabels[index + 1]} shows "${cells[index + 1]}", expected ${amount}`
                        );
                    }
                });
                window.dunningReportSpy = null;
            },
        },
        {
            content: "Printing showed no error",
            trigger: "body:not(:has(.o_error_dialog)):not(:has(.o_blockUI))",
        },
    ],
});
