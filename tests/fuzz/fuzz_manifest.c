/* fuzz_manifest.c - libFuzzer harness: the input, NUL-terminated, as a manifest for sp_manifest_parse. */
#include <stdlib.h>
#include <string.h>

#include "forge.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_manifest.h"

#define MANIFEST_BASE "/m"

/* Every entry passes the index rules on its own, and the names (not the env names: seal checks
 * those across entries) pass them together. */
static void manifest_check_entries(const sp_manifest *m)
{
	sp_entry *names;

	if (m->n_entries == 0)
		return;
	FZ_CHECK(m->n_entries <= SP_ENTRIES_MAX);
	if ((names = calloc(m->n_entries, sizeof *names)) == NULL)
		FZ_FAIL("calloc");
	for (size_t i = 0; i < m->n_entries; i++) {
		const sp_manifest_entry *e = &m->entries[i];

		FZ_CHECK(e->path != NULL && e->path[0] == '/');
		FZ_CHECK(e->line > 0 && e->meta.size == 0);
		FZ_CHECK(forge_entries_sane(&e->meta, 1));
		names[i] = e->meta;
		names[i].env[0] = '\0';
	}
	FZ_CHECK(forge_entries_sane(names, m->n_entries));
	free(names);
}

static int manifest_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int manifest_has_entry(const sp_manifest *m, const char *name, size_t n)
{
	for (size_t i = 0; i < m->n_entries; i++)
		if (strlen(m->entries[i].meta.name) == n && memcmp(m->entries[i].meta.name, name, n) == 0)
			return 1;
	return 0;
}

/* Every line that reads as a section header after leading white space (as inih sees it) is one
 * the parser took: a header it skipped would put the keys below it in the section above. */
static void manifest_check_headers(const sp_manifest *m, const char *text)
{
	const char *line = text;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n'), *end = nl != NULL ? nl : line + strlen(line);
		const char *in = line, *close;
		size_t n;

		while (in < end && strchr(" \t\r\v\f", *in) != NULL)
			in++;
		line = nl != NULL ? nl + 1 : end;
		if (in == end || *in != '[' || (close = memchr(in, ']', (size_t)(end - in))) == NULL)
			continue;
		for (in++; in < close && manifest_blank((unsigned char)*in); in++)
			;
		for (n = (size_t)(close - in); n > 0 && manifest_blank((unsigned char)in[n - 1]); n--)
			;
		if (n == 6 && memcmp(in, "bundle", 6) == 0)
			continue;
		FZ_CHECK(n > 6 && memcmp(in, "secret", 6) == 0 && manifest_blank((unsigned char)in[6]));
		for (in += 6, n -= 6; n > 0 && manifest_blank((unsigned char)*in); in++, n--)
			;
		FZ_CHECK(manifest_has_entry(m, in, n));
	}
}

static void manifest_check(const sp_manifest *m, const char *text)
{
	unsigned char pk[32];
	uint64_t t;

	FZ_CHECK(memchr(m->context, 0, sizeof m->context) != NULL);
	FZ_CHECK(sp_context_check(m->context) == SP_OK);
	FZ_CHECK(m->has_context || m->context[0] == '\0');
	FZ_CHECK(memchr(m->expires, 0, sizeof m->expires) != NULL);
	if (m->expires[0] != '\0')
		FZ_CHECK(sp_time_parse(&t, m->expires, 0) == SP_OK); /* as the parser checks it */
	for (size_t i = 0; i < m->n_recipients; i++)
		FZ_CHECK(sp_recipient_decode(pk, m->recipients[i], strlen(m->recipients[i])) == SP_OK);
	for (size_t i = 0; i < m->n_recipient_files; i++)
		FZ_CHECK(m->recipient_files[i] != NULL && m->recipient_files[i][0] == '/');
	manifest_check_entries(m);
	manifest_check_headers(m, text);
}

int fuzz_manifest(const uint8_t *data, size_t size)
{
	sp_manifest m;
	char *text, msg[256];
	int line = -1, err;

	if (forge_init() != 0)
		FZ_FAIL("forge_init");
	if ((text = malloc(size + 1)) == NULL)
		FZ_FAIL("malloc");
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	err = sp_manifest_parse(&m, text, MANIFEST_BASE, &line, msg, sizeof msg);
	if (err == SP_OK) {
		FZ_CHECK(line == 0 && msg[0] == '\0');
		manifest_check(&m, text);
		sp_manifest_free(&m);
	} else {
		FZ_CHECK(err == SP_ERR_MANIFEST || err == SP_ERR_NOMEM);
		FZ_CHECK(line >= 0 && msg[0] != '\0' && memchr(msg, 0, sizeof msg) != NULL);
		FZ_CHECK(m.entries == NULL && m.n_entries == 0 && m.recipients == NULL);
	}
	free(text);
	return err;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_manifest(data, size);
	return 0;
}
#endif
