#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

char *
testutil_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/slaclock-test.XXXXXX", base) < 0)
		abort();
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

void
testutil_rmtree(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			char *child;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
				abort();
			testutil_rmtree(child);
			free(child);
		}
		closedir(dir);
	}
	rmdir(path);
}

char *
testutil_read_file(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap == 0 ? 65536 : cap * 2;
			buf = realloc(buf, cap + 1);
			if (buf == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	fclose(fp);
	buf[len] = '\0';
	if (len_r != NULL)
		*len_r = len;
	return buf;
}

int
testutil_write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");
	int ret = 0;

	if (fp == NULL)
		return -1;
	if (fwrite(buf, 1, len, fp) != len)
		ret = -1;
	if (fclose(fp) != 0)
		ret = -1;
	return ret;
}

const char *
testutil_srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s != NULL && *s != '\0' ? s : ".";
}

const char *
testutil_corpora(void)
{
	const char *dir = getenv("SLACLOCK_CORPORA");
	struct stat st;

	if (dir == NULL || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "SKIP: corpora not found (%s); set SLACLOCK_CORPORA\n",
			dir != NULL ? dir : "SLACLOCK_CORPORA unset");
		return NULL;
	}
	return dir;
}

int
testutil_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
