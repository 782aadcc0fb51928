/* sp_sodium_link.c - keeps libsodium's own Argon2 out of the static binary.
 *
 * sodium_init() picks the fastest Argon2 fill routine for crypto_pwhash(), and that one call
 * links libsodium's whole Argon2 (its core, blake2b-long and four fill routines: about 29 kB).
 * secretpack never calls crypto_pwhash(): passphrases go through libargon2 (sp_kdf.c, and the
 * Makefile proves argon2_ctx comes from libargon2.a). Defining the hook here, ahead of the
 * archive, leaves none of those objects in the link; the Makefile checks the link map. A future
 * call to crypto_pwhash() would pull them back and fail the link on this duplicate definition.
 * Against the shared libsodium (unit tests, sanitizer builds) the hook is internal to the
 * library and this definition is unused.
 */
/* NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): libsodium's name */
int _crypto_pwhash_argon2_pick_best_implementation(void);

int _crypto_pwhash_argon2_pick_best_implementation(void)
{
	return 0;
}
/* NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
