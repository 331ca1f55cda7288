/* Certificates are made at test time with the openssl command line tool
   (Debian package "openssl"); the test skips when it is absent. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"

#define OPENSSL "/usr/bin/openssl"
#define KEY " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "

static char *tmp;

struct der {
	char *buf;
	size_t len;
};

static void
run(const char *what)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cd '%s' && %s", tmp, what);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

static void
make_certs(void)
{
	tmp = testutil_tmpdir();
	run(OPENSSL " req -x509" KEY "-days 2 -subj '/CN=slaclock test CA' "
	    "-keyout ca.key -out ca.pem 2>/dev/null");
	run(OPENSSL " req" KEY "-subj /CN=localhost -keyout srv.key -out srv.csr "
	    "2>/dev/null");
	run("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n"
	    "basicConstraints=CA:FALSE\\n' >ext");
	run(OPENSSL " x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -extfile ext -out srv.pem 2>/dev/null");
	run(OPENSSL " x509 -in srv.pem -outform DER -out srv.der");
	run(OPENSSL " req -x509" KEY "-days 2 -subj /CN=127.0.0.1 "
	    "-addext subjectAltName=IP:127.0.0.1 -keyout self.key -out self.pem "
	    "2>/dev/null");
	run(OPENSSL " x509 -in self.pem -outform DER -out self.der");
	run(OPENSSL " x509 -in self.pem -noout -fingerprint -sha256 "
	    "| sed 's/.*=//' >self.fp");
}

static void
free_certs(void)
{
	testutil_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

static char *
path(const char *name)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", tmp, name);
	return buf;
}

static struct der
load(const char *name)
{
	struct der d;

	d.buf = testutil_read_file(path(name), &d.len);
	ck_assert_ptr_nonnull(d.buf);
	return d;
}

static int
verify(const struct tls_policy *p, const char *file, char *error)
{
	struct der d = load(file);
	const unsigned char *der[1] = { (const unsigned char *)d.buf };
	size_t len[1] = { d.len };
	int ret = tls_verify_chain(p, der, len, 1, error);

	free(d.buf);
	return ret;
}

static char *
self_fp(void)
{
	size_t len;
	char *fp = testutil_read_file(path("self.fp"), &len);

	ck_assert_ptr_nonnull(fp);
	fp[strcspn(fp, "\n")] = '\0';
	ck_assert_uint_eq(strlen(fp), TLS_FINGERPRINT_HEX_SIZE - 1);
	return fp;
}

START_TEST(test_good_ca)
{
	char error[TLS_ERROR_MAX];
	char ca[1024];
	struct tls_policy p = { .host = "localhost" };

	snprintf(ca, sizeof(ca), "%s", path("ca.pem"));
	p.ca_file = ca;
	ck_assert_msg(verify(&p, "srv.der", error) == 0, "%s", error);
	p.host = "127.0.0.1";
	ck_assert_msg(verify(&p, "srv.der", error) == 0, "%s", error);
}
END_TEST

START_TEST(test_wrong_host)
{
	char error[TLS_ERROR_MAX], fp[TLS_FINGERPRINT_HEX_SIZE], ca[1024];
	struct tls_policy p = { .host = "imap.other.example" };
	struct der d = load("srv.der");

	snprintf(ca, sizeof(ca), "%s", path("ca.pem"));
	p.ca_file = ca;
	tls_fingerprint_hex((const unsigned char *)d.buf, d.len, fp);
	free(d.buf);
	ck_assert_int_eq(verify(&p, "srv.der", error), -1);
	ck_assert_ptr_nonnull(strstr(error, "imap.other.example"));
	ck_assert_ptr_nonnull(strstr(error, fp));
	ck_assert_ptr_nonnull(strstr(error, "host name"));
}
END_TEST

START_TEST(test_wrong_ca)
{
	char error[TLS_ERROR_MAX], ca[1024];
	struct tls_policy p = { .host = "localhost" };

	/* Signed by "slaclock test CA", checked against another root. */
	snprintf(ca, sizeof(ca), "%s", path("self.pem"));
	p.ca_file = ca;
	ck_assert_int_eq(verify(&p, "srv.der", error), -1);
	ck_assert_ptr_nonnull(strstr(error, "refused"));
}
END_TEST

START_TEST(test_missing_ca_file)
{
	char error[TLS_ERROR_MAX], ca[1024];
	struct tls_policy p = { .host = "localhost" };

	snprintf(ca, sizeof(ca), "%s", path("no-such-ca.pem"));
	p.ca_file = ca;
	ck_assert_int_eq(verify(&p, "srv.der", error), -1);
	ck_assert_ptr_nonnull(strstr(error, "no-such-ca.pem"));
}
END_TEST

START_TEST(test_self_signed_unpinned)
{
	char error[TLS_ERROR_MAX];
	struct tls_policy p = { .host = "127.0.0.1" };
	char *fp = self_fp();

	/* System store: nobody vouches for it. */
	ck_assert_int_eq(verify(&p, "self.der", error), -1);
	ck_assert_ptr_nonnull(strstr(error, "127.0.0.1"));
	/* The fingerprint we print is the one openssl prints. */
	ck_assert_msg(strstr(error, fp) != NULL, "%s lacks %s", error, fp);
	free(fp);
}
END_TEST

START_TEST(test_self_signed_as_ca)
{
	char error[TLS_ERROR_MAX], ca[1024];
	struct tls_policy p = { .host = "127.0.0.1" };

	snprintf(ca, sizeof(ca), "%s", path("self.pem"));
	p.ca_file = ca;
	ck_assert_msg(verify(&p, "self.der", error) == 0, "%s", error);
}
END_TEST

START_TEST(test_pinned)
{
	char error[TLS_ERROR_MAX], nocolon[80];
	struct tls_policy p = { .host = "127.0.0.1" };
	char *fp = self_fp();
	size_t i, o = 0;

	p.fingerprint = fp;
	ck_assert_msg(verify(&p, "self.der", error) == 0, "%s", error);
	/* The pin alone decides: the name does not matter. */
	p.host = "elsewhere.example";
	ck_assert_msg(verify(&p, "self.der", error) == 0, "%s", error);
	for (i = 0; fp[i] != '\0'; i++)
		if (fp[i] != ':')
			nocolon[o++] = (char)(fp[i] | 0x20);
	nocolon[o] = '\0';
	p.fingerprint = nocolon;
	ck_assert_msg(verify(&p, "self.der", error) == 0, "%s", error);

	/* A pin of another certificate refuses this one. */
	ck_assert_int_eq(verify(&p, "srv.der", error), -1);
	ck_assert_ptr_nonnull(strstr(error, "elsewhere.example"));
	ck_assert_ptr_nonnull(strstr(error, "pinned"));
	free(fp);
}
END_TEST

START_TEST(test_fingerprint_parse)
{
	unsigned char d[TLS_SHA256_LEN];
	char fp[TLS_FINGERPRINT_HEX_SIZE];
	const char *error;
	static const char ok[] =
		"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

	ck_assert_int_eq(tls_fingerprint_parse(ok, d, &error), 0);
	ck_assert_uint_eq(d[0], 0x00);
	ck_assert_uint_eq(d[10], 0xaa);
	ck_assert_uint_eq(d[31], 0xff);
	ck_assert_int_eq(tls_fingerprint_parse("0011", d, &error), -1);
	ck_assert_int_eq(tls_fingerprint_parse(
		"zz112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",
		d, &error), -1);
	ck_assert_int_eq(tls_fingerprint_parse(
		"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF00",
		d, &error), -1);
	ck_assert_int_eq(tls_fingerprint_parse("0:1", d, &error), -1);
	ck_assert_int_eq(tls_fingerprint_parse(
		"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
		"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:", d, &error), -1);
	tls_fingerprint_hex((const unsigned char *)"", 0, fp);
	/* SHA-256 of nothing */
	ck_assert_str_eq(fp, "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:"
			 "27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55");
}
END_TEST

START_TEST(test_empty_chain)
{
	char error[TLS_ERROR_MAX];
	struct tls_policy p = { .host = "mail.example" };

	ck_assert_int_eq(tls_verify_chain(&p, NULL, NULL, 0, error), -1);
	ck_assert_ptr_nonnull(strstr(error, "mail.example"));
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("verify");

	tcase_add_unchecked_fixture(tc, make_certs, free_certs);
	tcase_add_test(tc, test_good_ca);
	tcase_add_test(tc, test_wrong_host);
	tcase_add_test(tc, test_wrong_ca);
	tcase_add_test(tc, test_missing_ca_file);
	tcase_add_test(tc, test_self_signed_unpinned);
	tcase_add_test(tc, test_self_signed_as_ca);
	tcase_add_test(tc, test_pinned);
	tcase_add_test(tc, test_fingerprint_parse);
	tcase_add_test(tc, test_empty_chain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (access(OPENSSL, X_OK) != 0) {
		fprintf(stderr, "test_tls: skipped, %s not installed "
			"(Debian package openssl)\n", OPENSSL);
		return 77;
	}
	return testutil_run(tls_suite());
}
