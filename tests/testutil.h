/* testutil - small helpers shared by the Check tests. */
#ifndef SLACLOCK_TESTUTIL_H
#define SLACLOCK_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp), removed by testutil_rmtree().
   Returns a malloc'ed path; aborts the test run on failure. */
char *testutil_tmpdir(void);
/* Remove PATH and everything below it. */
void testutil_rmtree(const char *path);
/* Read a whole file; returns malloc'ed bytes (NUL-terminated) or NULL. */
char *testutil_read_file(const char *path, size_t *len_r);
/* Write LEN bytes to PATH; 0 or -1. */
int testutil_write_file(const char *path, const void *buf, size_t len);
/* $top_srcdir (set by the test harness) or "." */
const char *testutil_srcdir(void);
/* Run every test of SUITE (and free it): EXIT_SUCCESS when they all
   passed, EXIT_FAILURE otherwise, for main() to return. */
int testutil_run(Suite *suite);
/* The shared corpora directory, or NULL (with a message on stderr saying
   the test is skipped) when it is absent. */
const char *testutil_corpora(void);

#endif
