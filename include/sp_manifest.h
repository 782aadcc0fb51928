/* sp_manifest.h - the INI manifest that names a bundle's entries (inih; the only user of it). */
#ifndef SP_MANIFEST_H
#define SP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "sp_bundle.h"

typedef struct {
	sp_entry meta;   /* name, mode (default 0400), owner, env; size unset (0) */
	char *path;      /* source file, resolved against the manifest's folder; malloc'd */
	int line;        /* line of the [secret NAME] header */
} sp_manifest_entry;

typedef struct {
	char context[SP_CONTEXT_MAX + 1];
	int has_context;
	char expires[64];        /* raw text for sp_time_parse; "" if unset */
	char **recipient_files;  /* resolved paths; malloc'd */
	size_t n_recipient_files;
	char **recipients;       /* inline spkpub1 strings; malloc'd */
	size_t n_recipients;
	sp_manifest_entry *entries;
	size_t n_entries;
} sp_manifest;

/* text: the manifest's bytes, NUL-terminated. base_dir: folder relative paths resolve against.
 * Sections: [bundle] (context, recipients, recipient, expires) and [secret NAME] (file, mode,
 * owner, env). Unknown sections/keys, duplicates, missing file, bad mode/name/env/owner:
 * SP_ERR_MANIFEST with *err_line set and a lowercase reason in err (cap bytes). */
int sp_manifest_parse(sp_manifest *m, const char *text, const char *base_dir, int *err_line,
    char *err, size_t cap);
void sp_manifest_free(sp_manifest *m);

#endif
