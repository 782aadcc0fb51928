/* sp_envpolicy.c - the allow list for the variables bundle entries set (see sp_envpolicy.h). */
#include <string.h>

#include "sp_envpolicy.h"
#include "sp_err.h"

/* A bundle is data anyone with a recipient's public key can make: by default it may only tell
 * the app where a secret is (NAME_FILE), and not even that for the _FILE variables below, which
 * runtimes and clients read to load code, configuration, trust or an identity. Names that do
 * not end in _FILE (GIT_CONFIG_GLOBAL, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
 * DOTNET_STARTUP_HOOKS, BUNDLE_GEMFILE, KRB5_CONFIG, PGPASSFILE, DOCKER_CONFIG, ...) are refused
 * by the _FILE rule already. Listed in README.md ("What a bundle may set"). */
const char *const sp_envpolicy_deny[] = {
	/* trust: CA certificates and trust stores */
	"SSL_CERT_FILE", "NIX_SSL_CERT_FILE", "*CA_FILE", "*CACERT_FILE", "*CACERTS_FILE",
	"*CA_CERT_FILE", "*CA_CERTS_FILE", "*CA_BUNDLE_FILE", "*CABUNDLE_FILE", "*TRUST*_FILE",
	"*ROOTS_FILE",
	/* configuration and code loaded from a file */
	"*CONFIG_FILE", "*CONFIGURATION_FILE", "*CONF_FILE", "*CFG_FILE", "*INI_FILE", "*RC_FILE",
	"*SETTINGS_FILE", "*ENV_FILE", "*HOOK_FILE", "*HOOKS_FILE", "*STARTUP_FILE", "*INIT_FILE",
	"*SCRIPT_FILE", "*PRIORITY_FILE", "*LOGIN_FILE", "REGISTRY_AUTH_FILE",
	/* cloud SDKs and credential providers: which identity the app acts as */
	"AWS_*", "AZURE_*", "ARM_*", "CLOUDSDK_*", "GOOGLE_*", "GCLOUD_*", "OCI_*", "ALIBABA_CLOUD_*",
	"ALICLOUD_*",
	/* tools and runtimes whose _FILE variables configure them */
	"GIT_*", "SSH_*", "GPG_*", "GNUPG*", "KRB5*", "DOCKER_*", "CONTAINERS_*", "KUBE*", "HELM_*",
	"TF_*", "ANSIBLE_*", "OPENSSL*", "GNUTLS_*", "NSS_*", "CURL_*", "PIP_*", "UV_*", "NPM_*",
	"YARN_*", "PNPM_*", "POETRY_*", "CARGO_*", "BUNDLE_*", "GEM_*", "COMPOSER_*", "NUGET_*",
	"DOTNET_*", "COREHOST_*", "NODE_*", "DENO_*", "BUN_*", "JAVA_*", "JDK_*", "GRADLE_*", "MAVEN_*",
	"PERL*", "RUBY*", "PHP*", "PYTHON*", "LUA*",
	NULL,
};

static int is_pattern_char(unsigned char c)
{
	return c == '_' || c == '*' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

int sp_envpolicy_pattern_check(const char *pat)
{
	size_t len;

	if (pat == NULL)
		return SP_ERR_ARG;
	if (*pat == '!')
		pat++;
	len = strnlen(pat, SP_ENVPOLICY_PATTERN_MAX + 1);
	if (len == 0 || len > SP_ENVPOLICY_PATTERN_MAX)
		return SP_ERR_ARG;
	for (size_t i = 0; i < len; i++)
		if (!is_pattern_char((unsigned char)pat[i]))
			return SP_ERR_ARG;
	return SP_OK;
}

static unsigned char fold(unsigned char c, int nocase)
{
	return nocase && c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Iterative glob with one backtrack point: linear in practice, no recursion on hostile input. */
static int glob_match(const char *g, const char *s, int nocase)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*g == '*') {
			star = ++g;
			resume = s;
		} else if (*g != '\0' && fold((unsigned char)*g, nocase) == fold((unsigned char)*s, nocase)) {
			g++;
			s++;
		} else if (star != NULL) {
			g = star;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*g == '*')
		g++;
	return *g == '\0';
}

int sp_envpolicy_match(const char *glob, const char *name)
{
	return glob != NULL && name != NULL && glob_match(glob, name, 0);
}

int sp_envpolicy_default(const char *name, const char **deny)
{
	size_t len = name != NULL ? strlen(name) : 0, sl = strlen("_FILE");

	if (deny != NULL)
		*deny = NULL;
	if (len <= sl || strcmp(name + len - sl, "_FILE") != 0)
		return 0;
	for (size_t i = 0; sp_envpolicy_deny[i] != NULL; i++)
		if (glob_match(sp_envpolicy_deny[i], name, 1)) {
			if (deny != NULL)
				*deny = sp_envpolicy_deny[i];
			return 0;
		}
	return 1;
}

int sp_envpolicy_allowed(const char *name, const char *const *pats, size_t n, const char **rule)
{
	int allowed = sp_envpolicy_default(name, NULL);

	if (rule != NULL)
		*rule = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *p = pats[i];
		int neg = p[0] == '!';

		if (sp_envpolicy_pattern_check(p) != SP_OK || !sp_envpolicy_match(p + neg, name))
			continue;
		allowed = !neg;
		if (rule != NULL)
			*rule = p;
	}
	return allowed;
}
