"""An aiosmtpd handler for tests/it/smtp.sh.

Unlike aiosmtpd.handlers.Mailbox, which parses and re-serialises each
message (and adds X-Peer and friends), this keeps the DATA bytes exactly as
they arrived, one file per message in DIR/new/, so the test can check them
byte-wise. It also refuses on purpose, by recipient local part:
  reject@...  550 on RCPT, every time
  flaky@...   451 on RCPT the first time that address is seen, then accepts
"""
import os
import time


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.flaky_seen = set()
        self.count = 0
        os.makedirs(os.path.join(directory, 'new'), exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error('Sink needs a directory')
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split('@')[0].lower()
        if local == 'reject':
            return '550 5.1.1 No such user here'
        if local == 'flaky' and address not in self.flaky_seen:
            self.flaky_seen.add(address)
            return '451 4.3.0 Try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = '%d.%d.%d.eml' % (time.time_ns(), os.getpid(), self.count)
        tmp = os.path.join(self.dir, '.tmp-' + name)
        with open(tmp, 'wb') as f:
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.dir, 'new', name))
        with open(os.path.join(self.dir, 'envelopes'), 'a') as f:
            f.write('%s %s\n' % (envelope.mail_from, ','.join(envelope.rcpt_tos)))
        return '250 Message accepted for delivery'
