/* tls - verify an IMAP server's certificate, because Debian's libetpan does
 * not: it completes any handshake and leaves the check to its caller.
 *
 * A certificate is accepted when either
 *   - a SHA-256 pin is configured and the leaf certificate's digest equals
 *     it (the pin replaces CA and host name checks: it names the one
 *     certificate), or
 *   - no pin is configured, the chain verifies against the configured CA
 *     file (or else the system trust store), and the leaf certificate is
 *     valid for the host name (or IP address) that was dialled.
 *
 * Error contract: 0 on success, -1 with a message in the caller's ERROR
 * buffer (TLS_ERROR_MAX bytes). A refusal names the host and the leaf
 * certificate's SHA-256 fingerprint, so an administrator can check it and
 * pin it.
 */
#ifndef SLACLOCK_TLS_H
#define SLACLOCK_TLS_H

#include <stddef.h>

#define TLS_ERROR_MAX 512
#define TLS_SHA256_LEN 32
/* "AB:CD:..." with colons, NUL included */
#define TLS_FINGERPRINT_HEX_SIZE (TLS_SHA256_LEN * 3)
#define TLS_CHAIN_MAX 16           /* certificates looked at from the peer */

struct tls_policy {
	const char *host;          /* the name or address dialled */
	const char *ca_file;       /* PEM bundle; NULL = the system store */
	const char *fingerprint;   /* SHA-256 pin as hex, colons optional; NULL = none */
};

struct _mailstream;

/* Parse a SHA-256 fingerprint given as 64 hex digits, optionally in pairs
   separated by colons, any case. 0 or -1 with *error_r (static). */
int tls_fingerprint_parse(const char *text, unsigned char out[TLS_SHA256_LEN],
			  const char **error_r);

/* The SHA-256 fingerprint of DER as upper-case colon-separated hex. */
void tls_fingerprint_hex(const unsigned char *der, size_t der_len,
			 char out[TLS_FINGERPRINT_HEX_SIZE]);

/* Verify a peer chain given as DER certificates, leaf first. */
int tls_verify_chain(const struct tls_policy *policy,
		     const unsigned char *const *der, const size_t *der_len,
		     size_t count, char error[TLS_ERROR_MAX]);

/* Verify the peer of an established libetpan TLS stream. */
int tls_verify_stream(const struct tls_policy *policy, struct _mailstream *stream,
		      char error[TLS_ERROR_MAX]);

#endif
