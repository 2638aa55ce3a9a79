# The util-linux jail (unshare-jail.ts): run by `sh` as PID 1 of fresh PID, mount, IPC and UTS
# namespaces (and a user namespace when the grader is not root). ROOT is a folder already laid out
# with the view's folders, links and mount points; this mounts the view into it, pivots into it and
# runs the command as its child, so that this shell stays PID 1: when it ends, the kernel kills
# everything left in the namespace.
#
#   sh jail.sh ROOT ROOT_FLAGS CWD STEP... -- COMMAND...
#   STEP: dir PATH | file PATH | link TARGET PATH (inside a tmpfs of the jail) | tmpfs PATH BYTES
#         | ro SRC PATH FLAGS | rw SRC PATH | proc | dev
set -e
root=$1 root_flags=$2 cwd=$3
shift 3
mount -n --bind "$root" "$root"
while [ "$1" != -- ]; do
  case $1 in
    dir) mkdir -p "$root$2"; shift 2 ;;
    file) : > "$root$2"; shift 2 ;;
    link) ln -s "$2" "$root$3"; shift 3 ;;
    tmpfs) mount -n -t tmpfs -o "mode=1777,size=$3" tmpfs "$root$2"; shift 3 ;;
    rw) mount -n --bind "$2" "$root$3"; shift 3 ;;
    ro) mount -n --bind -o "$4" "$2" "$root$3"; shift 4 ;;
    proc) mount -n -t proc proc "$root/proc"; shift ;;
    # Like bubblewrap's --dev: the harmless device nodes only (the host's /dev has the disks and the
    # grader's terminals); their mount points and the /proc links are in ROOT already.
    dev) for node in null zero full random urandom tty; do mount -n --bind "/dev/$node" "$root/dev/$node"; done; shift ;;
    *) echo "jail: unknown step $1" >&2; exit 125 ;;
  esac
done
shift
cd "$root"
pivot_root . .old
umount -n -l /.old
mount -n -o "remount,bind,$root_flags" /
cd "$cwd"
"$@"
exit $?
