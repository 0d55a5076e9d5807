"""Run one command and write its exit status, peak resident size and CPU time to a file.

Why a launcher between the campaign and `nnstudio`: Linux counts in a process's peak resident size
(ru_maxrss) the memory of the process it was forked from, even after exec. Forked straight from the
campaign, which holds hypothesis, onnx and the inputs it generated, every `nnstudio` would report at
least the campaign's own size. This launcher is a small interpreter (`python -S`, a few MiB): forked
from it, the command's figure is its own.

    python -S campaign_launch.py RESULT MEMORY_BYTES COMMAND…

The command gets an address-space limit of MEMORY_BYTES and Ctrl-C back (a shell that started the
campaign in the background ignores SIGINT, and children inherit that, so Python would never see the
signal); the launcher itself ignores SIGINT, so a Ctrl-C sent to the process group reaches the command
alone. RESULT receives "EXIT MAXRSS_KIB USER_SECONDS SYSTEM_SECONDS" once the command has ended.
"""

import os
import resource
import signal
import sys


def main() -> None:
    result, memory, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    pid = os.fork()
    if pid == 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            os.execv(command[0], command)
        finally:
            os._exit(127)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, status, usage = os.wait4(pid, 0)
    with open(result, "w", encoding="ascii") as out:
        out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {usage.ru_utime} {usage.ru_stime}\n")


if __name__ == "__main__":
    main()
