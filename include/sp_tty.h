/* sp_tty.h - the controlling terminal, given up before an app with fewer privileges starts. */
#ifndef SP_TTY_H
#define SP_TTY_H

/* What sp_tty_detach found. */
enum {
	SP_TTY_NONE,     /* no controlling terminal: nothing to do */
	SP_TTY_DETACHED, /* given up */
	SP_TTY_LEADER,   /* kept: the process leads the terminal's session */
};

/* Gives up the calling process's controlling terminal with TIOCNOTTY. It is found through
 * /dev/tty, so also when none of 0, 1, 2 is the terminal (and on 0, 1 or 2 when /dev/tty is
 * missing or is not the terminal). Afterwards a program this process execs as another user can neither push input into
 * the terminal (TIOCSTI needs it to be the controlling terminal) nor take it back (TIOCSCTTY needs
 * a session leader and a terminal no session holds). The process stays in its process group, the
 * terminal's foreground group if it was: Ctrl-C still reaches it, and its descriptors still read
 * and write the terminal.
 * A session leader keeps its terminal (*what = SP_TTY_LEADER): giving it up would hang up the
 * foreground group and leave a terminal without a session, which the leader could take back
 * with TIOCSCTTY at once.
 * SP_ERR_NOT_FOUND (errno set) when there is a controlling terminal but neither /dev/tty nor 0, 1,
 * 2 is it (or /proc cannot say whether there is one); SP_ERR_IO (errno set) when it cannot be given
 * up; SP_ERR_PRIV when it is still the controlling terminal afterwards. */
int sp_tty_detach(int *what);

#endif
