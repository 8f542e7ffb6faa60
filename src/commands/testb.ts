// testb IMAGE BLKADDR: whether a main-area block is valid in its segment's SIT entry (debugfs testb).
import { sitBitCommand } from './sit-bit.js';

export default sitBitCommand('test', "Say whether a main-area block is valid in its segment's SIT entry (debugfs testb).");
