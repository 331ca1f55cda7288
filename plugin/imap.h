/* imap - the IMAP source of slaclockd: one read-only client per folder.
 *
 * Each folder of an account has its own connection (IDLE watches one
 * mailbox per connection). A folder connects, logs in, EXAMINEs the
 * mailbox (read-only: the server cannot change a flag for us), fetches the
 * UIDs after the last one stored and then their bodies with BODY.PEEK[] in
 * batches, each batch one store transaction together with the folder's
 * sync state. It then waits in IDLE (re-issued every IMAP_IDLE_RENEW_SECS)
 * or polls at poll_interval. It never STOREs, EXPUNGEs or COPYs.
 *
 * A UIDVALIDITY change resyncs the folder from UID 1; the events' external
 * ids (Message-ID or digest) keep that from adding duplicates.
 *
 * Any failure drops the connection and retries after an exponential
 * backoff with jitter (1 s doubling to 5 min); a line is logged when a
 * folder's state or error changes, not at every retry.
 *
 * libetpan is blocking: each step runs from a loop callback, one batch at
 * a time, and mailstream_network_delay bounds every read and write. A
 * backlog of more than one batch (the initial sync) is pipelined: a fetch
 * thread owns the connection until the backlog is fetched, fetching and
 * parsing the next batch while the loop thread stores the last one, in
 * order; only the loop thread touches the store.
 */
#ifndef SLACLOCK_IMAP_H
#define SLACLOCK_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct loop;
struct store;

#define IMAP_FOLDERS_MAX 32
#define IMAP_PASSWORD_MAX 1024
#define IMAP_BATCH_MESSAGES 500
/* A bulk sync's batches (the fetch thread's): each is one transaction,
   and every commit writes each index page it touched again, so fewer,
   larger ones store a backlog faster: 100,000 messages from a local
   Dovecot at 20,100 msg/s with 500, 26,200 with 2,000, 28,400 with 5,000
   (peak RSS of the sync ~200 MB, most of it SQLite's bulk cache; the
   daemon drops back to its small cache when the sync is done). */
#define IMAP_BULK_BATCH_MESSAGES 5000
#define IMAP_BATCH_BYTES (64u * 1024 * 1024)
#define IMAP_UIDS_MAX 5000000          /* UIDs listed per sync round */
#define IMAP_NETWORK_TIMEOUT_SECS 30
#define IMAP_IDLE_RENEW_SECS (28 * 60)  /* RFC 2177: before 29 minutes */
#define IMAP_BACKOFF_MIN_MS 1000
#define IMAP_BACKOFF_MAX_MS (5 * 60 * 1000)
#define IMAP_NAME_MAX 256

enum imap_tls {
	IMAP_TLS_IMAPS = 0,
	IMAP_TLS_STARTTLS,
	IMAP_TLS_NONE,        /* only to 127.0.0.1 / ::1 / localhost */
};

/* One [imap NAME] section. All strings malloc'ed, owned by the struct. */
struct imap_account {
	char *name;
	char *host;
	uint16_t port;             /* 0 = 993 for imaps, 143 otherwise */
	enum imap_tls tls;
	char *username;
	char *password_file;
	char *folders[IMAP_FOLDERS_MAX];
	size_t folder_count;       /* 0 = INBOX and Sent */
	char *ca_file;
	char *fingerprint;
	int64_t poll_interval_secs;  /* 60 */
	bool idle;                 /* use IDLE when the server has it: yes */
};

/* Set *acct to the defaults for the section [imap NAME]. 0, or -1 with
   *error_r (static) on allocation failure. */
int imap_account_init(struct imap_account *acct, const char *name,
		      const char **error_r);
void imap_account_clear(struct imap_account *acct);

/* Apply one "key = value" of an [imap NAME] section. 0, or -1 with
   *error_r (static) for an unknown key or a bad value. */
int imap_conf_key(struct imap_account *acct, const char *key,
		  const char *value, const char **error_r);

/* Check a whole section once all its keys are read (host, username and
   password_file given; tls = none only to the loopback). 0, or -1 with
   *error_r (static). */
int imap_account_check(const struct imap_account *acct, const char **error_r);

/* Read the password file PATH: refused when group or others may read it.
   0 and *password_r (malloc'ed, trailing newline removed), or -1 with a
   message naming PATH in ERROR (ERROR_SIZE bytes). */
int imap_password_read(const char *path, char **password_r, char *error,
		       size_t error_size);

/* Called after each committed batch (NEW_EVENTS added), so the daemon can
   re-evaluate the clocks. */
typedef void imap_batch_cb(void *ctx, uint64_t new_events);

struct imap_source;

/* Start ACCT's folders on LOOP, writing into STORE under CONF. The
   account is copied. Connection happens from the loop, so this does not
   block. 0 and *src_r, or -1 and *error_r (static). */
int imap_source_new(struct loop *loop, struct store *store,
		    const struct conf *conf, const struct imap_account *acct,
		    imap_batch_cb *batch_cb, void *batch_ctx,
		    struct imap_source **src_r, const char **error_r);
/* A reloaded configuration (policy, teams) for the next batches. */
void imap_source_set_conf(struct imap_source *src, const struct conf *conf);
/* Whether every folder of SRC has fetched all it had at least once since
   it started (the daemon holds the monthly jobs back until then, so a
   first start does not report on a half-read mailbox). */
bool imap_source_caught_up(const struct imap_source *src);
/* Log out, disconnect and free. */
void imap_source_free(struct imap_source **src);

/* Backoff before retry number ATTEMPT (0-based) given a random value R in
   [0, 1): min(cap, base * 2^attempt), jittered into its upper half. */
int64_t imap_backoff_ms(unsigned int attempt, double r);

#endif
