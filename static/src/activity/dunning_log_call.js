/**
 * "Log call" in one click on a collections call activity: in the chatter's planned
 * activities and in the activity popover (list, kanban and activity views), beside
 * "Mark Done". The server says which activities qualify (dunning_can_log_call) and
 * opens the call wizard (mail.activity.action_dunning_log_call).
 */
import { Activity } from "@mail/core/web/activity";
import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";

import { patch } from "@web/core/utils/patch";

async function openLogCall(component, onClose) {
    const services = component.env.services;
    const action = await services.orm.call("mail.activity", "action_dunning_log_call", [
        [component.props.activity.id],
    ]);
    await services.action.doAction(action, { onClose });
}

patch(Activity.prototype, {
    async onClickDunningLogCall() {
        const thread = this.thread;
        await openLogCall(this, () => this.props.onActivityChanged(thread));
    },
});

patch(ActivityListPopoverItem.prototype, {
    async onClickDunningLogCall() {
        // The popover closes first, as for "Edit": the wizard is a dialog.
        this.props.onClickEditActivityButton?.();
        await openLogCall(this, () => this.props.onActivityChanged?.());
    },
});
