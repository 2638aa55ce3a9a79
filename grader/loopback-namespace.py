# Runs a submission's grading (the command in argv) with a loopback of its own: grader/isolation.ts
# starts it as the first process of a new network namespace. Usage:
#   python3 -I -S loopback-namespace.py [--drop-caps] COMMAND [ARG...]
#
# 1. Brings `lo` up (127.0.0.1 and ::1), as `ip link set lo up` would on a machine with iproute2:
#    util-linux's `unshare --net` leaves it down (bubblewrap brings it up itself).
# 2. Moves into one more network namespace whose TCP connection table is small. A namespace made from
#    one whose net.ipv4.tcp_child_ehash_entries is 0 shares the machine's table (262,144 buckets on a
#    machine with some memory), and every read of /proc/net/tcp walks all of it: about 4 ms of CPU
#    however few sockets there are, and the grader reads it whenever it checks that a program listens.
#    With its own table of CHILD_EHASH buckets a read takes microseconds. The kernel derives two limits
#    from the table's size: they are set back to what any new namespace gets (those of this one), so
#    that TIME_WAIT and SYN-queue behaviour stay as they were. Where the kernel cannot (before 6.1, no
#    CAP_NET_ADMIN) the grading runs in the first namespace, as it did before.
# 3. With --drop-caps, gives up the capabilities bubblewrap was asked to keep for steps 1-2 (bounding
#    set included), so that the grading runs with none, as it would without them.
# Then it becomes the command (exec): no process is added to the grading's tree.
import ctypes, fcntl, os, socket, struct, sys

CHILD_EHASH = 4096
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
IPV4 = '/proc/sys/net/ipv4/'
# Derived from the table's size in a new namespace (tcp_set_hashinfo): kept at what they would be.
SIZED_BY_TABLE = ('tcp_max_tw_buckets', 'tcp_max_syn_backlog')

libc = ctypes.CDLL(None, use_errno=True)


def loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack('16sH22x', b'lo', 0)
        flags = struct.unpack('16sH', fcntl.ioctl(s, SIOCGIFFLAGS, request)[:18])[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH22x', b'lo', flags | IFF_UP))


def read(name):
    with open(IPV4 + name) as f:
        return f.read().strip()


def write(name, value):
    with open(IPV4 + name, 'w') as f:
        f.write(value)


def small_table_namespace():
    try:
        limits = {name: read(name) for name in SIZED_BY_TABLE}
        write('tcp_child_ehash_entries', str(CHILD_EHASH))
    except OSError:
        return  # an older kernel, or not allowed: stay in this namespace
    if libc.unshare(CLONE_NEWNET) != 0:
        return
    loopback_up()
    for name, value in limits.items():
        write(name, value)


def drop_capabilities():
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == 22:
                break  # EINVAL: past the last capability this kernel knows
            raise OSError(ctypes.get_errno(), 'prctl(PR_CAPBSET_DROP): could not give up a capability')
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = ctypes.create_string_buffer(struct.pack('Ii', LINUX_CAPABILITY_VERSION_3, 0), 8)
    if libc.capset(header, ctypes.create_string_buffer(24)) != 0:
        raise OSError(ctypes.get_errno(), 'capset: could not give up the capabilities')


args = sys.argv[1:]
drop = args[:1] == ['--drop-caps']
if drop:
    args = args[1:]
loopback_up()
small_table_namespace()
if drop:
    drop_capabilities()
os.execvp(args[0], args)
