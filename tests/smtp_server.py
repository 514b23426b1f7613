"""A real SMTP server for tests and scripts: aiosmtpd on 127.0.0.1, every message kept.

From a plain script (e.g. beside an ``odoo-bin`` server process)::

    sink = SmtpSink().start()
    ... odoo-bin --smtp-server 127.0.0.1 --smtp-port sink.port, or an ir.mail_server
        created with sink.mail_server_vals() ...
    sink.wait_for(3)
    for message in sink.messages: print(message["To"], message["Subject"])
    sink.stop()

From an Odoo test case::

    with SmtpSink() as sink, sink.delivering(self.env):
        self.env["mail.mail"].process_email_queue()
    message = sink.messages[-1]

Nothing here imports Odoo at module level: a script without Odoo can use the sink.
"""

import email
import email.policy
import logging
import socket
import threading
import time
from contextlib import contextmanager
from unittest.mock import patch

from aiosmtpd.controller import Controller

# aiosmtpd logs every connection at INFO ("mail.log"): a test run shows its warnings only.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Keeper:
    """aiosmtpd handler: parses and keeps every message delivered to the server."""

    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink._lock:
            self.sink.envelopes.append(
                {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)}
            )
            self.sink.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port(host):
    # aiosmtpd's Controller checks that its server answers on the given port, so it
    # needs a real one (not 0): ask the system for a free one.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An SMTP server on ``host``:``port`` (default: a free port on 127.0.0.1) that
    accepts every message and keeps it: ``messages`` (email.message.EmailMessage, in
    the order received) and ``envelopes`` (``mail_from``, ``rcpt_tos`` of each)."""

    def __init__(self, host="127.0.0.1", port=None):
        self.host = host
        self.port = port
        self.messages = []
        self.envelopes = []
        self._lock = threading.Lock()
        self._controller = None

    # ------------------------------------------------------------- life cycle

    def start(self):
        self.port = self.port or _free_port(self.host)
        self._controller = Controller(
            _Keeper(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def clear(self):
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()

    def wait_for(self, count, timeout=30.0):
        """Wait until ``count`` messages arrived (a server process sends on its own
        time); returns the messages, or raises TimeoutError with what did arrive."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(self.messages)} of {count} messages arrived at {self.host}:{self.port}"
                )
            time.sleep(0.1)
        return list(self.messages)

    # ------------------------------------------------------------------- Odoo

    def mail_server_vals(self, name="Test SMTP sink", from_filter=False):
        """Values of an ``ir.mail_server`` that sends to this sink (plain SMTP, no
        login), first in Odoo's choice of servers (sequence 1). ``from_filter``: the
        domains or addresses it sends as (Odoo's "FROM Filtering"); without one, Odoo
        sends every email as its notifications address (ir.mail_server._find_mail_server)."""
        return {
            "name": name,
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_encryption": "none",
            "smtp_authentication": "login",
            "smtp_user": False,
            "smtp_pass": False,
            "from_filter": from_filter,
            "sequence": 1,
        }

    def create_mail_server(self, env, name="Test SMTP sink", from_filter=False):
        """Create the ``ir.mail_server`` of this sink in ``env`` (as superuser)."""
        return env["ir.mail_server"].sudo().create(self.mail_server_vals(name, from_filter))

    def deliver_queue(self, env, from_filter=False):
        """Odoo's mail queue of ``env``, as its scheduled action runs it, delivered to
        this sink; the messages this call delivered."""
        before = len(self.messages)
        with self.delivering(env, from_filter=from_filter):
            env["mail.mail"].process_email_queue()
        return self.messages[before:]

    @contextmanager
    def delivering(self, env, from_filter=False):
        """Let Odoo's mail queue of ``env``'s database really send, to this sink only,
        inside the block: creates the sink's ir.mail_server (in the test's
        transaction, rolled back with it; ``from_filter`` as in mail_server_vals) and
        lifts Odoo's test-mode block.

        Why this way: Odoo blocks every SMTP connection and send while a test runs
        (``ir.mail_server._disable_send()``: ``current_test or pool._init``; read by
        ``_connect__``, ``send_email`` and ``mail.mail._send``). That one classmethod is
        the switch Odoo's own comment in ``mail.mail._send`` names ("skip sending
        e-mails unless monkeypatched"); patching it on this database's registry class,
        for this block only, keeps everything else of the queue real (batching,
        servers chosen by ``_find_mail_server``, MIME building, notification states)
        and cannot reach a real server: the sink's server comes first, and Odoo's
        fallback (the ``smtp_server`` option) is checked to be unset or local."""
        from odoo.tools import config  # noqa: PLC0415 (the sink works without Odoo)

        fallback = config.get("smtp_server") or "localhost"
        if fallback not in ("localhost", "127.0.0.1"):
            raise RuntimeError(f"refusing to lift the send block: smtp_server is {fallback}")
        server = self.create_mail_server(env, from_filter=from_filter)
        registry_class = env.registry["ir.mail_server"]
        # Keep the other half of Odoo's rule: never send while the registry loads.
        with patch.object(
            registry_class, "_disable_send", classmethod(lambda cls: bool(cls.pool._init))
        ):
            yield server
