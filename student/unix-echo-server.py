# autograder: starter (delete this line when you start: files that still have it are not graded)
"""unix-echo-server PATH: the contract is in docs/exercises/unix-echo-server.md."""
import os
import socket
import sys


def main() -> None:
    path = sys.argv[1]
    # TODO: remove a socket file an earlier run left at `path` (os.unlink), bind an AF_UNIX stream socket
    # to `path`, and for each client in turn send back every byte it sends until it closes (recv() == b"").
    sys.exit(f"unix-echo-server: not written yet (asked to serve {path})")


if __name__ == "__main__":
    main()
