/* f2fsdbg guest helpers (our own code; built statically by build-initramfs.sh
 * and installed as /usr/bin/xattr and /usr/bin/tcdrain, busybox-style).
 *
 * busybox has no setfattr/getfattr and no way to wait for the serial console
 * to drain before `poweroff -f`, so:
 *
 *   xattr set PATH NAME VALUE     set NAME to the bytes of VALUE
 *   xattr sethex PATH NAME HEX    set NAME to the decoded hex bytes
 *   xattr rm PATH NAME            remove NAME
 *   xattr list PATH...            one line per xattr: PATH<TAB>NAME<TAB>HEXVALUE
 *   tcdrain [FD]                  wait until the tty on FD (default 1) has sent
 *                                 everything (TCSBRK 1 -> uart_wait_until_sent)
 *   guest-util projid PATH ID [inherit]
 *                                 set the project id (chattr -p; with inherit also
 *                                 chattr +P) through FS_IOC_FSSETXATTR
 *   guest-util quota DEV TYPE     the kernel's usage of every id of quota TYPE
 *                                 (0 user, 1 group, 2 project) on block device DEV:
 *                                 one line "TYPE ID CURSPACE CURINODES" per id
 *                                 (Q_GETNEXTQUOTA; busybox has no repquota)
 *
 * xattr never follows symlinks (l*xattr). Exit status 1 on the first error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/xattr.h>
#include <sys/ioctl.h>
#include <sys/quota.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/fs.h>

static int fail(const char *what, const char *path) {
  perror(what);
  fprintf(stderr, "  path: %s\n", path);
  return 1;
}

static int list(const char *path) {
  static char names[65536], val[65536];
  ssize_t n = llistxattr(path, names, sizeof names);
  if (n < 0) return fail("llistxattr", path);
  for (char *p = names; p < names + n; p += strlen(p) + 1) {
    ssize_t v = lgetxattr(path, p, val, sizeof val);
    if (v < 0) return fail("lgetxattr", path);
    printf("%s\t%s\t", path, p);
    for (ssize_t i = 0; i < v; i++) printf("%02x", (unsigned char)val[i]);
    putchar('\n');
  }
  return 0;
}

static int xattr(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "set"))
    return lsetxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) ? fail("lsetxattr", argv[2]) : 0;
  if (argc >= 5 && !strcmp(argv[1], "sethex")) {
    size_t len = strlen(argv[4]) / 2;
    unsigned char *buf = malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
      unsigned x;
      if (sscanf(argv[4] + 2 * i, "%2x", &x) != 1) { fprintf(stderr, "bad hex\n"); return 2; }
      buf[i] = (unsigned char)x;
    }
    return lsetxattr(argv[2], argv[3], buf, len, 0) ? fail("lsetxattr", argv[2]) : 0;
  }
  if (argc >= 4 && !strcmp(argv[1], "rm"))
    return lremovexattr(argv[2], argv[3]) ? fail("lremovexattr", argv[2]) : 0;
  if (argc >= 2 && !strcmp(argv[1], "list")) {
    for (int i = 2; i < argc; i++)
      if (list(argv[i])) return 1;
    return 0;
  }
  fprintf(stderr, "usage: xattr set|sethex PATH NAME VALUE | rm PATH NAME | list PATH...\n");
  return 2;
}

static int projid(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: guest-util projid PATH ID [inherit]\n"); return 2; }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return fail("open", argv[1]);
  struct fsxattr fa;
  if (ioctl(fd, FS_IOC_FSGETXATTR, &fa)) return fail("FS_IOC_FSGETXATTR", argv[1]);
  fa.fsx_projid = (uint32_t)strtoul(argv[2], NULL, 0);
  if (argc > 3 && !strcmp(argv[3], "inherit")) fa.fsx_xflags |= FS_XFLAG_PROJINHERIT;
  if (ioctl(fd, FS_IOC_FSSETXATTR, &fa)) return fail("FS_IOC_FSSETXATTR", argv[1]);
  close(fd);
  return 0;
}

/* struct if_nextdqblk (include/uapi/linux/quota.h): if_dqblk plus the id found. */
struct nextdqblk {
  uint64_t bhardlimit, bsoftlimit, curspace, ihardlimit, isoftlimit, curinodes, btime, itime;
  uint32_t valid, id;
};

static int quota(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: guest-util quota DEV TYPE\n"); return 2; }
  int type = atoi(argv[2]);
  for (uint32_t id = 0;;) {
    struct nextdqblk d;
    if (quotactl(QCMD(0x800009 /* Q_GETNEXTQUOTA */, type), argv[1], (int)id, (caddr_t)&d)) break;
    printf("%d %u %llu %llu\n", type, d.id, (unsigned long long)d.curspace, (unsigned long long)d.curinodes);
    if (d.id == UINT32_MAX) break;
    id = d.id + 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *me = strrchr(argv[0], '/');
  me = me ? me + 1 : argv[0];
  if (!strcmp(me, "tcdrain")) {
    fflush(stdout);
    return tcdrain(argc > 1 ? atoi(argv[1]) : 1) ? (perror("tcdrain"), 1) : 0;
  }
  if (!strcmp(me, "xattr")) return xattr(argc, argv);
  if (!strcmp(me, "projid")) return projid(argc, argv);
  if (!strcmp(me, "quota")) return quota(argc, argv);
  if (argc > 1) return main(argc - 1, argv + 1); /* guest-util xattr ... */
  fprintf(stderr, "usage: guest-util xattr|tcdrain|projid|quota ...\n");
  return 2;
}
