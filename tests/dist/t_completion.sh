#!/bin/sh
# Shell completion: the bash script driven as bash would (COMP_WORDS, COMP_CWORD, the function,
# COMPREPLY) for verbs, each verb's options (compared with the binary's -h, so a new option
# without completion fails here), files and directories after the options that take them; fish
# driven with 'complete -C'; zsh parsed, and naming every option.
. "$SP_TESTS/cli/lib.sh"
ROOT=$(cd "$SP_TESTS/.." && pwd)
C=$ROOT/contrib/completion
# The verbs, from the binary's own list: a verb added without completion fails below.
all_verbs=$("$SP" -h 2>&1 | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
verbs=$(echo "$all_verbs" | grep -vx 'help\|version')

. "$SP_TESTS/cli/opts_lib.sh"
verb_opts() { # verb -> its -h options and -h --help, one per line, sorted
	{ "$SP" "$1" -h | help_opts; printf '%s\n' -h --help; } | sort -u
}
# comp WORD... : the words of the command line, the last being completed; prints COMPREPLY sorted.
comp() {
	(cd "$T/work" && bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_secretpack secretpack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$C/secretpack.bash" "$@") | sed '/^$/d' | sort
}
lines() { printf '%s\n' "$@" | sort; }

if ! command -v bash >/dev/null 2>&1; then
	skip "bash completion" "bash not installed"
else
	mkdir -p "$T/work/sub dir" "$T/work/secrets"
	: >"$T/work/app.spk"; : >"$T/work/prod.key"; : >"$T/work/manifest.ini"
	bash -c '. "$1"; complete -p secretpack' _ "$C/secretpack.bash" | grep -q -- '-F _secretpack secretpack$' &&
		ok "bash: the script registers _secretpack for secretpack" || notok "bash: the script registers _secretpack"
	is "bash: verbs (those of secretpack -h)" "$(lines $all_verbs)" "$(comp secretpack '')"
	is "bash: a verb's prefix" "seal" "$(comp secretpack sea)"
	is "bash: options before a verb" "$(lines -h --help -V --version)" "$(comp secretpack -)"
	for v in $verbs; do
		want=$(verb_opts "$v")
		[ "$v" = run ] && want=$(lines $want --)
		got=$(comp secretpack "$v" -)
		if [ "$got" = "$want" ]; then ok "bash: $v - offers exactly $v -h's options ($(echo $got | wc -w))"
		else notok "bash: $v - offers exactly $v -h's options"
			printf '%s\n' "$want" >"$T/w"; printf '%s\n' "$got" >"$T/g"
			comm -23 "$T/w" "$T/g" | sed 's/^/# in -h, not completed: /'
			comm -13 "$T/w" "$T/g" | sed 's/^/# completed, not in -h: /'; fi
	done
	is "bash: seal --a completes --armor" "--armor" "$(comp secretpack seal --a)"
	is "bash: seal -o FILE: files and directories" "$(lines app.spk manifest.ini prod.key secrets 'sub dir')" \
		"$(comp secretpack seal -o '')"
	is "bash: seal -m m: the manifest file" "manifest.ini" "$(comp secretpack seal -m m)"
	is "bash: seal operands are files" "$(lines secrets 'sub dir')" "$(comp secretpack seal -o x.spk s)"
	is "bash: open -i p: the identity file" "prod.key" "$(comp secretpack open -i p)"
	is "bash: open -o: directories only" "$(lines secrets 'sub dir')" "$(comp secretpack open -i prod.key -o '')"
	is "bash: run --dir: directories only" "$(lines secrets 'sub dir')" "$(comp secretpack run --dir '')"
	is "bash: run --bundle a: files" "app.spk" "$(comp secretpack run --bundle a)"
	is "bash: cat BUNDLE: files" "app.spk" "$(comp secretpack cat -i prod.key a)"
	is "bash: nothing offered for a --context value" "" "$(comp secretpack open --context '')"
	is "bash: run -- sh: commands" "sh" "$(comp secretpack run --user app -- sh | grep -x sh | sort -u)"
	is "bash: help se: verbs" "$(lines seal set)" "$(comp secretpack help se)"
fi

if command -v fish >/dev/null 2>&1; then
	fish --no-execute "$C/secretpack.fish" && ok "fish: the script parses" || notok "fish: the script parses"
	fcomp() { (cd "$T/work" && fish --no-config -c "source $C/secretpack.fish; complete -C '$1'") | cut -f1 | sort; }
	is "fish: verbs (those of secretpack -h)" "$(lines $all_verbs)" "$(fcomp 'secretpack ' | grep -v '^-')"
	for v in $verbs; do
		want=$(verb_opts "$v" | grep -- '^--')
		got=$(fcomp "secretpack $v --")
		is "fish: $v -- offers exactly $v -h's long options" "$want" "$got"
	done
	is "fish: open -o: directories" "$(lines secrets/ 'sub dir/')" "$(fcomp 'secretpack open -o ')"
else
	skip "fish completion" "fish not installed (apt-get install fish)"
fi

if command -v zsh >/dev/null 2>&1; then
	zsh -n "$C/_secretpack" && ok "zsh: the script parses" || notok "zsh: the script parses"
else
	skip "zsh: the script parses" "zsh not installed (apt-get install zsh)"
fi
# Every -h option appears in the zsh script (the word, as an option spec).
miss=
for v in $verbs; do
	for o in $(verb_opts "$v"); do
		grep -q -- "[{',(]${o}[]}',[ ]" "$C/_secretpack" || grep -q -- "'$o\[" "$C/_secretpack" ||
			grep -q -- "'\*$o\[" "$C/_secretpack" || miss="$miss $v:$o"
	done
done
is "zsh: the script names every -h option" "" "$miss"
