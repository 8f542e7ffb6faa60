#!/bin/sh
# Build the f2fsdbg test VM's base initramfs (idempotent).
#
# Output, in $F2FSDBG_VM_CACHE (default: <repo>/fixtures/build/vm, gitignored):
#   initramfs-<kver>.cpio   uncompressed newc archive (the kernel unpacks it
#                           faster than a gzip one under TCG)
#   vmlinux-<kver>-<hash>   the kernel's ELF, extracted from the bzImage so that
#                           qemu boots it via PVH (no in-guest decompression)
#   vm.json                 {"kernel" (vmlinux or bzImage), "bzImage", "initramfs", "kver", "stamp"}
# Prints the path of vm.json on stdout.
#
# Contents: busybox-static + applet links, f2fs.ko, virtio_blk/virtio_pci, quota_v2 and the fscrypt ciphers
# with their dependencies (resolved with `modprobe --show-depends`, so
# softdeps such as crc32 come too; .ko.xz/.ko.zst/.ko.gz are decompressed
# here because busybox insmod only takes plain .ko), /usr/sbin/f2fs_io with
# the libraries ldd lists, our own static helpers xattr + tcdrain
# (scripts/vm/guest-util.c),
# and scripts/vm/init as /init.
#
# Needs (Debian): busybox-static, f2fs-tools, linux-image-amd64, qemu-system-x86,
# cpio, kmod, gcc, libc6-dev.
# Env: F2FSDBG_VM_KVER picks a kernel version (default: newest one that has
# both /boot/vmlinuz-<kver> and an f2fs module); F2FSDBG_VM_REBUILD=1 forces.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${F2FSDBG_VM_CACHE:-$repo/fixtures/build/vm}
mkdir -p "$cache"

die() { echo "build-initramfs: $*" >&2; exit 1; }

# --- pick the kernel -------------------------------------------------------
kver=${F2FSDBG_VM_KVER:-}
if [ -z "$kver" ]; then
  for d in $(ls -d /lib/modules/* 2>/dev/null | sort -V -r); do
    k=$(basename "$d")
    [ -r "/boot/vmlinuz-$k" ] || continue
    ls "$d"/kernel/fs/f2fs/f2fs.ko* >/dev/null 2>&1 || continue
    kver=$k; break
  done
fi
[ -n "$kver" ] || die "no kernel with /boot/vmlinuz-<kver> and an f2fs module (apt-get install linux-image-amd64)"
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "$kernel not readable"

for tool in busybox f2fs_io modprobe cpio gcc ldd; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || [ -x "/sbin/$tool" ] || die "missing tool: $tool"
done
busybox=$(command -v busybox)
f2fs_io=$(command -v f2fs_io || echo /usr/sbin/f2fs_io)
modprobe=$(command -v modprobe || echo /sbin/modprobe)
file "$busybox" 2>/dev/null | grep -q 'dynamically' && die "$busybox is dynamically linked (apt-get install busybox-static)"

# --- resolve modules (dependency order, de-duplicated) ----------------------
mods=""
# quota_v2 for images with quota; xts, cts and sha512 for fscrypt's AES-256-XTS / AES-256-CTS-CBC and HKDF-SHA512.
for m in virtio_pci virtio_blk f2fs quota_v2 xts cts sha512; do
  out=$("$modprobe" -S "$kver" --show-depends "$m" 2>&1) || die "modprobe --show-depends $m: $out"
  for p in $(printf '%s\n' "$out" | awk '$1 == "insmod" { print $2 }'); do
    case " $mods " in *" $p "*) ;; *) mods="$mods $p" ;; esac
  done
done
[ -n "$mods" ] || die "no modules resolved"

# --- stamp: rebuild only when an input changed ------------------------------
stamp=$( {
  echo "$kver"; echo "$mods"
  for f in "$0" "$here/init" "$here/guest-util.c" "$busybox" "$f2fs_io" "$kernel" $mods; do sha256sum "$f"; done
} | sha256sum | cut -c1-16)
out="$cache/initramfs-$kver.cpio"
json="$cache/vm.json"
if [ "${F2FSDBG_VM_REBUILD:-0}" != 1 ] && [ -f "$out" ] && [ -f "$json" ] && grep -q "\"stamp\": \"$stamp\"" "$json"; then
  echo "$json"; exit 0
fi

# --- kernel: boot the uncompressed ELF through PVH when possible -----------
# Under TCG, the bzImage's own xz decompressor costs ~4 s per boot; qemu can
# boot the decompressed vmlinux directly through its PVH entry point
# (CONFIG_PVH=y in Debian's kernels). Fall back to the bzImage otherwise.
boot_kernel=$kernel
vmlinux="$cache/vmlinux-$kver-$(sha256sum "$kernel" | cut -c1-12)"
if grep -q '^CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null; then
  if [ ! -s "$vmlinux" ]; then
    for fmt in 'xz:\3757zXZ\000' 'zstd:\050\265\057\375' 'gzip:\037\213\010'; do
      name=${fmt%%:*}; magic=$(printf "${fmt#*:}")
      off=$(LC_ALL=C grep -abo "$magic" "$kernel" 2>/dev/null | head -1 | cut -d: -f1) || true
      [ -n "$off" ] || continue
      case $name in
        xz)   tail -c +$((off + 1)) "$kernel" | xz -dc --single-stream > "$vmlinux.tmp.$$" 2>/dev/null || true ;;
        zstd) tail -c +$((off + 1)) "$kernel" | zstd -qdc > "$vmlinux.tmp.$$" 2>/dev/null || true ;;
        gzip) tail -c +$((off + 1)) "$kernel" | gzip -dc > "$vmlinux.tmp.$$" 2>/dev/null || true ;;
      esac
      if [ "$(head -c 4 "$vmlinux.tmp.$$" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
        mv "$vmlinux.tmp.$$" "$vmlinux"; break
      fi
      rm -f "$vmlinux.tmp.$$"
    done
  fi
  [ -s "$vmlinux" ] && boot_kernel=$vmlinux
fi

# --- stage the tree --------------------------------------------------------
stage=$(mktemp -d "$cache/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 lib/modules proc sys dev tmp mnt etc root
mknod -m 600 dev/console c 5 1
mknod -m 666 dev/null c 1 3

cp "$busybox" bin/busybox
for a in $("$busybox" --list-full); do
  [ "$a" = bin/busybox ] && continue
  mkdir -p "$(dirname "$a")"; ln -sf /bin/busybox "$a"
done

cp "$f2fs_io" usr/sbin/f2fs_io
for lib in $(ldd "$f2fs_io" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }'); do
  [ -f "$lib" ] || continue
  mkdir -p ".$(dirname "$lib")"; cp -L "$lib" ".$lib"
done

gcc -O2 -static -s -Wall -o usr/bin/guest-util "$here/guest-util.c"
ln -s guest-util usr/bin/xattr
ln -s guest-util usr/bin/tcdrain
ln -s guest-util usr/bin/fscrypt

: > etc/modules
for p in $mods; do
  base=$(basename "$p")
  case "$base" in
    *.ko.xz)  n=${base%.xz};  xz -dc "$p" > "lib/modules/$n" ;;
    *.ko.zst) n=${base%.zst}; zstd -qdc "$p" > "lib/modules/$n" ;;
    *.ko.gz)  n=${base%.gz};  gzip -dc "$p" > "lib/modules/$n" ;;
    *)        n=$base;        cp "$p" "lib/modules/$n" ;;
  esac
  echo "$n" >> etc/modules
done

cp "$here/init" init
chmod 755 init

tmp="$out.tmp.$$"
find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet > "$tmp"
mv "$tmp" "$out"
printf '{\n  "kernel": "%s",\n  "bzImage": "%s",\n  "initramfs": "%s",\n  "kver": "%s",\n  "stamp": "%s"\n}\n' \
  "$boot_kernel" "$kernel" "$out" "$kver" "$stamp" > "$json.tmp.$$"
mv "$json.tmp.$$" "$json"
echo "$json"
