#!/bin/sh
# `secretpack run`: a bundle is data. Anyone with a recipient's public key can seal one; what it
# may do to the app's environment is the operator's call (--env-allow, SECRETPACK_ENV_ALLOW),
# it never overrides a variable already set, and --env VAR=ENTRY is the operator's alone.
. "$SP_TESTS/cli/lib.sh"
. "$SP_TESTS/cli/run_lib.sh"

# The variables under test must not come from the environment the suite runs in (a host may set
# SSL_CERT_FILE, for one): the shim would rightly refuse to override them.
unset SSL_CERT_FILE NIX_SSL_CERT_FILE GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM NODE_EXTRA_CA_CERTS \
	DOTNET_STARTUP_HOOKS AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_WEB_IDENTITY_TOKEN_FILE \
	KRB5_CONFIG REQUESTS_CA_BUNDLE CURL_CA_BUNDLE BUNDLE_GEMFILE PIP_CONFIG_FILE GIT_SSL_CAINFO \
	KUBECONFIG DOCKER_CONFIG CLOUDSDK_CONFIG AZURE_FEDERATED_TOKEN_FILE PGPASSFILE PGSERVICEFILE \
	ETCD_TRUSTED_CA_FILE LOG4J_CONFIGURATION_FILE TF_CLI_CONFIG_FILE REGISTRY_AUTH_FILE \
	ANSIBLE_VAULT_PASSWORD_FILE GNUTLS_SYSTEM_PRIORITY_FILE SSLKEYLOGFILE DB_PASSWORD_FILE \
	API_TOKEN_FILE DB_PASSWORD CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE

# forge NAME VAR CONTENT-FILE...: a bundle sealed with nothing but the recipient's public key
# (what any public-key holder can do), one entry per VAR=FILE pair, each setting VAR.
forge() {
	out=$1; shift
	: >"$T/m.ini"
	for pair; do
		v=${pair%%=*} f=${pair#*=}
		printf '[secret %s]\nfile = %s\nenv = %s\n' "$(echo "$v" | tr 'A-Z' 'a-z')" "$f" "$v" >>"$T/m.ini"
	done
	"$SP" seal -r "$RCPT" -m "$T/m.ini" -o "$out" >/dev/null 2>"$T/.seal.err" ||
		{ echo "# forge $out:"; sed 's/^/# /' "$T/.seal.err"; return 1; }
	chmod 644 "$out"
}

newcase
app show <<'EOF'
: >"$C/m/ran"
for v in $VARS; do eval "echo \"$v=\${$v:-unset}\""; done
EOF
printf -- '-----BEGIN CERTIFICATE-----\nMIIB...attacker CA\n-----END CERTIFICATE-----\n' >"$T/in/evil"

# Every variable below makes a runtime or client load code, configuration, trust or an identity
# from the file it names. Sealed with the public key only, each is refused with one line, the app
# is not started and nothing stays in DIR.
for v in SSL_CERT_FILE NIX_SSL_CERT_FILE GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM NODE_EXTRA_CA_CERTS \
	DOTNET_STARTUP_HOOKS AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_WEB_IDENTITY_TOKEN_FILE \
	KRB5_CONFIG REQUESTS_CA_BUNDLE CURL_CA_BUNDLE BUNDLE_GEMFILE PIP_CONFIG_FILE GIT_SSL_CAINFO \
	KUBECONFIG DOCKER_CONFIG CLOUDSDK_CONFIG AZURE_FEDERATED_TOKEN_FILE PGPASSFILE PGSERVICEFILE \
	ETCD_TRUSTED_CA_FILE LOG4J_CONFIGURATION_FILE TF_CLI_CONFIG_FILE REGISTRY_AUTH_FILE \
	ANSIBLE_VAULT_PASSWORD_FILE GNUTLS_SYSTEM_PRIORITY_FILE SSLKEYLOGFILE CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE; do
	forge "$T/f-$v.spk" "$v=$T/in/evil" || exit 1
	V=$v; export V VARS=$v
	rm -f "$C/m/ran"
	refuse "forged bundle setting $v: refused by default" \
		"run: $T/f-$v.spk: entry [a-z0-9_]+: env $v: a bundle may (not set it by default|set only \*_FILE).*add --env-allow $v" \
		ns 'tmpfs "$C/s"; "$SP" run --bundle "$T/f-$V.spk" --dir "$C/s" --user app -- /bin/sh "$C/show.sh"
			rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
	is "forged bundle setting $v: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after")"
done

# The default lets a bundle tell the app where an ordinary secret is.
forge "$T/db.spk" "DB_PASSWORD_FILE=$T/in/db_password" "API_TOKEN_FILE=$T/in/api_token" || exit 1
export VARS="DB_PASSWORD_FILE API_TOKEN_FILE"
ns 'tmpfs "$C/s"; "$SP" run --bundle "$T/db.spk" --dir "$C/s" --user app -- /bin/sh "$C/show.sh"' >"$T/.out" 2>"$T/.err"
is "DB_PASSWORD_FILE, API_TOKEN_FILE: allowed by default" "0|$C/s/db_password_file|$C/s/api_token_file" \
	"$?|$(val DB_PASSWORD_FILE)|$(val API_TOKEN_FILE)"

# --env-allow NAME: the image opts in to one of them; the others stay refused.
export VARS=SSL_CERT_FILE
ns 'tmpfs "$C/s"; "$SP" run --env-allow SSL_CERT_FILE --bundle "$T/f-SSL_CERT_FILE.spk" --dir "$C/s" \
	--user app -- /bin/sh "$C/show.sh"' >"$T/.out" 2>"$T/.err"
is "--env-allow SSL_CERT_FILE: allowed" "0|$C/s/ssl_cert_file" "$?|$(val SSL_CERT_FILE)"
refuse "--env-allow SSL_CERT_FILE does not allow AWS_CONFIG_FILE" "env AWS_CONFIG_FILE: a bundle may not set it by default" \
	ns 'tmpfs "$C/s"; "$SP" run --env-allow SSL_CERT_FILE --bundle "$T/f-AWS_CONFIG_FILE.spk" --dir "$C/s" \
		--user app -- /bin/sh "$C/show.sh"'
# Patterns, in order, the last match wins; '!' narrows.
export VARS=GIT_CONFIG_GLOBAL
ns 'tmpfs "$C/s"; "$SP" run --env-allow "GIT_*" --bundle "$T/f-GIT_CONFIG_GLOBAL.spk" --dir "$C/s" \
	--user app -- /bin/sh "$C/show.sh"' >"$T/.out" 2>"$T/.err"
is "--env-allow 'GIT_*': GIT_CONFIG_GLOBAL allowed" "0|$C/s/git_config_global" "$?|$(val GIT_CONFIG_GLOBAL)"
rm -f "$C/m/ran"
refuse "--env-allow 'GIT_*' --env-allow '!GIT_CONFIG_*': refused, naming the pattern" \
	"env GIT_CONFIG_GLOBAL: refused by --env-allow '!GIT_CONFIG_\*'" \
	ns 'tmpfs "$C/s"; "$SP" run --env-allow "GIT_*" --env-allow "!GIT_CONFIG_*" --bundle "$T/f-GIT_CONFIG_GLOBAL.spk" \
		--dir "$C/s" --user app -- /bin/sh "$C/show.sh"'
is "'!' narrowing: app not started" 0 "$(ran)"
export VARS=DB_PASSWORD_FILE
refuse "--env-allow '!DB_*' narrows the default" "entry db_password_file: env DB_PASSWORD_FILE: refused by --env-allow '!DB_\*'" \
	ns 'tmpfs "$C/s"; "$SP" run --env-allow "!DB_*" --bundle "$T/db.spk" --dir "$C/s" --user app -- /bin/sh "$C/show.sh"'
# SECRETPACK_ENV_ALLOW: the same patterns, comma-separated, before the flags.
export VARS="SSL_CERT_FILE"
ns 'tmpfs "$C/s"; SECRETPACK_ENV_ALLOW="GIT_CONFIG_GLOBAL,SSL_CERT_FILE" "$SP" run --bundle "$T/f-SSL_CERT_FILE.spk" \
	--dir "$C/s" --user app -- /bin/sh "$C/show.sh"' >"$T/.out" 2>"$T/.err"
is "SECRETPACK_ENV_ALLOW=GIT_CONFIG_GLOBAL,SSL_CERT_FILE: allowed" "0|$C/s/ssl_cert_file" "$?|$(val SSL_CERT_FILE)"
refuse "SECRETPACK_ENV_ALLOW=SSL_CERT_FILE, then --env-allow '!SSL_*': the flag wins" "refused by --env-allow '!SSL_\*'" \
	ns 'tmpfs "$C/s"; SECRETPACK_ENV_ALLOW=SSL_CERT_FILE "$SP" run --env-allow "!SSL_*" --bundle "$T/f-SSL_CERT_FILE.spk" \
		--dir "$C/s" --user app -- /bin/sh "$C/show.sh"'
for p in "A=B" "ab-c" "!" "*/x"; do
	P=$p; export P
	refuse "--env-allow '$p': usage error" "--env-allow '.*': not a pattern" "$SP" run --env-allow "$p" -- /bin/true
	is "--env-allow '$p': exit 2" 2 "$(rc "$SP" run --env-allow "$p" -- /bin/true)"
done
refuse "SECRETPACK_ENV_ALLOW='A,,B': usage error" "SECRETPACK_ENV_ALLOW: an empty pattern" \
	env SECRETPACK_ENV_ALLOW='A,,B' "$SP" run -- /bin/true
is "SECRETPACK_ENV_ALLOW='A,,B': exit 2" 2 "$(rc env SECRETPACK_ENV_ALLOW='A,,B' "$SP" run -- /bin/true)"
# The loader variables stay refused whatever --env-allow says (sp_bundle refuses them at parse).
cat >"$T/ld.ini" <<EOF
[secret x]
file = $T/in/evil
env = LD_PRELOAD
EOF
if "$SP" seal -r "$RCPT" -m "$T/ld.ini" -o "$T/ld.spk" >/dev/null 2>&1; then
	refuse "LD_PRELOAD with --env-allow '*': still refused" "LD_PRELOAD|env|metadata" \
		ns 'tmpfs "$C/s"; "$SP" run --env-allow "*" --bundle "$T/ld.spk" --dir "$C/s" --user app -- /bin/true'
else
	ok "LD_PRELOAD: seal itself refuses to write such an entry"
fi

# A bundle never overrides what the operator set.
export VARS=DB_PASSWORD_FILE
rm -f "$C/m/ran"
refuse "bundle env already set in the environment: refused, naming the entry and the variable" \
	"run: $T/db.spk: entry db_password_file: env DB_PASSWORD_FILE is already set in the environment: the bundle does not override it" \
	ns 'tmpfs "$C/s"; DB_PASSWORD_FILE=/etc/operator-choice "$SP" run --bundle "$T/db.spk" --dir "$C/s" --user app -- \
		/bin/sh "$C/show.sh"; rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "already set: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after")"


# The real attack behind GIT_CONFIG_GLOBAL: the bundle's config makes the app's next `git status`
# run the bundle's command. Refused by default: the command never runs. With the operator's
# explicit --env-allow it does (the control: the test would see the attack if it happened).
if command -v git >/dev/null 2>&1; then
	printf '[core]\n\tfsmonitor = "touch %s/m/pwned; false"\n' "$C" >"$T/in/gitconfig"
	forge "$T/git.spk" "GIT_CONFIG_GLOBAL=$T/in/gitconfig" || exit 1
	mkdir "$C/repo"; git init -q "$C/repo"; chown -R 1000:1000 "$C/repo"
	app gitapp <<'EOF'
: >"$C/m/ran"
cd "$C/repo" && git status >/dev/null 2>&1
EOF
	rm -f "$C/m/ran" "$C/m/pwned"
	refuse "GIT_CONFIG_GLOBAL from a forged bundle: refused" "env GIT_CONFIG_GLOBAL: a bundle may set only \*_FILE" \
		ns 'tmpfs "$C/s"; "$SP" run --bundle "$T/git.spk" --dir "$C/s" --user app -- /bin/sh "$C/gitapp.sh"'
	is "GIT_CONFIG_GLOBAL refused: the app's git status never ran the bundle's command" "0|absent" \
		"$(ran)|$(if [ -e "$C/m/pwned" ]; then echo present; else echo absent; fi)"
	ns 'tmpfs "$C/s"; "$SP" run --env-allow GIT_CONFIG_GLOBAL --bundle "$T/git.spk" --dir "$C/s" --user app -- \
		/bin/sh "$C/gitapp.sh"' >/dev/null 2>&1
	is "control: with --env-allow GIT_CONFIG_GLOBAL the same bundle does run its command" present \
		"$(if [ -e "$C/m/pwned" ]; then echo present; else echo absent; fi)"
	rm -f "$C/m/pwned"
else
	skip "GIT_CONFIG_GLOBAL attack" "git not installed"
fi

# ---- --env VAR=ENTRY ----
newcase
app dump <<'EOF'
: >"$C/m/ran"
printf '%s' "$DB_PASSWORD" >"$C/m/value"
EOF
# Every byte but NUL, newlines and '=' included.
LC_ALL=C awk 'BEGIN { for (i = 1; i < 256; i++) printf "%c", i; printf "x=y\n\n" }' >"$T/in/bin"
[ "$(wc -c <"$T/in/bin")" -eq 260 ] || notok "binary input has 260 bytes"
cat >"$T/e.ini" <<EOF
[secret db_password]
file = $T/in/bin
[secret api_token]
file = $T/in/api_token
env = API_TOKEN_FILE
EOF
"$SP" seal -r "$RCPT" -m "$T/e.ini" -o "$T/e.spk" >/dev/null 2>&1 || { notok "seal e.spk"; exit 1; }
chmod 644 "$T/e.spk"
ns 'tmpfs "$C/s"; "$SP" run --env DB_PASSWORD=db_password --bundle "$T/e.spk" --dir "$C/s" --user app -- \
	/bin/sh "$C/dump.sh"' >"$T/.out" 2>"$T/.err"
is "--env DB_PASSWORD=db_password: exit 0" 0 $?
is "--env: the variable holds the entry's content exactly (255 byte values, newlines, '=')" 1 \
	"$(cmp -s "$T/in/bin" "$C/m/value" && echo 1 || echo 0)"
rm -f "$C/m/ran"
refuse "--env with an unknown entry: refused, naming both" "--env DB_PASSWORD=nosuch: no entry nosuch in the bundles" \
	ns 'tmpfs "$C/s"; "$SP" run --env DB_PASSWORD=nosuch --bundle "$T/e.spk" --dir "$C/s" --user app -- \
		/bin/sh "$C/dump.sh"; rc=$?; ls -A "$C/s" >"$C/after"; exit $rc'
is "--env unknown entry: app not started, DIR empty" "0|" "$(ran)|$(cat "$C/after")"
refuse "--env VAR already set in the environment: refused" "--env DB_PASSWORD=db_password: DB_PASSWORD is already set in the environment" \
	ns 'tmpfs "$C/s"; DB_PASSWORD=x "$SP" run --env DB_PASSWORD=db_password --bundle "$T/e.spk" --dir "$C/s" \
		--user app -- /bin/sh "$C/dump.sh"'
refuse "--env VAR also set by a bundle entry: refused, naming both" \
	"entry api_token: env API_TOKEN_FILE is already set by --env API_TOKEN_FILE=db_password" \
	ns 'tmpfs "$C/s"; "$SP" run --env API_TOKEN_FILE=db_password --bundle "$T/e.spk" --dir "$C/s" --user app -- /bin/true'
printf 'a\0b' >"$T/in/nul"
cat >"$T/n.ini" <<EOF
[secret nul]
file = $T/in/nul
EOF
"$SP" seal -r "$RCPT" -m "$T/n.ini" -o "$T/n.spk" >/dev/null 2>&1 || { notok "seal n.spk"; exit 1; }
chmod 644 "$T/n.spk"
rm -f "$C/m/ran"
refuse "--env on an entry holding a NUL byte: refused" "--env X=nul: entry nul holds a NUL byte" \
	ns 'tmpfs "$C/s"; "$SP" run --env X=nul --bundle "$T/n.spk" --dir "$C/s" --user app -- /bin/sh "$C/dump.sh"'
is "--env NUL: app not started" 0 "$(ran)"
for a in "LD_PRELOAD=db_password" "SECRETPACK_KEY=db_password" "PATH=db_password" "1X=db_password" "X" "X=" "=db_password"; do
	refuse "--env '$a': usage error" "--env" "$SP" run --env "$a" -- /bin/true
	is "--env '$a': exit 2" 2 "$(rc "$SP" run --env "$a" -- /bin/true)"
done
