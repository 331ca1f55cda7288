#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "tls.h"

static int
tls_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
tls_fingerprint_parse(const char *text, unsigned char out[TLS_SHA256_LEN],
		      const char **error_r)
{
	size_t n = 0;
	const char *p = text;

	while (*p != '\0') {
		int hi, lo;

		if (n == TLS_SHA256_LEN) {
			*error_r = "fingerprint is longer than a SHA-256 digest";
			return -1;
		}
		hi = tls_hexval((unsigned char)p[0]);
		lo = hi < 0 ? -1 : tls_hexval((unsigned char)p[1]);
		if (hi < 0 || lo < 0) {
			*error_r = "fingerprint is not hex (64 digits, colons optional)";
			return -1;
		}
		out[n++] = (unsigned char)(hi << 4 | lo);
		p += 2;
		if (*p == ':' && p[1] != '\0')
			p++;
	}
	if (n != TLS_SHA256_LEN) {
		*error_r = "fingerprint is shorter than a SHA-256 digest (64 hex digits)";
		return -1;
	}
	return 0;
}

static void
tls_digest_hex(const unsigned char *d, char out[TLS_FINGERPRINT_HEX_SIZE])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < TLS_SHA256_LEN; i++) {
		out[i * 3] = hex[d[i] >> 4];
		out[i * 3 + 1] = hex[d[i] & 0xf];
		out[i * 3 + 2] = i + 1 < TLS_SHA256_LEN ? ':' : '\0';
	}
}

static int
tls_sha256(const unsigned char *der, size_t len, unsigned char out[TLS_SHA256_LEN])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, out) < 0 ? -1 : 0;
}

void
tls_fingerprint_hex(const unsigned char *der, size_t der_len,
		    char out[TLS_FINGERPRINT_HEX_SIZE])
{
	unsigned char d[TLS_SHA256_LEN];

	if (tls_sha256(der, der_len, d) < 0)
		memset(d, 0, sizeof(d));
	tls_digest_hex(d, out);
}

int
tls_verify_chain(const struct tls_policy *policy,
		 const unsigned char *const *der, const size_t *der_len,
		 size_t count, char error[TLS_ERROR_MAX])
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[TLS_CHAIN_MAX];
	char fp[TLS_FINGERPRINT_HEX_SIZE];
	unsigned char digest[TLS_SHA256_LEN], pin[TLS_SHA256_LEN];
	unsigned int voutput = 0;
	size_t ncrt = 0, i;
	const char *host = policy->host != NULL ? policy->host : "(unknown host)";
	const char *perr;
	int ret = -1, r;

	error[0] = '\0';
	if (count == 0) {
		snprintf(error, TLS_ERROR_MAX,
			 "%s: server presented no TLS certificate", host);
		return -1;
	}
	if (count > TLS_CHAIN_MAX)
		count = TLS_CHAIN_MAX;
	if (tls_sha256(der[0], der_len[0], digest) < 0) {
		snprintf(error, TLS_ERROR_MAX, "%s: cannot hash the certificate", host);
		return -1;
	}
	tls_digest_hex(digest, fp);

	if (policy->fingerprint != NULL && policy->fingerprint[0] != '\0') {
		if (tls_fingerprint_parse(policy->fingerprint, pin, &perr) < 0) {
			snprintf(error, TLS_ERROR_MAX, "%s: pinned %s", host, perr);
			return -1;
		}
		if (memcmp(pin, digest, sizeof(pin)) != 0) {
			snprintf(error, TLS_ERROR_MAX,
				 "%s: certificate refused: SHA-256 fingerprint %s "
				 "does not match the pinned one", host, fp);
			return -1;
		}
		return 0;
	}

	for (i = 0; i < count; i++) {
		gnutls_datum_t d = { (unsigned char *)der[i], (unsigned int)der_len[i] };

		if (gnutls_x509_crt_init(&crts[ncrt]) < 0) {
			snprintf(error, TLS_ERROR_MAX, "%s: out of memory", host);
			goto out;
		}
		ncrt++;
		if (gnutls_x509_crt_import(crts[ncrt - 1], &d, GNUTLS_X509_FMT_DER) < 0) {
			snprintf(error, TLS_ERROR_MAX,
				 "%s: certificate refused: cannot parse it "
				 "(SHA-256 fingerprint %s)", host, fp);
			goto out;
		}
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		snprintf(error, TLS_ERROR_MAX, "%s: out of memory", host);
		goto out;
	}
	if (policy->ca_file != NULL && policy->ca_file[0] != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(tl, policy->ca_file, NULL,
							  GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			snprintf(error, TLS_ERROR_MAX,
				 "%s: no CA certificate could be read from %s%s%s",
				 host, policy->ca_file, r < 0 ? ": " : "",
				 r < 0 ? gnutls_strerror(r) : "");
			goto out;
		}
	} else {
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
		if (r <= 0) {
			snprintf(error, TLS_ERROR_MAX,
				 "%s: certificate refused: the system trust store "
				 "is empty or unreadable (SHA-256 fingerprint %s; "
				 "set ca_file or fingerprint)", host, fp);
			goto out;
		}
	}
	r = gnutls_x509_trust_list_verify_crt(tl, crts, (unsigned int)ncrt, 0,
					      &voutput, NULL);
	if (r < 0 || voutput != 0) {
		gnutls_datum_t why = { NULL, 0 };

		if (r >= 0)
			gnutls_certificate_verification_status_print(voutput,
				GNUTLS_CRT_X509, &why, 0);
		snprintf(error, TLS_ERROR_MAX,
			 "%s: certificate refused: %s (SHA-256 fingerprint %s; "
			 "to trust it set ca_file, or fingerprint = %s)", host,
			 r < 0 ? gnutls_strerror(r) :
			 why.data != NULL ? (const char *)why.data : "not trusted",
			 fp, fp);
		gnutls_free(why.data);
		goto out;
	}
	if (policy->host == NULL || gnutls_x509_crt_check_hostname(crts[0], host) == 0) {
		snprintf(error, TLS_ERROR_MAX,
			 "%s: certificate refused: it is not valid for this host "
			 "name (SHA-256 fingerprint %s)", host, fp);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	return ret;
}

int
tls_verify_stream(const struct tls_policy *policy, mailstream *stream,
		  char error[TLS_ERROR_MAX])
{
	const unsigned char *der[TLS_CHAIN_MAX];
	size_t len[TLS_CHAIN_MAX];
	carray *chain;
	unsigned int i, n;
	int ret;

	chain = mailstream_get_certificate_chain(stream);
	if (chain == NULL || carray_count(chain) == 0) {
		if (chain != NULL)
			mailstream_certificate_chain_free(chain);
		snprintf(error, TLS_ERROR_MAX, "%s: no TLS certificate on the connection",
			 policy->host != NULL ? policy->host : "(unknown host)");
		return -1;
	}
	n = carray_count(chain);
	if (n > TLS_CHAIN_MAX)
		n = TLS_CHAIN_MAX;
	for (i = 0; i < n; i++) {
		MMAPString *s = carray_get(chain, i);

		der[i] = (const unsigned char *)s->str;
		len[i] = s->len;
	}
	ret = tls_verify_chain(policy, der, len, n, error);
	mailstream_certificate_chain_free(chain);
	return ret;
}
