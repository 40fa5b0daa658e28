"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every envelope it receives."""
import email
import email.message
import email.policy
import socket

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Keeps each envelope in `messages`; refuses (550) the recipients in `refuse`, accepts the
    rest."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)  # what aiosmtpd does without this hook
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def emails(self) -> list[email.message.EmailMessage]:
        """The messages received so far, parsed as a mail client reads them."""
        return [email.message_from_bytes(envelope.content, policy=email.policy.default)
                for envelope in self.messages]


def start(handler, port: int | None = None) -> Controller:
    """Serve `handler` on 127.0.0.1 (on `port`, or a free one); the caller stops the controller."""
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller


def mail_config(controller: Controller) -> dict:
    """The app settings that send mail to ``controller``'s sink."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port,
            "MAIL_DEFAULT_SENDER": "cosign <noreply@cosign.test>"}
