/**
 * A manager opens Send & Print on a customer, reads the reminder the customer will get
 * (rendered in the contact's language), edits its subject and sends it; a notification
 * says what went to whom. tests/test_tours.py prepares the customer and checks that the
 * queued email carries the edited subject.
 */
import { registry } from "@web/core/registry";

const customer = "Tour Send Customer";
const subject = "About your open invoices - tour";

registry.category("web_tour.tours").add("account_dunning_send_print_tour", {
    steps: () => [
        {
            content: "The customer's form is open",
            trigger: `.o_form_view .o_field_widget[name=name]:contains("${customer}"), .o_form_view .o_field_widget[name=name] input`,
        },
        {
            content: "Open the Collections tab",
            trigger: '.o_form_view .o_notebook .nav-link:contains("Collections")',
            run: "click",
        },
        {
            content: "Open Send & Print",
            trigger: ".o_form_view button[name=action_dunning_send_print]",
            run: "click",
        },
        {
            content: "Read the email",
            trigger: '.modal .o_notebook .nav-link:contains("Email")',
            run: "click",
        },
        {
            content: "The message is rendered from the level's template",
            trigger: ".modal .o_field_widget[name=mail_body]:contains(Paula)",
        },
        {
            content: "Edit the subject",
            trigger: ".modal .o_field_widget[name=mail_subject] input",
            run: `edit ${subject}`,
        },
        {
            content: "Send now",
            trigger: ".modal footer button[name=action_send]",
            run: "click",
        },
        {
            content: "The confirmation says what went to whom",
            trigger: '.o_notification:contains("sent to Paula Payables")',
        },
    ],
});
