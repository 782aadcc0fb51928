/* cli.h - the front-end module (cli.c) shared by main.c and cmd_*.c: messages, exit codes, verbs. */
#ifndef SP_CLI_H
#define SP_CLI_H

#include "sp_identity.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

/* Prints "secretpack: " + message + "\n" on stderr as one write. Returns EXIT_FAIL. */
int sp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "secretpack: <what>: <sp_err_str(err)>[ (line N)]". Returns EXIT_FAIL. */
int sp_fail_err(const char *what, int err);
/* "secretpack: <verb>: <path>: <message>", with strerror(errno) for SP_ERR_IO. Returns EXIT_FAIL. */
int sp_fail_path(const char *verb, const char *path, int err);
/* Explains a failure to get a passphrase (sp_io_passphrase). Returns EXIT_FAIL. */
int sp_fail_pass(const char *verb, int err);
/* Loads identities from path (or SECRETPACK_KEY / SECRETPACK_KEY_FILE when NULL), printing the
 * one error line itself. Returns EXIT_OK or EXIT_FAIL. */
int sp_cli_identities(const char *verb, const char *path, sp_identities *ids);
/* Prints "secretpack: <msg>: run 'secretpack <verb> -h' for usage". Returns EXIT_USAGE. */
int sp_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Disables core dumps and ptrace attach (PR_SET_DUMPABLE 0, RLIMIT_CORE 0). */
void sp_no_dumps(void);
/* Current time in unix seconds. */
unsigned long long sp_now(void);

struct sp_source;
struct sp_opener;
/* Signers a bundle must be signed by (--trust, SECRETPACK_TRUST). */
#define SP_TRUST_MAX 64
struct sp_trust {
	unsigned char pk[SP_TRUST_MAX][32];
	size_t n;
	const char *from; /* "--trust" or "SECRETPACK_TRUST", for messages */
};
/* Adds a signer key (spksig1...) or the keys of a file of them (one per line, '#' comments).
 * Prints the one error line; EXIT_OK or EXIT_FAIL. */
int sp_cli_trust_add(const char *verb, const char *from, const char *arg, struct sp_trust *t);
/* When t->n is 0: SECRETPACK_TRUST, comma-separated keys or files. EXIT_OK or EXIT_FAIL. */
int sp_cli_trust_env(const char *verb, struct sp_trust *t);
/* With t->n > 0: the bundle's header must name a listed signer (one line naming the fix if not);
 * then, when the source can be read twice, the whole signature is verified before anything is
 * decrypted, and the bundle is opened again from its first byte. *o is replaced; on failure both
 * are freed and NULL. */
int sp_cli_trust_check(const char *verb, const char *path, const struct sp_trust *t,
    struct sp_source **src, struct sp_opener **o);
/* The signing identity in path (kept 0600 like identities). sk: caller wipes. */
int sp_cli_sign_key(const char *verb, const char *path, unsigned char sk[64], unsigned char pk[32]);
/* The same from text already read (shown names it in messages). */
int sp_cli_sign_key_text(const char *verb, const char *shown, const unsigned char *text, size_t len,
    unsigned char sk[64], unsigned char pk[32]);
/* Identities from text already read, with sp_cli_identities' messages. EXIT_OK or EXIT_FAIL. */
int sp_cli_identities_text(const char *verb, const char *shown, const unsigned char *text, size_t len,
    sp_identities *ids);

/* The unlock sequence shared by inspect, open and cat. */
struct sp_unlock_req {
	const char *verb;
	const char *bundle;
	const char *identity; /* -i, or NULL for SECRETPACK_KEY / SECRETPACK_KEY_FILE */
	const char *context;  /* --context, NULL = none */
	int passphrase;       /* -p given */
	int check;            /* enforce context and expiry: --context when given, else the
	                       * bundle's own context is accepted (sp_cli_unlock_note says so) */
	struct sp_trust trust; /* --trust (or SECRETPACK_TRUST), checked before unlocking */
	int allow_expired;    /* --allow-expired: with check, an expired bundle is read */
	const sp_identities *keys; /* identities loaded once by the caller, or NULL */
};
struct sp_source;
struct sp_opener;
/* 1 if SECRETPACK_KEY, SECRETPACK_KEY_FILE or SECRETPACK_KEY_FD is set and not empty. */
int sp_cli_key_env(void);
/* Opens a bundle (binary or armored) and parses its header; prints the one error line on failure
 * and leaves *src and *o NULL. */
int sp_cli_begin(const char *verb, const char *path, struct sp_source **src, struct sp_opener **o);
/* Opens the bundle, reads the header, unlocks it with identities or a passphrase and (if
 * req->check) checks context and expiry; prints the one error line on failure. */
int sp_cli_unlock(const struct sp_unlock_req *req, struct sp_source **src, struct sp_opener **o);
/* After a successful sp_cli_unlock with check: one stderr line each when the bundle's own
 * context was accepted (no --context) or an expired bundle is read (--allow-expired). */
void sp_cli_unlock_note(const struct sp_unlock_req *req, const struct sp_opener *o);
/* One error line for a bundle-level failure (names the version for SP_ERR_VERSION). */
int sp_fail_bundle(const char *verb, const char *path, int err, const struct sp_opener *o);
/* Options of the reading verbs (-i, -p, --context, -o, --json, --force, --trust; NULL outdir,
 * json or force: that option is refused; --allow-expired only when req->check); returns -1
 * after -h. */
int sp_cli_read_opts(const char *verb, const char *usage, int argc, char **argv,
    struct sp_unlock_req *req, const char **outdir, int *json, int *force);

int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* ---- rewriting a bundle (cli_rewrite.c): the one path set, rm, rekey and edit share ---- */
#include <sys/stat.h>
#include "sp_bundle.h"
#include "sp_io.h"

/* One entry of the rewritten bundle: its metadata, and where its content comes from: the old
 * bundle's entry `old` (streamed; kept entries must keep their relative order), else the regular
 * file fd (meta.size bytes, checked again after reading), else buf (meta.size bytes). */
struct sp_rw_entry {
	sp_entry meta;
	long old;                 /* index into the old index, or -1 */
	int fd;                   /* -1 when unused; owned by the caller */
	const unsigned char *buf; /* owned by the caller */
};
/* What a verb changes (fill before sp_rw_open); the rest is kept. */
struct sp_rewrite {
	const char *verb, *bundle, *out; /* out NULL: BUNDLE itself */
	const char *identity;            /* -i, NULL: SECRETPACK_KEY / SECRETPACK_KEY_FILE */
	int rekey;                       /* messages name rekey's flags; signer changes allowed */
	unsigned char (*add)[32];        /* recipients to add (version 1: the whole list) */
	size_t n_add;
	unsigned char (*del)[32];        /* recipients to remove */
	size_t n_del;
	int new_pass, drop_pass;         /* rekey -p, --remove-passphrase */
	int set_expires;                 /* then expires (0 = never) replaces the old expiry */
	uint64_t expires;
	const char *context;             /* NULL: keep */
	const char *sign;                /* --sign FILE */
	int unsign;                      /* rekey --unsign */
	int allow_expired;               /* --allow-expired: an expired bundle is rewritten (and stays so) */
	int reread;                      /* edit NAME: the keys are kept for sp_rw_reopen */
	/* Set by sp_rw_open. */
	sp_bundle_info info;             /* authenticated header fields */
	const sp_entry *old;             /* the old index, owned by the opener */
	size_t n_old;
	/* Private. */
	struct sp_source *src;
	struct sp_opener *o;
	struct stat st;
	int armored, drained, from_stdin, to_stdout;
	sp_identities ids;               /* with reread: the identities that opened it */
	unsigned char (*pks)[32];
	size_t n_pks;
	char *pass;
	size_t pass_len;
	unsigned char *sign_sk;
};
/* Unlocks BUNDLE (the passphrase too when a kept passphrase recipient needs it), reads its index
 * and settles recipients, expiry, context and signer; prints the one error line. BUNDLE "-" is
 * stdin and needs out; out "-" is stdout. Returns EXIT_OK, EXIT_FAIL or EXIT_USAGE. */
int sp_rw_open(struct sp_rewrite *rw);
/* For edit: reads the whole old payload through sink (verified to its end) before the commit. */
int sp_rw_drain(struct sp_rewrite *rw, sp_sink_fn sink, void *ctx);
/* After sp_rw_drain (with reread set before sp_rw_open): opens the same bundle again from its first
 * byte with the same keys, so that sp_rw_commit can stream kept entries; its header fields and
 * index must be the ones read the first time. Prints the one error line. */
int sp_rw_reopen(struct sp_rewrite *rw);
/* Writes the bundle of entries e next to the output, streams kept content from the old payload,
 * and renames into place only after the old bundle verified to its end. */
int sp_rw_commit(struct sp_rewrite *rw, const struct sp_rw_entry *e, size_t n);
/* Wipes and frees; the temp file, if any, is already gone. */
void sp_rw_free(struct sp_rewrite *rw);
/* Recipients from -r text or an -R file, appended to *pks (deduplicated). EXIT_OK or EXIT_FAIL. */
int sp_rw_recipient(const char *verb, const char *flag, const char *arg, unsigned char (**pks)[32],
    size_t *n);

int cmd_set(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_edit(int argc, char **argv);

/* Prints s as a JSON string on stdout, control characters escaped. */
void sp_cli_json_str(const char *s);
/* A growing buffer for armored output, built in memory (the armor limit caps it) and written at
 * the end; sp_membuf_write is an sp_write_fn. The caller frees p. */
struct sp_membuf {
	unsigned char *p;
	size_t len, cap;
};
int sp_membuf_write(void *ctx, const unsigned char *buf, size_t len);

#endif
