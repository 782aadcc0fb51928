# bash completion for secretpack: commands, each command's options, files and directories where
# they are expected. Installed as share/bash-completion/completions/secretpack.
# COMPREPLY, one candidate per line (names with blanks stay whole).
_secretpack_reply()
{
	mapfile -t COMPREPLY < <(compgen "$@")
}

_secretpack()
{
	local cur prev verb i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local verbs="keygen pubkey seal inspect open cat check run set rm rekey edit help version"
	verb=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			_secretpack_reply -W "-h --help -V --version" -- "$cur"
		else
			_secretpack_reply -W "$verbs" -- "$cur"
		fi
		return 0
	fi
	# run: everything after -- is the command and its arguments.
	if [[ $verb == run ]]; then
		for ((i = 2; i < COMP_CWORD; i++)); do
			if [[ ${COMP_WORDS[i]} == -- ]]; then
				if ((i + 1 == COMP_CWORD)); then
					_secretpack_reply -c -- "$cur"
				else
					_secretpack_reply -f -- "$cur"
				fi
				return 0
			fi
		done
	fi
	local opts
	case $verb in
	keygen) opts="-o --output -p --passphrase --sign -h --help" ;;
	pubkey) opts="-h --help" ;;
	seal) opts="-r --recipient -R --recipients-file -p --passphrase -c --context -e --expires
		-s --sign -a --armor -o --output -m --manifest -h --help" ;;
	inspect) opts="-i --identity -p --passphrase -c --context --trust --json -h --help" ;;
	open) opts="-i --identity -p --passphrase -c --context -o --output --allow-expired --trust --force -h --help" ;;
	cat) opts="-i --identity -p --passphrase -c --context --allow-expired --trust -h --help" ;;
	check) opts="-i --identity -p --passphrase -c --context --trust --expires-within --json -h --help" ;;
	set) opts="-i --identity --mode --owner --env -s --sign --allow-expired -o --output -h --help" ;;
	rm) opts="-i --identity -s --sign --allow-expired -o --output -h --help" ;;
	rekey) opts="-i --identity -r --recipient -R --recipients-file --remove -p --passphrase
		--remove-passphrase --rotate --expires --no-expiry --context -s --sign --unsign --allow-expired
		-o --output -h --help" ;;
	edit) opts="-i --identity -s --sign --allow-disk --allow-expired -o --output -h --help" ;;
	run) opts="--bundle --dir --user --context --init --keep-env --allow-disk --allow-new-privs
		--unlink-key --env-allow --env --trust --not-before --deliver --group -h --help" ;;
	help)
		_secretpack_reply -W "$verbs" -- "$cur"
		return 0 ;;
	*) return 0 ;;
	esac
	# The value of an option that takes one.
	case $verb:$prev in
	open:-o | open:--output | run:--dir)
		_secretpack_reply -d -- "$cur"
		return 0 ;;
	*:-o | *:--output | *:-i | *:--identity | *:-R | *:--recipients-file | *:-m | *:--manifest | run:--bundle | \
	*:-s | *:--sign | *:--trust)
		_secretpack_reply -f -- "$cur"
		return 0 ;;
	run:--user)
		_secretpack_reply -u -- "$cur"
		return 0 ;;
	run:--keep-env)
		_secretpack_reply -W "SECRETPACK_BUNDLE SECRETPACK_DIR SECRETPACK_USER SECRETPACK_CONTEXT
			SECRETPACK_INIT SECRETPACK_ENV_ALLOW" -- "$cur"
		return 0 ;;
	*:-r | *:--recipient | *:-c | *:--context | *:-e | *:--expires | run:--env-allow | run:--env | \
	run:--not-before | run:--group | check:--expires-within | set:--mode | set:--owner | set:--env | \
	rekey:--remove)
		return 0 ;;
	esac
	if [[ $cur == -* ]]; then
		_secretpack_reply -W "$opts" -- "$cur"
		[[ $verb == run && -- == "$cur"* ]] && COMPREPLY+=(--)
		return 0
	fi
	# Operands: files (bundles, identities, inputs; seal also takes directories).
	[[ $verb == run ]] && return 0
	_secretpack_reply -f -- "$cur"
	return 0
}
complete -o filenames -o bashdefault -F _secretpack secretpack
