/* sp_manifest.c - the INI manifest: [bundle] settings and one [secret NAME] section per entry. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_manifest.h"

/*
 * inih parses the key = value lines (comments, inline "; ..." comments, trimming). Section
 * headers are parsed here instead, because inih cuts section names at 50 bytes and never
 * reports a section without keys. The reader below hands inih one physical line per call, so
 * inih's line numbers and ours agree; it removes leading blanks so that an indented line is
 * never taken as the continuation of the previous value, and replaces section headers and
 * comment lines by short stand-ins so that only key = value lines are bound by inih's line size.
 */

enum { SECT_NONE, SECT_BUNDLE, SECT_SECRET };
enum { K_CONTEXT = 1, K_EXPIRES = 2, K_FILE = 4, K_MODE = 8, K_OWNER = 16, K_ENV = 32 };

typedef struct {
	sp_manifest *m;
	const char *base_dir;
	const char *cur;     /* rest of the text */
	int line;            /* line most recently handed to inih */
	int sect;
	unsigned seen;       /* single-valued keys seen in the current section */
	int bundle_line;
	int err, err_line;
	char *msg;
	size_t cap;
} parser;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	if (ps->err != SP_OK)
		return ps->err;
	ps->err = SP_ERR_MANIFEST;
	ps->err_line = line;
	if (ps->msg != NULL && ps->cap > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(ps->msg, ps->cap, fmt, ap);
		va_end(ap);
	}
	return ps->err;
}

static int fail_nomem(parser *ps)
{
	fail(ps, 0, "out of memory");
	ps->err = SP_ERR_NOMEM;
	return ps->err;
}

/* A value quoted in a message: at most 40 bytes, anything unprintable shown as '?'. */
typedef struct {
	char s[48];
} shown;

static shown show(const char *v)
{
	shown o;
	size_t i;

	for (i = 0; i < 40 && v[i] != '\0'; i++)
		o.s[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	if (v[i] != '\0') {
		memcpy(o.s + i, "...", 3);
		i += 3;
	}
	o.s[i] = '\0';
	return o;
}

static sp_manifest_entry *cur_entry(parser *ps)
{
	return &ps->m->entries[ps->m->n_entries - 1];
}

typedef struct {
	char s[64];
} sect_shown;

/* "[bundle]" or "[secret NAME]", for messages. */
static sect_shown sect_name(parser *ps)
{
	sect_shown o;

	if (ps->sect == SECT_BUNDLE)
		(void)snprintf(o.s, sizeof o.s, "[bundle]");
	else
		(void)snprintf(o.s, sizeof o.s, "[secret %s]", show(cur_entry(ps)->meta.name).s);
	return o;
}

static char *resolve(const char *base, const char *path)
{
	size_t bl = base != NULL ? strlen(base) : 0, pl = strlen(path), sep;
	char *out;

	if (path[0] == '/' || bl == 0)
		bl = 0;
	sep = bl > 0 && base[bl - 1] != '/';
	if ((out = malloc(bl + sep + pl + 1)) == NULL)
		return NULL;
	if (bl > 0)
		memcpy(out, base, bl);
	if (sep)
		out[bl] = '/';
	memcpy(out + bl + sep, path, pl + 1);
	return out;
}

static int push_string(parser *ps, char ***arr, size_t *n, char *s)
{
	char **grown;

	if (s == NULL || (grown = realloc(*arr, (*n + 1) * sizeof *grown)) == NULL) {
		free(s);
		return fail_nomem(ps);
	}
	grown[(*n)++] = s;
	*arr = grown;
	return SP_OK;
}

static char *copy(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = malloc(n);

	if (c != NULL)
		memcpy(c, s, n);
	return c;
}

/* ---- keys ---- */

static int once(parser *ps, unsigned key, const char *name)
{
	if (ps->seen & key)
		return fail(ps, ps->line, "duplicate key '%s' in %s", name, sect_name(ps).s);
	ps->seen |= key;
	return SP_OK;
}

static int bundle_key(parser *ps, const char *name, const char *v)
{
	sp_manifest *m = ps->m;
	unsigned char pk[32];
	uint64_t t;
	int err;

	if (strcmp(name, "context") == 0) {
		if ((err = once(ps, K_CONTEXT, name)) != SP_OK)
			return err;
		if (strlen(v) > SP_CONTEXT_MAX || sp_context_check(v) != SP_OK)
			return fail(ps, ps->line, "bad context '%s': use printable ascii, at most %d characters",
			    show(v).s, SP_CONTEXT_MAX);
		strcpy(m->context, v);
		m->has_context = 1;
	} else if (strcmp(name, "expires") == 0) {
		if ((err = once(ps, K_EXPIRES, name)) != SP_OK)
			return err;
		if (strlen(v) >= sizeof m->expires || sp_time_parse(&t, v, 0) != SP_OK)
			return fail(ps, ps->line, "bad expires '%s': use YYYY-MM-DD, "
			    "YYYY-MM-DDTHH:MM:SSZ or a duration like 90d", show(v).s);
		strcpy(m->expires, v);
	} else if (strcmp(name, "recipients") == 0) {
		return push_string(ps, &m->recipient_files, &m->n_recipient_files,
		    resolve(ps->base_dir, v));
	} else if (strcmp(name, "recipient") == 0) {
		if ((err = sp_recipient_decode(pk, v, strlen(v))) != SP_OK)
			/* Never quote it: it may be a secret key pasted in the wrong place. */
			return fail(ps, ps->line, "bad recipient: %s", sp_err_str(err));
		return push_string(ps, &m->recipients, &m->n_recipients, copy(v));
	} else {
		return fail(ps, ps->line, "unknown key '%s' in [bundle]", show(name).s);
	}
	return SP_OK;
}

/* Three or four octal digits. */
static int parse_mode(const char *v, uint32_t *mode)
{
	size_t i, n = strlen(v);

	if (n < 3 || n > 4)
		return 0;
	*mode = 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '7')
			return 0;
		*mode = *mode * 8 + (uint32_t)(v[i] - '0');
	}
	return 1;
}

static int secret_key(parser *ps, const char *name, const char *v)
{
	sp_manifest_entry *e = cur_entry(ps);
	uint32_t mode;
	int err;

	if (strcmp(name, "file") == 0) {
		if ((err = once(ps, K_FILE, name)) != SP_OK)
			return err;
		if ((e->path = resolve(ps->base_dir, v)) == NULL)
			return fail_nomem(ps);
	} else if (strcmp(name, "mode") == 0) {
		if ((err = once(ps, K_MODE, name)) != SP_OK)
			return err;
		if (!parse_mode(v, &mode))
			return fail(ps, ps->line, "bad mode '%s': use octal like 0400", show(v).s);
		if (sp_mode_check(mode) != SP_OK)
			return fail(ps, ps->line, "bad mode '%s': must be at most 0777 and readable "
			    "by the owner (0400)", show(v).s);
		e->meta.mode = mode;
	} else if (strcmp(name, "owner") == 0) {
		if ((err = once(ps, K_OWNER, name)) != SP_OK)
			return err;
		if (strlen(v) > SP_OWNER_MAX || sp_owner_check(v) != SP_OK)
			return fail(ps, ps->line, "bad owner '%s': use user, user:group or uid:gid",
			    show(v).s);
		strcpy(e->meta.owner, v);
	} else if (strcmp(name, "env") == 0) {
		if ((err = once(ps, K_ENV, name)) != SP_OK)
			return err;
		if (strlen(v) > SP_ENV_MAX || sp_env_check(v) != SP_OK)
			return fail(ps, ps->line, "bad env '%s': use a variable name like DB_PASSWORD_FILE",
			    show(v).s);
		strcpy(e->meta.env, v);
	} else {
		return fail(ps, ps->line, "unknown key '%s' in %s", show(name).s, sect_name(ps).s);
	}
	return SP_OK;
}

/* inih's callback; it returns nonzero to go on. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	parser *ps = user;

	(void)section;
	if (ps->err != SP_OK)
		return 0;
	if (ps->sect == SECT_NONE)
		fail(ps, ps->line, "key '%s' outside a section: put it under [bundle] or [secret NAME]",
		    show(name).s);
	else if (value == NULL || value[0] == '\0')
		fail(ps, ps->line, "empty value for '%s' in %s", show(name).s, sect_name(ps).s);
	else if (ps->sect == SECT_BUNDLE)
		bundle_key(ps, name, value);
	else
		secret_key(ps, name, value);
	return ps->err == SP_OK;
}

/* ---- sections ---- */

static int end_section(parser *ps)
{
	if (ps->sect == SECT_SECRET && !(ps->seen & K_FILE))
		return fail(ps, cur_entry(ps)->line, "missing 'file' in %s", sect_name(ps).s);
	return SP_OK;
}

static int begin_secret(parser *ps, const char *name, size_t n)
{
	sp_manifest *m = ps->m;
	sp_manifest_entry *grown;
	char buf[SP_NAME_MAX + 1];
	size_t i;

	if (n == 0)
		return fail(ps, ps->line, "missing name in [secret]: use [secret NAME]");
	if (n > SP_NAME_MAX)
		return fail(ps, ps->line, "secret name too long (max %d characters)", SP_NAME_MAX);
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (sp_name_check(buf) != SP_OK)
		return fail(ps, ps->line, "unsafe secret name '%s': use a relative path like db/password "
		    "without '..' or empty parts", show(buf).s);
	for (i = 0; i < m->n_entries; i++)
		if (strcmp(m->entries[i].meta.name, buf) == 0)
			return fail(ps, ps->line, "duplicate [secret %s] (first at line %d)", show(buf).s,
			    m->entries[i].line);
	if (m->n_entries >= SP_ENTRIES_MAX)
		return fail(ps, ps->line, "too many secrets (max %d)", SP_ENTRIES_MAX);
	if ((grown = realloc(m->entries, (m->n_entries + 1) * sizeof *grown)) == NULL)
		return fail_nomem(ps);
	m->entries = grown;
	memset(&grown[m->n_entries], 0, sizeof *grown);
	memcpy(grown[m->n_entries].meta.name, buf, n + 1);
	grown[m->n_entries].meta.mode = 0400;
	grown[m->n_entries].line = ps->line;
	m->n_entries++;
	ps->sect = SECT_SECRET;
	return SP_OK;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* What inih's own trimming skips (isspace): a line it would see as indented must not reach it. */
static int is_space(int c)
{
	return is_blank(c) || c == '\r' || c == '\v' || c == '\f';
}

/* s: a trimmed line starting with '['. */
static int section(parser *ps, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *in = s + 1, *after;
	char what[42];
	size_t in_len;
	int err;

	if (close == NULL)
		return fail(ps, ps->line, "expected ']' at the end of the section header");
	for (after = close + 1; after < s + n && is_blank((unsigned char)*after); after++)
		;
	if (after < s + n && *after != ';' && *after != '#')
		return fail(ps, ps->line, "unexpected text after ']'");
	if ((err = end_section(ps)) != SP_OK)
		return err;
	while (in < close && is_blank((unsigned char)*in))
		in++;
	in_len = (size_t)(close - in);
	while (in_len > 0 && is_blank((unsigned char)in[in_len - 1]))
		in_len--;
	ps->seen = 0;
	if (in_len == 6 && memcmp(in, "bundle", 6) == 0) {
		if (ps->bundle_line != 0)
			return fail(ps, ps->line, "duplicate [bundle] section (first at line %d)",
			    ps->bundle_line);
		ps->bundle_line = ps->line;
		ps->sect = SECT_BUNDLE;
		return SP_OK;
	}
	if (in_len >= 6 && memcmp(in, "secret", 6) == 0 && (in_len == 6 || is_blank(in[6]))) {
		for (in += 6, in_len -= 6; in_len > 0 && is_blank((unsigned char)*in); in++, in_len--)
			;
		return begin_secret(ps, in, in_len);
	}
	memcpy(what, in, in_len < 41 ? in_len : 41);
	what[in_len < 41 ? in_len : 41] = '\0';
	return fail(ps, ps->line, "unknown section '[%s]': use [bundle] or [secret NAME]",
	    show(what).s);
}

/* inih's fgets-like reader: one physical line per call (see the comment at the top). */
static char *reader(char *str, int num, void *stream)
{
	parser *ps = stream;
	const char *s = ps->cur, *nl;
	size_t n;

	if (ps->err != SP_OK || *s == '\0' || num < 8)
		return NULL;
	nl = strchr(s, '\n');
	n = nl != NULL ? (size_t)(nl - s) : strlen(s);
	ps->cur = nl != NULL ? nl + 1 : s + n;
	ps->line++;
	while (n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	if (n > 0 && s[0] == '[') {
		if (section(ps, s, n) != SP_OK)
			return NULL;
		memcpy(str, "[s]\n", 5);
	} else if (n == 0 || s[0] == ';' || s[0] == '#') {
		memcpy(str, "\n", 2);
	} else if (n + 2 > (size_t)num) {
		fail(ps, ps->line, "line too long (max %d characters)", num - 2);
		return NULL;
	} else {
		memcpy(str, s, n);
		memcpy(str + n, "\n", 2);
	}
	return str;
}

/* A secret that is also a folder of another secret cannot be written. */
static int check_clashes(parser *ps)
{
	const sp_manifest *m = ps->m;
	size_t i, j, li, lj;

	for (i = 0; i < m->n_entries; i++) {
		li = strlen(m->entries[i].meta.name);
		for (j = 0; j < m->n_entries; j++) {
			const char *a = m->entries[i].meta.name, *b = m->entries[j].meta.name;

			lj = strlen(b);
			if (i != j && li < lj && strncmp(a, b, li) == 0 && b[li] == '/')
				return fail(ps, m->entries[i].line > m->entries[j].line ?
				    m->entries[i].line : m->entries[j].line,
				    "secret '%s' is also a folder of '%s'", show(a).s, show(b).s);
		}
	}
	return SP_OK;
}

static const char utf8_bom[] = "\xef\xbb\xbf";

int sp_manifest_parse(sp_manifest *m, const char *text, const char *base_dir, int *err_line,
    char *err, size_t cap)
{
	parser ps;
	int r;

	if (err_line != NULL)
		*err_line = 0;
	if (err != NULL && cap > 0)
		err[0] = '\0';
	if (m == NULL || text == NULL)
		return SP_ERR_ARG;
	memset(m, 0, sizeof *m);
	memset(&ps, 0, sizeof ps);
	ps.m = m;
	ps.base_dir = base_dir;
	ps.cur = strncmp(text, utf8_bom, 3) == 0 ? text + 3 : text;
	ps.msg = err;
	ps.cap = cap;
	r = ini_parse_stream(reader, &ps, on_key, &ps);
	/* inih finds lines that are neither a section, a key nor a comment; keep the first error. */
	if (r > 0 && (ps.err == SP_OK || r < ps.err_line)) {
		ps.err = SP_OK;
		fail(&ps, r, "expected 'key = value', '[section]' or a comment");
	} else if (r < 0 && ps.err == SP_OK) {
		fail_nomem(&ps);
	}
	if (ps.err == SP_OK && end_section(&ps) == SP_OK)
		check_clashes(&ps);
	if (ps.err != SP_OK) {
		if (err_line != NULL)
			*err_line = ps.err_line;
		sp_manifest_free(m);
	}
	return ps.err;
}

void sp_manifest_free(sp_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_recipient_files; i++)
		free(m->recipient_files[i]);
	for (i = 0; i < m->n_recipients; i++)
		free(m->recipients[i]);
	for (i = 0; i < m->n_entries; i++)
		free(m->entries[i].path);
	free(m->recipient_files);
	free(m->recipients);
	free(m->entries);
	memset(m, 0, sizeof *m);
}
