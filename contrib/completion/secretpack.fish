# fish completion for secretpack: commands, each command's options, files where files are expected.
# Installed as share/fish/vendor_completions.d/secretpack.fish.
set -l verbs keygen pubkey seal inspect open cat check run set rm rekey edit help version
complete -c secretpack -f
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -s h -l help -d 'list the commands'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -s V -l version -d 'print the version'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a keygen -d 'make an identity'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a pubkey -d 'print the recipient of an identity'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a seal -d 'encrypt files into a bundle'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a inspect -d 'show a bundle header'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a open -d 'write the entries into a directory'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a cat -d 'write one entry to stdout'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a check -d 'check bundles for CI'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a run -d 'container entrypoint'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a set -d 'add or replace one entry'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a rm -d 'remove entries'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a rekey -d 'change recipients, expiry, context, signer'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a edit -d 'edit entries in RAM'
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a help -d "a command's options"
complete -c secretpack -n "not __fish_seen_subcommand_from $verbs" -a version -d 'print the version'
complete -c secretpack -n "__fish_seen_subcommand_from help" -a "$verbs"
for v in keygen pubkey seal inspect open cat check run set rm rekey edit
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s h -l help -d 'show usage'
end
complete -c secretpack -n "__fish_seen_subcommand_from keygen" -s o -l output -r -F -d 'identity file to write'
complete -c secretpack -n "__fish_seen_subcommand_from keygen" -s p -l passphrase -d 'encrypt the identity'
complete -c secretpack -n "__fish_seen_subcommand_from keygen" -l sign -d 'make a signing key'
complete -c secretpack -n "__fish_seen_subcommand_from pubkey" -F
complete -c secretpack -n "__fish_seen_subcommand_from seal" -F
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s r -l recipient -x -d 'recipient'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s R -l recipients-file -r -F -d 'recipients file'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s p -l passphrase -d 'add a passphrase recipient'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s c -l context -x -d 'bind to a deployment'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s e -l expires -x -d 'expiry'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s a -l armor -d 'write text'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s s -l sign -r -F -d 'signing key'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s o -l output -r -F -d 'bundle to write'
complete -c secretpack -n "__fish_seen_subcommand_from seal" -s m -l manifest -r -F -d 'manifest'
for v in inspect open cat check
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -F
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s i -l identity -r -F -d 'identity file'
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s p -l passphrase -d 'use the passphrase'
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s c -l context -x -d 'context'
end
complete -c secretpack -n "__fish_seen_subcommand_from inspect check" -l json -d 'print JSON'
complete -c secretpack -n "__fish_seen_subcommand_from open cat" -l allow-expired -d 'read an expired bundle'
complete -c secretpack -n "__fish_seen_subcommand_from check" -l expires-within -x -d 'expiry window'
complete -c secretpack -n "__fish_seen_subcommand_from inspect open cat check run" -l trust -r -F -d 'required signer'
complete -c secretpack -n "__fish_seen_subcommand_from open" -s o -l output -x -a '(__fish_complete_directories)' -d 'directory to write'
complete -c secretpack -n "__fish_seen_subcommand_from open" -l force -d 'replace regular files'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l bundle -r -F -d 'bundle to open'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l dir -x -a '(__fish_complete_directories)' -d 'secrets directory'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l user -x -a '(__fish_complete_users)' -d 'user to run as'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l context -x -d 'context'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l init -d 'stay as PID 1'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l keep-env -x -d 'pass a SECRETPACK_* variable'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l allow-disk -d 'allow a directory on disk'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l allow-new-privs -d 'do not set no_new_privs'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l unlink-key -d 'remove the key file after reading'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l env-allow -x -d 'variables a bundle may set'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l env -x -d 'an entry as a variable'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l not-before -x -d 'refuse older bundles'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l deliver -d 'write the secrets and exit'
complete -c secretpack -n "__fish_seen_subcommand_from run" -l group -x -d 'group of the delivered files'
for v in set rm rekey edit
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -F
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s i -l identity -r -F -d 'identity file'
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s s -l sign -r -F -d 'signing key'
	complete -c secretpack -n "__fish_seen_subcommand_from $v" -s o -l output -r -F -d 'bundle to write'
end
complete -c secretpack -n "__fish_seen_subcommand_from set" -l mode -x -d 'file mode'
complete -c secretpack -n "__fish_seen_subcommand_from set" -l owner -x -d 'owner at runtime'
complete -c secretpack -n "__fish_seen_subcommand_from set" -l env -x -d 'variable naming the file'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -s r -l recipient -x -d 'add a recipient'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -s R -l recipients-file -r -F -d 'add recipients from a file'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l remove -x -d 'remove a recipient'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -s p -l passphrase -d 'add or change the passphrase'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l remove-passphrase -d 'remove the passphrase'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l rotate -d 'new file key'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l expires -x -d 'new expiry'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l no-expiry -d 'remove the expiry'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l context -x -d 'new context'
complete -c secretpack -n "__fish_seen_subcommand_from rekey" -l unsign -d 'drop the signature'
complete -c secretpack -n "__fish_seen_subcommand_from edit" -l allow-disk -d 'allow a workspace on disk'
