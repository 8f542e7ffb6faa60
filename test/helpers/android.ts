// Android build inputs for tests: the binary fs_config_dirs/fs_config_files override files of a product out directory.
import fs from 'node:fs';
import path from 'node:path';
import { FsPathConfigFromFile } from '../../src/fs/layout/fs-config.js';
import { fsConfigFile } from '../../src/debugfs/fs-config.js';

export interface FsConfigRecord {
  pattern: string;
  uid: number;
  gid: number;
  mode: number;
  capabilities?: bigint;
}

/** An override file as AOSP's fs_config_generate writes it: each record padded to 8 bytes, `len` counting it all. */
export function fsConfigBinary(records: FsConfigRecord[]): Buffer {
  return Buffer.concat(
    records.map((r) => {
      const len = Math.ceil((FsPathConfigFromFile.size + Buffer.byteLength(r.pattern) + 1) / 8) * 8;
      const rec = Buffer.alloc(len);
      FsPathConfigFromFile.encode({ len, mode: r.mode, uid: r.uid, gid: r.gid, capabilities: r.capabilities ?? 0n }, rec);
      rec.write(r.pattern, FsPathConfigFromFile.size);
      return rec;
    }),
  );
}

/** Writes `<productOut>/<partition>/etc/fs_config_{dirs,files}` for each partition given. */
export function writeProductOut(productOut: string, partitions: Record<string, { dirs?: FsConfigRecord[]; files?: FsConfigRecord[] }>): void {
  for (const [part, { dirs, files }] of Object.entries(partitions)) {
    for (const [dir, records] of [[true, dirs], [false, files]] as const) {
      if (!records) continue;
      const file = fsConfigFile(productOut, part, dir);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, fsConfigBinary(records));
    }
  }
}
