#!/bin/sh
# Rebuilds the golden bundles from golden/ with the committed test keys. Run it only when the
# bundle format changes on purpose: the golden tests exist to catch every other change.
# usage: tests/cli/keys/make-golden.sh /path/to/secretpack
set -eu
sp=${1:?usage: make-golden.sh /path/to/secretpack}
cd "$(dirname "$0")"
pass=$(cat test-enc.pass)
"$sp" seal -R test.pub -m golden/manifest.ini -o golden.spk
"$sp" seal -R test.pub -m golden/manifest.ini -a -o golden-armored.spk
SECRETPACK_PASSPHRASE=$pass "$sp" seal -R test-enc.pub -p -m golden/manifest.ini -o golden-pass.spk
echo "make-golden: wrote golden.spk golden-armored.spk golden-pass.spk"
