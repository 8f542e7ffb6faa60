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
 * and the fscrypt / fs-verity ioctls f2fs_io lacks:
 *
 *   fscrypt add-key KEYFILE MNT   FS_IOC_ADD_ENCRYPTION_KEY (v2, raw key from
 *                                 KEYFILE); prints the key identifier in hex
 *   fscrypt add-key-v1 KEYFILE MNT DESCHEX  the same for a v1 key descriptor
 *   fscrypt set-policy DIR IDHEX [FLAGS]  FS_IOC_SET_ENCRYPTION_POLICY v2,
 *                                 AES-256-XTS / AES-256-CTS, flags in hex
 *                                 (default 3: padding 32)
 *   fscrypt set-policy-v1 DIR DESCHEX  the same, v1 policy
 *   fscrypt enable-verity FILE [SALTHEX]  FS_IOC_ENABLE_VERITY sha256, 4096
 *   fscrypt measure-verity FILE   FS_IOC_MEASURE_VERITY: prints sha256:HEX
 *
 * xattr never follows symlinks (l*xattr). Exit status 1 on the first error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <sys/ioctl.h>
#include <sys/quota.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/fscrypt.h>
#include <linux/fsverity.h>

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

static size_t unhex(const char *hex, unsigned char *buf, size_t max) {
  size_t len = strlen(hex) / 2;
  if (len > max) return (size_t)-1;
  for (size_t i = 0; i < len; i++) {
    unsigned x;
    if (sscanf(hex + 2 * i, "%2x", &x) != 1) return (size_t)-1;
    buf[i] = (unsigned char)x;
  }
  return len;
}

static int fscrypt(int argc, char **argv) {
  int v1 = argc >= 5 && !strcmp(argv[1], "add-key-v1");
  if (v1 || (argc >= 4 && !strcmp(argv[1], "add-key"))) {
    static unsigned char buf[sizeof(struct fscrypt_add_key_arg) + FSCRYPT_MAX_KEY_SIZE];
    struct fscrypt_add_key_arg *arg = (struct fscrypt_add_key_arg *)buf;
    FILE *f = fopen(argv[2], "rb");
    if (!f) return fail("fopen", argv[2]);
    arg->raw_size = fread(arg->raw, 1, FSCRYPT_MAX_KEY_SIZE, f);
    fclose(f);
    arg->key_spec.type = v1 ? FSCRYPT_KEY_SPEC_TYPE_DESCRIPTOR : FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
    if (v1 && unhex(argv[4], arg->key_spec.u.descriptor, FSCRYPT_KEY_DESCRIPTOR_SIZE) != FSCRYPT_KEY_DESCRIPTOR_SIZE) {
      fprintf(stderr, "bad descriptor\n");
      return 2;
    }
    int fd = open(argv[3], O_RDONLY | O_DIRECTORY);
    if (fd < 0 || ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, arg)) return fail("FS_IOC_ADD_ENCRYPTION_KEY", argv[3]);
    if (!v1) {
      for (int i = 0; i < FSCRYPT_KEY_IDENTIFIER_SIZE; i++) printf("%02x", arg->key_spec.u.identifier[i]);
      putchar('\n');
    }
    return 0;
  }
  if (argc >= 4 && !strcmp(argv[1], "set-policy")) {
    struct fscrypt_policy_v2 p = {
      .version = FSCRYPT_POLICY_V2,
      .contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
      .filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
      .flags = argc >= 5 ? (unsigned char)strtoul(argv[4], NULL, 16) : FSCRYPT_POLICY_FLAGS_PAD_32,
    };
    if (unhex(argv[3], p.master_key_identifier, sizeof p.master_key_identifier) != sizeof p.master_key_identifier) {
      fprintf(stderr, "bad identifier\n");
      return 2;
    }
    int fd = open(argv[2], O_RDONLY | O_DIRECTORY);
    return fd < 0 || ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &p) ? fail("FS_IOC_SET_ENCRYPTION_POLICY", argv[2]) : 0;
  }
  if (argc >= 4 && !strcmp(argv[1], "set-policy-v1")) {
    struct fscrypt_policy_v1 p = {
      .version = FSCRYPT_POLICY_V1,
      .contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
      .filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
      .flags = FSCRYPT_POLICY_FLAGS_PAD_32,
    };
    if (unhex(argv[3], p.master_key_descriptor, sizeof p.master_key_descriptor) != sizeof p.master_key_descriptor) {
      fprintf(stderr, "bad descriptor\n");
      return 2;
    }
    int fd = open(argv[2], O_RDONLY | O_DIRECTORY);
    return fd < 0 || ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &p) ? fail("FS_IOC_SET_ENCRYPTION_POLICY", argv[2]) : 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "enable-verity")) {
    static unsigned char salt[32]; /* FS_VERITY_MAX_SALT_SIZE */
    struct fsverity_enable_arg arg = { .version = 1, .hash_algorithm = FS_VERITY_HASH_ALG_SHA256, .block_size = 4096 };
    if (argc >= 4) {
      size_t n = unhex(argv[3], salt, 32);
      if (n == (size_t)-1) { fprintf(stderr, "bad salt\n"); return 2; }
      arg.salt_size = n;
      arg.salt_ptr = (unsigned long)salt;
    }
    int fd = open(argv[2], O_RDONLY);
    return fd < 0 || ioctl(fd, FS_IOC_ENABLE_VERITY, &arg) ? fail("FS_IOC_ENABLE_VERITY", argv[2]) : 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "measure-verity")) {
    static unsigned char buf[sizeof(struct fsverity_digest) + 64]; /* FS_VERITY_MAX_DIGEST_SIZE */
    struct fsverity_digest *d = (struct fsverity_digest *)buf;
    d->digest_size = 64;
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0 || ioctl(fd, FS_IOC_MEASURE_VERITY, d)) return fail("FS_IOC_MEASURE_VERITY", argv[2]);
    printf("%s:", d->digest_algorithm == FS_VERITY_HASH_ALG_SHA256 ? "sha256" : "sha512");
    for (int i = 0; i < d->digest_size; i++) printf("%02x", d->digest[i]);
    putchar('\n');
    return 0;
  }
  fprintf(stderr, "usage: fscrypt add-key KEYFILE MNT | add-key-v1 KEYFILE MNT DESCHEX | set-policy DIR IDHEX [FLAGS] | set-policy-v1 DIR DESCHEX | enable-verity FILE [SALTHEX] | measure-verity FILE\n");
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
  if (!strcmp(me, "projid")) return projid(argc, argv);
  if (!strcmp(me, "quota")) return quota(argc, argv);
  if (!strcmp(me, "fscrypt")) return fscrypt(argc, argv);
  if (argc > 1) return main(argc - 1, argv + 1); /* guest-util xattr ... */
  fprintf(stderr, "usage: guest-util xattr|tcdrain|projid|quota|fscrypt ...\n");
  return 2;
}
