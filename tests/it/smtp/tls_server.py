"""A TLS SMTP server for tests/it/smtp_tls.sh: aiosmtpd with the Sink of
slaclock_sink.py, on STARTTLS or SMTPS, optionally requiring AUTH.

  tls_server.py starttls|smtps PORT CERT KEY DIR [USER PASSWORD_FILE]

aiosmtpd's command line has no AUTH and its Controller cannot start an
SMTPS server on 1.4 (its readiness probe wraps a client socket in the
server's context), so this runs the loop itself, as aiosmtpd's main does.
With STARTTLS, TLS is required before MAIL (require_starttls); AUTH is
only offered over TLS (auth_require_tls, the default).
"""
import asyncio
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from slaclock_sink import Sink


def main():
    mode, port, cert, key, box = sys.argv[1:6]
    user = password = None
    if len(sys.argv) == 8:
        user = sys.argv[6]
        with open(sys.argv[7]) as f:
            password = f.readline().rstrip('\n')
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    handler = Sink(box)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login.decode() == user and
              auth_data.password.decode() == password)
        with open(box + '/auth', 'a') as f:
            f.write('%s %s %s\n' % (mechanism, auth_data.login.decode()
                                    if isinstance(auth_data, LoginPassword) else '?',
                                    'ok' if ok else 'refused'))
        return AuthResult(success=ok)

    params = {}
    if user is not None:
        params.update(authenticator=authenticator, auth_required=True)
    if mode == 'starttls':
        def factory():
            return SMTP(handler, tls_context=ctx, require_starttls=True, **params)
        server_ssl = None
    elif mode == 'smtps':
        def factory():
            return SMTP(handler, **params)
        server_ssl = ctx
    else:
        sys.exit('mode must be starttls or smtps')
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(factory, '127.0.0.1', int(port), ssl=server_ssl))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print('listening', flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == '__main__':
    main()
