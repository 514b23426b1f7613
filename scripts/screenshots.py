"""Takes the pictures of README.md and the Apps page from the running module.

Run by scripts/screenshots.sh, which installs a fresh database with demo data; this
script starts Odoo on a free localhost port, drives headless Chromium through the
DevTools protocol (websocket-client, as Odoo's own test browser does) and writes PNGs
to static/description/:

    collections_menu.png   the Collections app as the demo collector, Follow-up open
    overdue_invoices.png   Collections > Invoices
    run_preview.png        Collections > Runs > Preview Today's Run (nothing sent), as
                           the demo collections manager
    history.png            Collections > History after executing that run
    worklist.png           Collections > My Collections (everyone's), by priority
    reminder_email.png     the email queued by the run (mail.mail body as sent, with
                           its From/To/Subject/Attachments), rendered as a page
    dunning_letter.png     the letter of the run (the report's HTML rendering)
    customer_collections.png  a customer's Collections tab
    payment_plan.png       a payment plan agreed through the wizard
    send_print.png         Send & Print on a customer (the wizard, nothing sent)
    send_print_preview.png its Email tab: the message as it will be sent, editable
    log_call.png           Log Call from a call activity, as the demo collector who
                           follows the customer, outcome "promised" (then confirmed:
                           the script checks the promise exists)
    dispute.png            a dispute opened on one invoice
    statement.png          the statement of account (the report's HTML rendering)
    payer_profile.png      the payer profile group of a customer's Collections tab
    predicted_date.png     the predicted payment date on an open invoice
    dashboard.png          Collections Dashboard (graph)
    self_service_phone.png the customer's self-service page on a phone (390 x 844),
    self_service_phone_promise.png  and its "promise a payment date" form opened
    plan_to_approve.png    a plan the customer asked for online beyond the policy's
                           limits (sent from that page), To Approve, as the manager

The demo policy is switched to "Start Old Debts at Matching Level" before the run
(a documented policy option, for a database full of old debts): the demo invoices
then reach every rung of the ladder in one run, letter included, instead of all
starting at the first overdue level.
"""

import argparse
import base64
import contextlib
import datetime
import html
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests
import websocket

WIDTH, HEIGHT = 1440, 900
# Shown, and Odoo has no request in flight (its loading indicator and UI block).
IS_READY_JS = """(selector) => {
    const el = document.querySelector(selector);
    return !!el && el.offsetParent !== null
        && !document.querySelector(".o_loading_indicator, .o_blockUI");
}"""
CLICK_JS = """(selector, text) => {
    const els = [...document.querySelectorAll(selector)]
        .filter((el) => text === null || el.textContent.includes(text));
    if (!els.length) return false;
    els[0].click();
    return true;
}"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Odoo:
    """An Odoo server for one database, and a JSON-RPC session as admin."""

    def __init__(self, args, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = args.database
        command = [
            sys.executable,
            str(pathlib.Path(__file__).with_name("odoo_bin.py")),
            args.odoo_bin,
            f"--database={args.database}",
            f"--db-filter=^{args.database}$",
            f"--addons-path={args.addons_path}",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            # No scheduled action may change the data between two pictures.
            "--max-cron-threads=0",
            "--log-level=warn",
            f"--logfile={log_path}",
        ]
        self.log_path = log_path
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        self.session = requests.Session()

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"Odoo stopped (exit {self.process.returncode}): see {self.log_path}")
            # The first request loads the registry: it may take a while to answer.
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                if self.session.get(f"{self.url}/web/health", timeout=60).ok:
                    return
            time.sleep(1)
        sys.exit(f"Odoo did not answer on {self.url} within {timeout} s: see {self.log_path}")

    def _jsonrpc(self, path, params):
        response = self.session.post(
            f"{self.url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=300,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            data = body["error"].get("data", {})
            raise RuntimeError(f"{path}: {data.get('message') or body['error']}")
        return body["result"]

    def login(self, login="admin", password="admin"):
        self._jsonrpc(
            "/web/session/authenticate",
            {"db": self.database, "login": login, "password": password},
        )
        return self.session.cookies["session_id"]

    def session_of(self, login):
        """A browser session of another user (demo users: the password is the login)."""
        session = requests.Session()
        response = session.post(
            f"{self.url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"db": self.database, "login": login, "password": login},
            },
            timeout=300,
        )
        response.raise_for_status()
        if response.json().get("error"):
            raise RuntimeError(f"cannot log in as {login}: {response.json()['error']}")
        return session.cookies["session_id"]

    def call(self, model, method, *args, **kwargs):
        return self._jsonrpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        [data] = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        return data["res_id"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Chromium:
    """Headless Chromium, one page, driven through the DevTools protocol."""

    def __init__(self, executable):
        self.profile = tempfile.mkdtemp(prefix="account_dunning_shots_")
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                # Root in a container: no user namespaces for the sandbox (Odoo's
                # test browser passes the same switch).
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = pathlib.Path(self.profile, "DevToolsActivePort")
        for _ in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.2)
        else:
            sys.exit("Chromium did not start (no DevToolsActivePort)")
        port = int(port_file.read_text().split()[0])
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(target for target in targets if target["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=120, suppress_origin=True
        )
        self._id = 0
        self.call("Page.enable")
        self.resize(WIDTH, HEIGHT)

    def call(self, method, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def resize(self, width, height):
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url, ready_selector, timeout=90):
        """Loads ``url`` and waits until ``ready_selector`` shows and Odoo is idle."""
        self.call("Page.navigate", url=url)
        self.wait(ready_selector, timeout)

    def wait(self, selector, timeout=90):
        check = f"({IS_READY_JS})({json.dumps(selector)})"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(check):
                # Fonts, images and the last paint after the data arrived.
                time.sleep(1.0)
                return
            time.sleep(0.3)
        raise RuntimeError(f"{selector!r} did not appear within {timeout} s")

    def clip_of(self, selector, pad=8):
        """The page rectangle of the first element matching ``selector``, padded."""
        rect = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " el.scrollIntoView({block: 'start'});"
            " const r = el.getBoundingClientRect();"
            " return {x: r.x + window.scrollX, y: r.y + window.scrollY,"
            " width: r.width, height: r.height}; })()"
        )
        return {
            "x": max(rect["x"] - pad, 0),
            "y": max(rect["y"] - pad, 0),
            "width": rect["width"] + 2 * pad,
            "height": rect["height"] + 2 * pad,
        }

    def do_action(self, action, ready_selector):
        """Runs an action dict in the web client (wizards cannot be opened by URL)."""
        self.evaluate(
            "odoo.__WOWL_DEBUG__.root.env.services.action.doAction("
            f"{json.dumps(action)}).then(() => true)"
        )
        self.wait(ready_selector)

    def open_menu(self, odoo, xmlid, ready_selector, action=None, res_id=None):
        """Opens a menu of the Collections app as a user would (an /odoo/action-... URL
        shows the first app holding the action: Invoicing); with ``res_id``, then that
        record of ``action`` in the form view, the app kept."""
        # A fresh web client: the session may have changed (login_as).
        self.open(f"{odoo.url}/odoo", ".o_main_navbar")
        found = self.evaluate(
            "(() => { const menus = odoo.__WOWL_DEBUG__.root.env.services.menu;"
            f" const menu = menus.getAll().find((m) => m.xmlid === {json.dumps(xmlid)});"
            " if (!menu) return false; menus.selectMenu(menu); return true; })()"
        )
        if not found:
            raise RuntimeError(f"no menu {xmlid} for this user")
        if res_id:
            time.sleep(1)
            self.wait(".o_action_manager .o_view_controller")
            self.evaluate(
                "odoo.__WOWL_DEBUG__.root.env.services.action.doAction("
                f"{json.dumps(action)}, {{viewType: 'form', props: {{resId: {res_id}}}}})"
                ".then(() => true)"
            )
        time.sleep(1)
        self.wait(ready_selector)

    def click(self, selector, text=None):
        """Clicks the first element matching ``selector`` (and containing ``text``)."""
        found = self.evaluate(f"({CLICK_JS})({json.dumps(selector)}, {json.dumps(text)})")
        if not found:
            raise RuntimeError(f"nothing to click: {selector!r} {text!r}")

    def login_as(self, odoo, login=None):
        """The browser's session: admin's (None) or a demo user's."""
        session_id = odoo.session_of(login) if login else odoo.session.cookies["session_id"]
        self.call("Network.clearBrowserCookies")
        self.call(
            "Network.setCookie", name="session_id", value=session_id, domain="127.0.0.1", path="/"
        )

    def screenshot(self, path, clip=None):
        params = {"format": "png"}
        if clip:
            params.update(clip={**clip, "scale": 1}, captureBeyondViewport=True)
        data = self.call("Page.captureScreenshot", **params)["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))
        print(f"   {path}")

    def stop(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def email_page(mail, attachments):
    """The queued email as its recipient gets it: headers, then the HTML body as is."""
    headers = [
        ("From", mail["email_from"]),
        ("To", mail["email_to"] or ", ".join(p[1] for p in mail["recipients"])),
        ("Subject", mail["subject"]),
    ]
    if attachments:
        headers.append(("Attachments", ", ".join(attachments)))
    rows = "".join(
        f"<div><b>{html.escape(name)}:</b> {html.escape(value or '')}</div>"
        for name, value in headers
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{margin:20px;font-family:sans-serif;}"
        ".headers{font-size:16px;line-height:1.4;border-bottom:1px solid #999;"
        "padding-bottom:10px;margin-bottom:10px;}"
        "</style></head><body>"
        f"<div class='headers'>{rows}</div>"
        f"<div id='body'>{mail['body_html']}</div></body></html>"
    )


def take(odoo, browser, out, workdir):
    browser.call(
        "Network.setCookie",
        name="session_id",
        value=odoo.login(),
        domain="127.0.0.1",
        path="/",
    )
    take_menu(odoo, browser, out)
    take_run(odoo, browser, out)
    take_worklist(odoo, browser, out)
    take_email(odoo, browser, out, workdir)
    take_letter(odoo, browser, out)
    take_customer_and_plan(odoo, browser, out)
    failed = []
    for shot in (
        take_send_print,
        take_log_call,
        take_dispute,
        take_statement,
        take_payer_and_prediction,
        take_dashboard,
        take_self_service,
        take_plan_to_approve,
    ):
        # One broken flow must not cost the other pictures; the run still fails.
        try:
            shot(odoo, browser, out)
        except RuntimeError as error:
            print(f"   FAILED {shot.__name__}: {error}")
            failed.append(shot.__name__)
            browser.resize(WIDTH, HEIGHT)
    if failed:
        sys.exit(f"pictures not taken: {', '.join(failed)}")


def take_menu(odoo, browser, out):
    print("== the Collections app, as the demo collector")
    browser.login_as(odoo, "collector")
    open_backend(odoo, browser)
    browser.click(".o_main_navbar .o_menu_sections button", "Follow-up")
    browser.wait(".o-dropdown--menu .dropdown-item")
    browser.screenshot(
        out / "collections_menu.png", clip={"x": 0, "y": 0, "width": WIDTH, "height": 420}
    )
    browser.login_as(odoo)


def take_run(odoo, browser, out):
    print("== overdue invoices")
    browser.open_menu(odoo, "account_dunning.menu_collections_invoices", ".o_list_view .o_data_row")
    browser.screenshot(out / "overdue_invoices.png")

    print("== run preview")
    company_id = odoo.ref("base.main_company")
    company = odoo.call("res.company", "read", [company_id], ["dunning_default_policy_id"])[0]
    policy_id = company["dunning_default_policy_id"][0]
    odoo.call("dunning.policy", "write", [policy_id], {"start_at_matching_level": True})
    run_id = odoo.call("dunning.run", "create", {"company_id": company_id})
    odoo.call("dunning.run", "action_preview", [run_id])
    browser.login_as(odoo, "collections_manager")
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_runs",
        ".o_form_view .o_field_widget[name=line_ids] .o_data_row",
        action="account_dunning.action_dunning_run",
        res_id=run_id,
    )
    browser.screenshot(out / "run_preview.png")
    browser.login_as(odoo)

    print("== execute the run, then its history")
    odoo.call("dunning.run", "action_execute", [run_id])
    browser.open_menu(odoo, "account_dunning.menu_collections_history", ".o_list_view .o_data_row")
    browser.screenshot(out / "history.png")


def take_worklist(odoo, browser, out):
    print("== the worklist, after the run ranked the customers")
    browser.open_menu(odoo, "account_dunning.menu_collections_worklist", ".o_searchview_facet")
    # The demo customers have no collector: everyone's worklist, not the admin's.
    browser.click(".o_searchview_facet .o_facet_remove")
    browser.wait(".o_list_view .o_data_row")
    browser.screenshot(out / "worklist.png")


def take_email(odoo, browser, out, workdir):
    print("== the reminder email, as queued")
    mails = odoo.call(
        "mail.mail",
        "search_read",
        [("model", "=", "res.partner"), ("message_type", "=", "comment")],
        [
            "res_id",
            "email_from",
            "email_to",
            "recipient_ids",
            "subject",
            "body_html",
            "attachment_ids",
        ],
        order="id",
    )
    if not mails:
        raise RuntimeError("the run queued no email")
    # Alder Logistics' reminder: overdue invoices, sent to its accounts-payable contact.
    alder = odoo.ref("account_dunning.demo_partner_alder")
    mail = next((m for m in mails if m["res_id"] == alder), mails[0])
    mail["recipients"] = odoo.call("res.partner", "read", mail["recipient_ids"], ["email"])
    mail["recipients"] = [(p["id"], p["email"]) for p in mail["recipients"]]
    attachments = [
        a["name"] for a in odoo.call("ir.attachment", "read", mail["attachment_ids"], ["name"])
    ]
    page = pathlib.Path(workdir, "reminder_email.html")
    page.write_text(email_page(mail, attachments), encoding="utf-8")
    browser.resize(1000, 820)
    browser.open(page.as_uri(), "#body")
    height = browser.evaluate("document.documentElement.scrollHeight")
    browser.screenshot(
        out / "reminder_email.png", clip={"x": 0, "y": 0, "width": 1000, "height": height + 20}
    )
    browser.resize(WIDTH, HEIGHT)


def take_letter(odoo, browser, out):
    print("== the dunning letter")
    letters = odoo.call(
        "dunning.event", "search_read", [("channel", "=", "letter")], ["id"], limit=1
    )
    if letters:
        browser.resize(820, 1160)
        browser.open(
            f"{odoo.url}/report/html/account_dunning.report_dunning_letter/{letters[0]['id']}",
            "main, .page, .article",
        )
        height = browser.evaluate("document.documentElement.scrollHeight")
        browser.screenshot(
            out / "dunning_letter.png",
            clip={"x": 0, "y": 0, "width": 820, "height": min(height, 1160)},
        )
    else:
        print("   no letter in this run: dunning_letter.png left as it was")
    browser.resize(WIDTH, HEIGHT)


def take_customer_and_plan(odoo, browser, out):
    print("== a customer's Collections tab")
    partner_id = odoo.ref("account_dunning.demo_partner_cedar")
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_customers",
        ".o_form_view .o_notebook",
        action="account_dunning.action_dunning_partners",
        res_id=partner_id,
    )
    browser.click(".o_notebook .nav-link", "Collections")
    browser.wait(".o_form_view .o_field_widget[name=dunning_policy_id]")
    browser.screenshot(out / "customer_collections.png")

    print("== a payment plan")
    invoice_ids = [
        odoo.ref("account_dunning.demo_invoice_alder_2"),
        odoo.ref("account_dunning.demo_invoice_alder_3"),
    ]
    context = {"active_model": "account.move", "active_ids": invoice_ids}
    wizard_id = odoo.call(
        "dunning.payment.plan.wizard",
        "create",
        {"installment_count": 4, "send_agreement": False},
        context=context,
    )
    action = odoo.call(
        "dunning.payment.plan.wizard", "action_confirm", [wizard_id], context=context
    )
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_payment_plans",
        ".o_form_view .o_field_widget[name=installment_ids] .o_data_row",
        action="account_dunning.action_dunning_payment_plan",
        res_id=action["res_id"],
    )
    browser.screenshot(out / "payment_plan.png")


MODAL = ".modal .o_form_view"


def open_backend(odoo, browser):
    browser.open_menu(odoo, "account_dunning.menu_collections_worklist", ".o_control_panel")


def take_send_print(odoo, browser, out):
    print("== Send & Print on a customer")
    partner_id = odoo.ref("account_dunning.demo_partner_birch")
    action = odoo.call("res.partner", "action_dunning_send_print", [partner_id])
    open_backend(odoo, browser)
    browser.do_action(action, MODAL)
    browser.screenshot(out / "send_print.png", clip=browser.clip_of(".modal-content"))
    # A taller window: the dialog shows the whole message without scrolling.
    browser.resize(WIDTH, 1700)
    browser.click(".modal .o_notebook .nav-link", "Email")
    browser.wait(".modal .o_field_widget[name=mail_body]")
    browser.screenshot(out / "send_print_preview.png", clip=browser.clip_of(".modal-content"))
    browser.resize(WIDTH, HEIGHT)
    browser.click(".modal .btn-close")


def take_log_call(odoo, browser, out):
    print("== Log call from a call activity: promised to pay")
    partner_id = odoo.ref("account_dunning.demo_partner_elm")
    call_type = odoo.ref("account_dunning.mail_activity_type_dunning_call")
    [activity] = odoo.call(
        "mail.activity",
        "search_read",
        [
            ("activity_type_id", "=", call_type),
            ("res_model", "=", "res.partner"),
            ("res_id", "=", partner_id),
        ],
        ["id"],
        limit=1,
    ) or [None]
    if activity:
        activity_id = activity["id"]
    else:
        model_id = odoo.call("ir.model", "search_read", [("model", "=", "res.partner")], ["id"])[0][
            "id"
        ]
        activity_id = odoo.call(
            "mail.activity",
            "create",
            {
                "activity_type_id": call_type,
                "res_model_id": model_id,
                "res_id": partner_id,
                "summary": "Collections call",
            },
        )
    action = odoo.call("mail.activity", "action_dunning_log_call", [activity_id])
    promised = odoo.call("dunning.promise", "search_count", [])
    action["context"].update(
        default_outcome="promised",
        default_note="Accounts payable confirms the transfer next week.",
        default_promise_date=str(datetime.date.today() + datetime.timedelta(days=7)),
    )
    # Jordan Elm's collector (demo_user_collector_2) logs the call.
    browser.login_as(odoo, "collector2")
    open_backend(odoo, browser)
    browser.do_action(action, MODAL + " .o_field_widget[name=promise_amount]")
    browser.screenshot(out / "log_call.png", clip=browser.clip_of(".modal-content"))
    browser.click(".modal-footer button[name=action_confirm]")
    deadline = time.monotonic() + 30
    while odoo.call("dunning.promise", "search_count", []) == promised:
        if time.monotonic() > deadline:
            raise RuntimeError("Log call with outcome 'promised' created no promise")
        time.sleep(0.5)
    print("   the call created a promise")
    browser.login_as(odoo)


def take_dispute(odoo, browser, out):
    print("== a dispute")
    partner_id = odoo.ref("account_dunning.demo_partner_cedar")
    invoices = odoo.call(
        "account.move",
        "search_read",
        [
            ("partner_id", "=", partner_id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ],
        ["id"],
        order="invoice_date_due",
        limit=1,
    )
    if not invoices:
        raise RuntimeError("no open invoice to dispute")
    reason_ids = odoo.call("dunning.dispute.reason", "search", [], limit=1)
    dispute_id = odoo.call(
        "dunning.dispute",
        "create",
        {
            "partner_id": partner_id,
            "move_ids": [(6, 0, [invoices[0]["id"]])],
            "reason_id": reason_ids[0],
            "note": "Two of the twelve pallets arrived damaged.",
        },
    )
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_disputes",
        ".o_form_view .o_field_widget[name=move_ids] .badge",
        action="account_dunning.action_dunning_dispute",
        res_id=dispute_id,
    )
    browser.screenshot(out / "dispute.png")


def take_statement(odoo, browser, out):
    print("== the statement of account")
    partner_id = odoo.ref("account_dunning.demo_partner_alder")
    browser.resize(820, 1160)
    browser.open(
        f"{odoo.url}/report/html/account_dunning.report_dunning_statement/{partner_id}",
        "main, .page, .article",
    )
    height = browser.evaluate("document.documentElement.scrollHeight")
    browser.screenshot(
        out / "statement.png", clip={"x": 0, "y": 0, "width": 820, "height": min(height, 1400)}
    )
    browser.resize(WIDTH, HEIGHT)


def take_payer_and_prediction(odoo, browser, out):
    print("== the payer profile of a customer")
    # The demo customers paid nothing yet: Birch Studio pays its oldest invoice today,
    # a month late, so the profile has one payment to describe.
    birch_invoice = odoo.call(
        "account.move",
        "search",
        [
            ("partner_id", "=", odoo.ref("account_dunning.demo_partner_birch")),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "=", "not_paid"),
        ],
        order="invoice_date_due, id",
        limit=1,
    )
    # Acme Corporation pays its two oldest invoices of the main company (Odoo's demo has
    # a second company with invoices of the same names): with three paid invoices the
    # company has history enough to predict payment dates (tools/prediction.py).
    acme_invoices = odoo.call(
        "account.move",
        "search",
        [
            ("partner_id.name", "=", "Acme Corporation"),
            ("company_id", "=", odoo.ref("base.main_company")),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "=", "not_paid"),
        ],
        order="invoice_date_due, id",
        limit=2,
    )
    for invoice in birch_invoice + acme_invoices:
        context = {"active_model": "account.move", "active_ids": [invoice]}
        register_id = odoo.call("account.payment.register", "create", {}, context=context)
        odoo.call(
            "account.payment.register", "action_create_payments", [register_id], context=context
        )
    partners = odoo.call(
        "res.partner",
        "search_read",
        [
            (
                "id",
                "in",
                [
                    odoo.ref(f"account_dunning.demo_partner_{n}")
                    for n in ("alder", "birch", "cedar", "elm")
                ],
            )
        ],
        ["dunning_payer_paid_count"],
    )
    partner = max(partners, key=lambda p: p["dunning_payer_paid_count"])
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_customers",
        ".o_form_view .o_notebook",
        action="account_dunning.action_dunning_partners",
        res_id=partner["id"],
    )
    browser.click(".o_notebook .nav-link", "Collections")
    selector = ".o_form_view .o_group:has(.o_field_widget[name=dunning_payer_band])"
    browser.wait(selector)
    browser.screenshot(out / "payer_profile.png", clip=browser.clip_of(selector, pad=16))

    print("== the predicted payment date of an invoice")
    # Not stored (computed from the payer's history): read it, do not search on it.
    invoices = odoo.call(
        "account.move",
        "search_read",
        [
            ("company_id", "=", odoo.ref("base.main_company")),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ],
        ["dunning_predicted_date"],
        order="invoice_date_due, id",
    )
    invoices = [invoice for invoice in invoices if invoice["dunning_predicted_date"]]
    if not invoices:
        raise RuntimeError("no invoice with a predicted payment date")
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_invoices",
        ".o_form_view .o_notebook",
        action="account_dunning.action_dunning_overdue_invoices",
        res_id=invoices[0]["id"],
    )
    browser.click(".o_notebook .nav-link", "Collections")
    selector = ".o_form_view .o_group:has(.o_field_widget[name=dunning_predicted_date])"
    browser.wait(selector)
    browser.screenshot(out / "predicted_date.png", clip=browser.clip_of(selector, pad=16))


def take_dashboard(odoo, browser, out):
    print("== Collections Dashboard")
    browser.open_menu(
        odoo, "account_dunning.menu_collections_kpi_report", ".o_graph_canvas_container canvas"
    )
    browser.screenshot(out / "dashboard.png")


def take_self_service(odoo, browser, out):
    print("== the customer's self-service page on a phone")
    mails = odoo.call(
        "mail.mail", "search_read", [("body_html", "ilike", "/dunning/account/")], ["body_html"]
    )
    if not mails:
        raise RuntimeError("no queued email carries the self-service link")
    match = re.search(r'href="([^"]*/dunning/account/[^"]+)"', mails[0]["body_html"])
    url = html.unescape(match.group(1))
    url = odoo.url + url[url.index("/dunning/account/") :]
    # A visitor without a session, as the customer opening the link.
    browser.call("Network.clearBrowserCookies")
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=390,
        height=844,
        deviceScaleFactor=1,
        mobile=True,
    )
    browser.open(url, ".o_dunning_promise")
    browser.screenshot(out / "self_service_phone.png")
    browser.evaluate(
        "(() => { const d = document.querySelector('.o_dunning_promise');"
        " d.open = true; d.scrollIntoView({block: 'start'}); return true; })()"
    )
    time.sleep(0.5)
    browser.screenshot(out / "self_service_phone_promise.png")
    # The customer asks for twelve monthly installments: beyond the demo policy's
    # limits, so the request waits for a collector's approval.
    first = datetime.date.today() + datetime.timedelta(days=10)
    browser.evaluate(
        "(() => { const d = document.querySelector('.o_dunning_plan'); d.open = true;"
        " d.querySelector('[name=installment_count]').value = '12';"
        f" d.querySelector('[name=first_date]').value = '{first.isoformat()}';"
        " d.querySelector('form').submit(); return true; })()"
    )
    browser.wait(".o_dunning_plan_pending, .alert")
    browser.resize(WIDTH, HEIGHT)


def take_plan_to_approve(odoo, browser, out):
    print("== a plan asked for online, To Approve, as the manager")
    plans = odoo.call(
        "dunning.payment.plan", "search_read", [("state", "=", "pending")], ["id"], limit=1
    )
    if not plans:
        raise RuntimeError("the online plan request left no plan To Approve")
    browser.login_as(odoo, "collections_manager")
    browser.open_menu(
        odoo,
        "account_dunning.menu_collections_payment_plans",
        ".o_form_view button[name=action_approve]",
        action="account_dunning.action_dunning_payment_plan",
        res_id=plans[0]["id"],
    )
    browser.screenshot(out / "plan_to_approve.png")
    browser.login_as(odoo)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="account_dunning_shots_")
    log_path = os.path.join(workdir, "odoo.log")
    odoo = Odoo(args, log_path)
    browser = None
    try:
        odoo.wait_ready()
        browser = Chromium(args.chromium)
        take(odoo, browser, args.out, workdir)
    finally:
        if browser:
            browser.stop()
        odoo.stop()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
