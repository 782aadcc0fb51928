/* test_envpolicy.c - the allow list for variables set by bundle entries: globs, the default, patterns. */
#include "unit.h"
#include "sp_err.h"
#include "sp_envpolicy.h"

static void t_pattern_check(void **state)
{
	(void)state;
	assert_int_equal(sp_envpolicy_pattern_check("GOOGLE_APPLICATION_CREDENTIALS"), SP_OK);
	assert_int_equal(sp_envpolicy_pattern_check("!AWS_*"), SP_OK);
	assert_int_equal(sp_envpolicy_pattern_check("*"), SP_OK);
	assert_int_equal(sp_envpolicy_pattern_check(""), SP_ERR_ARG);
	assert_int_equal(sp_envpolicy_pattern_check("!"), SP_ERR_ARG);
	assert_int_equal(sp_envpolicy_pattern_check("!!A"), SP_ERR_ARG);
	assert_int_equal(sp_envpolicy_pattern_check("A=B"), SP_ERR_ARG);
	assert_int_equal(sp_envpolicy_pattern_check("A,B"), SP_ERR_ARG);
	assert_int_equal(sp_envpolicy_pattern_check("A?"), SP_ERR_ARG);
	assert_int_equal(sp_envpolicy_pattern_check(NULL), SP_ERR_ARG);
}

static void t_match(void **state)
{
	(void)state;
	assert_true(sp_envpolicy_match("A", "A"));
	assert_false(sp_envpolicy_match("A", "AB"));
	assert_false(sp_envpolicy_match("a", "A"));
	assert_true(sp_envpolicy_match("*", ""));
	assert_true(sp_envpolicy_match("*_FILE", "DB_PASSWORD_FILE"));
	assert_false(sp_envpolicy_match("*_FILE", "DB_PASSWORD_FILES"));
	assert_true(sp_envpolicy_match("AWS_*", "AWS_CONFIG_FILE"));
	assert_true(sp_envpolicy_match("*TRUST*_FILE", "ETCD_TRUSTSTORE_FILE"));
	assert_true(sp_envpolicy_match("A*B*C", "AxxBxxBxxC"));
	assert_false(sp_envpolicy_match("A*B*C", "AxxBxxBxxCx"));
	assert_true(sp_envpolicy_match("**A**", "A"));
	assert_false(sp_envpolicy_match(NULL, "A"));
}

static void t_default(void **state)
{
	static const char *const refused[] = {
		"SSL_CERT_FILE", "ssl_cert_file", "NIX_SSL_CERT_FILE", "AWS_CONFIG_FILE",
		"AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "PIP_CONFIG_FILE",
		"AZURE_FEDERATED_TOKEN_FILE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE", "TF_CLI_CONFIG_FILE",
		"ETCD_TRUSTED_CA_FILE", "LOG4J_CONFIGURATION_FILE", "REGISTRY_AUTH_FILE", "GIT_INDEX_FILE",
		"ANSIBLE_VAULT_PASSWORD_FILE", "GNUTLS_SYSTEM_PRIORITY_FILE", "MYSQL_TEST_LOGIN_FILE",
		"FONTCONFIG_FILE", "DOTENV_FILE", "KRB5_KTNAME_FILE", "NODE_EXTRA_CA_CERTS_FILE",
		/* not _FILE at all */
		"GIT_CONFIG_GLOBAL", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
		"DOTNET_STARTUP_HOOKS", "BUNDLE_GEMFILE", "KRB5_CONFIG", "PGPASSFILE", "DOCKER_CONFIG",
		"CLOUDSDK_CONFIG", "KUBECONFIG", "SSLKEYLOGFILE", "GOOGLE_APPLICATION_CREDENTIALS",
		"_FILE", "FILE", "",
	};
	static const char *const allowed[] = {
		"DB_PASSWORD_FILE", "API_TOKEN_FILE", "POSTGRES_PASSWORD_FILE", "MYSQL_ROOT_PASSWORD_FILE",
		"TLS_CERT_FILE", "TLS_KEY_FILE", "REDIS_PASSWORD_FILE", "GITHUB_TOKEN_FILE", "X_FILE",
	};
	const char *deny;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (sp_envpolicy_default(refused[i], NULL))
			fail_msg("%s allowed by default", refused[i]);
	}
	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		if (!sp_envpolicy_default(allowed[i], &deny))
			fail_msg("%s refused by default (%s)", allowed[i], deny ? deny : "not _FILE");
		assert_null(deny);
	}
	assert_false(sp_envpolicy_default("SSL_CERT_FILE", &deny));
	assert_string_equal(deny, "SSL_CERT_FILE");
	assert_false(sp_envpolicy_default("GIT_CONFIG_GLOBAL", &deny));
	assert_null(deny);
	assert_false(sp_envpolicy_default(NULL, &deny));
}

static void t_allowed(void **state)
{
	const char *widen[] = { "GOOGLE_APPLICATION_CREDENTIALS", "SSL_CERT_FILE" };
	const char *narrow[] = { "GIT_*", "!GIT_CONFIG_*" };
	const char *reverse[] = { "!GIT_CONFIG_*", "GIT_*" };
	const char *bad[] = { "A=B", "!" };
	const char *rule;

	(void)state;
	assert_true(sp_envpolicy_allowed("DB_PASSWORD_FILE", NULL, 0, &rule));
	assert_null(rule);
	assert_false(sp_envpolicy_allowed("GOOGLE_APPLICATION_CREDENTIALS", NULL, 0, &rule));
	assert_true(sp_envpolicy_allowed("GOOGLE_APPLICATION_CREDENTIALS", widen, 2, &rule));
	assert_string_equal(rule, "GOOGLE_APPLICATION_CREDENTIALS");
	assert_true(sp_envpolicy_allowed("SSL_CERT_FILE", widen, 2, &rule));
	assert_false(sp_envpolicy_allowed("AWS_CONFIG_FILE", widen, 2, &rule));
	assert_null(rule);
	/* last match wins */
	assert_false(sp_envpolicy_allowed("GIT_CONFIG_GLOBAL", narrow, 2, &rule));
	assert_string_equal(rule, "!GIT_CONFIG_*");
	assert_true(sp_envpolicy_allowed("GIT_DIR", narrow, 2, &rule));
	assert_true(sp_envpolicy_allowed("GIT_CONFIG_GLOBAL", reverse, 2, &rule));
	assert_string_equal(rule, "GIT_*");
	/* '!' narrows the default */
	{
		const char *nodb[] = { "!DB_*" };
		assert_false(sp_envpolicy_allowed("DB_PASSWORD_FILE", nodb, 1, &rule));
		assert_true(sp_envpolicy_allowed("API_TOKEN_FILE", nodb, 1, &rule));
	}
	/* invalid patterns are ignored, never match */
	assert_true(sp_envpolicy_allowed("DB_PASSWORD_FILE", bad, 2, &rule));
	assert_null(rule);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pattern_check),
		cmocka_unit_test(t_match),
		cmocka_unit_test(t_default),
		cmocka_unit_test(t_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
