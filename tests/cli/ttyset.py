#!/usr/bin/env python3
# ttyset.py SECRETPACK IDENTITY BUNDLE NAME TEXT: runs `set` with a terminal as stdin, types TEXT
# and Ctrl-D, and prints everything the terminal showed (the secret must not be among it),
# then "exit:N" and "echo:on|off" (the terminal's echo flag afterwards). TEXT "^C" types an
# interrupt instead.
import os, pty, sys, termios, time

sp, ident, bundle, name, text = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sp, [sp, "set", "-i", ident, bundle, name])
shown = b""
deadline = time.time() + 10
typed = False
while time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
    if not typed and b"Ctrl-D" in shown:
        time.sleep(0.1)
        if text == "^C":
            os.write(fd, b"half-typed\x03")
        else:
            os.write(fd, text.encode() + b"\n")
            time.sleep(0.1)
            os.write(fd, b"\x04")
        typed = True
echo = "on" if termios.tcgetattr(fd)[3] & termios.ECHO else "off"
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace").replace("\r", ""))
print("exit:%d" % os.waitstatus_to_exitcode(status))
print("echo:%s" % echo)
