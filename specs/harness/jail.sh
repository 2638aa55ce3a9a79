# The util-linux jail (unshare-jail.ts): run by `sh` as PID 1 of fresh PID, mount, IPC and UTS
# namespaces (and a user namespace when the grader is not root). ROOT is a folder already laid out
# with the view's folders, links and mount points; this mounts the view into it, pivots into it and
# runs the command as its child, so that this shell stays PID 1: when it ends, the kernel kills
# everything left in the namespace.
#
#   sh jail.sh ROOT ROOT_FLAGS CWD STEP... -- COMMAND...
#   STEP: mounts FSTAB (every mount it lists, ROOT's own bind first: one `mount --all`, not one process
#         per mount) | dir PATH | file PATH | link TARGET PATH (inside a tmpfs of the jail)
set -e
root=$1 root_flags=$2 cwd=$3
shift 3
while [ "$1" != -- ]; do
  case $1 in
    mounts) mount -n --all --fstab "$2"; shift 2 ;;
    dir) mkdir -p "$root$2"; shift 2 ;;
    file) : > "$root$2"; shift 2 ;;
    link) ln -s "$2" "$root$3"; shift 3 ;;
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
