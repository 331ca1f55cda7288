#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

/* The one other owner accepted; -1 = none. Set once at start-up, before
   any thread. */
static uid_t secret_extra_owner = (uid_t)-1;

void
secret_allow_owner(uid_t uid)
{
	secret_extra_owner = uid;
}

int
secret_read(const char *base_dir, const char *file, size_t max, bool one_line,
	    char **data_r, size_t *len_r, char *error, size_t error_size)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, ret = -1;

	*data_r = NULL;
	if (file[0] != '/' && base_dir != NULL)
		n = snprintf(path, sizeof(path), "%s/%s", base_dir, file);
	else
		n = snprintf(path, sizeof(path), "%s", file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(error, error_size, "%.200s...: path too long", file);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW)) < 0) {
		snprintf(error, error_size, "%s: %s", path, errno == ELOOP ?
			 "a symbolic link; name the file itself" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(error, error_size, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(error, error_size, "%s: secret file is accessible by group or "
			 "others (mode %03o); refusing it, chmod 600 it", path,
			 (unsigned int)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != secret_extra_owner) {
		snprintf(error, error_size, "%s: secret file is owned by uid %u, not by "
			 "the user slaclock runs as (uid %u); refusing it", path,
			 (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto out;
	}
	if ((buf = malloc(max + 2)) == NULL) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	/* one byte over the cap tells a long file from one just at it */
	while (len < max + 1 && (n = read(fd, buf + len, max + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > max) {
		snprintf(error, error_size, "%s: longer than %zu bytes", path, max);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0) {
		snprintf(error, error_size, "%s: empty", path);
		goto out;
	}
	if (one_line && (memchr(buf, '\n', len) != NULL || memchr(buf, '\0', len) != NULL)) {
		snprintf(error, error_size, "%s: expected one line with the password", path);
		goto out;
	}
	*data_r = buf;
	*len_r = len;
	buf = NULL;
	ret = 0;
out:
	if (buf != NULL) {
		explicit_bzero(buf, max + 2);
		free(buf);
	}
	close(fd);
	return ret;
}

void
secret_free(char **data, size_t len)
{
	if (*data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}
