/* cli.h - shared by the front ends (main, cmd_*.c): messages, exit codes, verbs. */
#ifndef SP_CLI_H
#define SP_CLI_H

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

/* Prints "secretpack: " + message + "\n" on stderr as one write. Returns EXIT_FAIL. */
int sp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "secretpack: <what>: <sp_err_str(err)>[ (line N)]". Returns EXIT_FAIL. */
int sp_fail_err(const char *what, int err);
/* Prints "secretpack: <msg>: run 'secretpack <verb> -h' for usage". Returns EXIT_USAGE. */
int sp_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Disables core dumps and ptrace attach (PR_SET_DUMPABLE 0, RLIMIT_CORE 0). */
void sp_no_dumps(void);
/* Current time in unix seconds. */
unsigned long long sp_now(void);

int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
