# opts_lib.sh - the options a verb's -h defines, for the man page and completion checks.
# Source it. help_opts reads -h text on stdin and prints its options, one per line, sorted, without
# -h/--help: every option in the synopsis (the usage: line and its '['-continuations) and the
# option each definition line starts with ("  -o, --output FILE  ...", "      --json  ...");
# options named in prose ("for run --trust") are another verb's and do not count.
help_opts() {
	awk '
		/^usage:/ { syn = 1; print; next }
		syn && /^[ \t]+\[/ { print; next }
		{ syn = 0 }
		/^[ \t]+-/ {
			if (match($0, /^[ \t]+(-[a-zA-Z](, --[a-zA-Z][a-zA-Z0-9-]*)?|--[a-zA-Z][a-zA-Z0-9-]*)/))
				print substr($0, RSTART, RLENGTH)
		}' |
		grep -oE '(^|[][ ,(|])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[][ ,(|]//' | grep -vx -- '-h\|--help' | sort -u
}
