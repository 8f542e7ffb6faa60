// Volume: one opened F2FS image — the superblock, the chosen checkpoint and lazily loaded NAT/SIT/node state — and the operations commands call.
import { openDevice } from '../device/index.js';
import type { BlockDevice } from '../device/types.js';
import { geometryOf, readSuperblock, type Geometry, type SuperblockChoice } from './super.js';
import { Validator } from './validate.js';

export interface OpenOptions {
  readOnly: boolean;
  cacheMb?: number;
}

export class Volume {
  readonly sbChoice: SuperblockChoice;
  readonly geo: Geometry;
  readonly check: Validator;

  private constructor(readonly dev: BlockDevice) {
    this.sbChoice = readSuperblock(dev);
    this.geo = geometryOf(this.sbChoice.sb);
    this.check = new Validator(this.geo);
  }

  get sb() {
    return this.sbChoice.sb;
  }

  static open(image: string | BlockDevice, opts: OpenOptions): Volume {
    const dev = typeof image === 'string' ? openDevice(image, { readOnly: opts.readOnly, cacheMb: opts.cacheMb }) : image;
    try {
      return new Volume(dev);
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  close(): void {
    this.dev.close();
  }
}
