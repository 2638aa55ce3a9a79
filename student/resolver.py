# autograder: starter (delete this line when you start: files that still have it are not graded)
"""resolver NAME | resolver -r ADDRESS | resolver --fqdn [NAME]: the contract is in docs/exercises/resolver.md."""
import json
import socket
import sys

USAGE = "usage: resolver NAME | resolver -r ADDRESS | resolver --fqdn [NAME]"


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--fqdn"] and len(args) <= 2:
        name = args[1] if len(args) == 2 else ""
        # TODO: print {"fqdn": ...}, what socket.getfqdn(name) returns.
    elif args[:1] == ["-r"] and len(args) == 2:
        address = args[1]
        # TODO: print {"hostname": ..., "aliases": [...], "addresses": [...]} from socket.gethostbyaddr(address).
    elif len(args) == 1 and not args[0].startswith("-"):
        name = args[0]
        # TODO: the same from socket.gethostbyname_ex(name).
    else:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    # TODO: print the result with json.dumps. When the lookup fails (socket.gaierror, socket.herror),
    # print one line to stderr and exit with code 2.
    sys.exit(f"resolver: not written yet (asked: {' '.join(args)})")


if __name__ == "__main__":
    main()
