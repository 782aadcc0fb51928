#!/bin/sh
# Rebuilds the golden bundles from golden/ with the committed test keys. Run it only when the
# bundle format changes on purpose: the golden tests exist to catch every other change.
# golden.spk, golden-armored.spk and golden-pass.spk are format version 1: no current writer
# makes them, and they stay as committed, to prove that version 1 bundles still open. This script
# writes the version 2 golden bundle, signed with the committed test signing key.
# usage: tests/cli/keys/make-golden.sh /path/to/secretpack
set -eu
sp=${1:?usage: make-golden.sh /path/to/secretpack}
cd "$(dirname "$0")"
umask 077
cp test-sign.key "${TMPDIR:-/tmp}/make-golden-sign.key"
"$sp" seal -R test.pub --sign "${TMPDIR:-/tmp}/make-golden-sign.key" -m golden/manifest.ini -o golden-signed.spk
rm -f "${TMPDIR:-/tmp}/make-golden-sign.key"
chmod 644 golden-signed.spk
echo "make-golden: wrote golden-signed.spk (version 1 goldens left as committed)"
