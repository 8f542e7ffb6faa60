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
 *
 * xattr never follows symlinks (l*xattr). Exit status 1 on the first error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/xattr.h>

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

int main(int argc, char **argv) {
  const char *me = strrchr(argv[0], '/');
  me = me ? me + 1 : argv[0];
  if (!strcmp(me, "tcdrain")) {
    fflush(stdout);
    return tcdrain(argc > 1 ? atoi(argv[1]) : 1) ? (perror("tcdrain"), 1) : 0;
  }
  if (!strcmp(me, "xattr")) return xattr(argc, argv);
  if (argc > 1) return main(argc - 1, argv + 1); /* guest-util xattr ... */
  fprintf(stderr, "usage: guest-util xattr|tcdrain ...\n");
  return 2;
}
