// Android's fs_config override files, <partition>/etc/fs_config_dirs and fs_config_files (libcutils' fs_config.h,
// struct fs_path_config_from_file): a sequence of these headers, each followed by its NUL-terminated path pattern and
// padding to 8 bytes; `len` counts the whole record. Host byte order, which is little endian on every Android build host.
import { struct, type Of } from '../../util/struct.js';

export const FsPathConfigFromFile = struct('fs_path_config_from_file', [
  ['len', 'u16'],
  ['mode', 'u16'],
  ['uid', 'u16'],
  ['gid', 'u16'],
  ['capabilities', 'u64'],
] as const);
export type FsPathConfigFromFile = Of<typeof FsPathConfigFromFile>;
