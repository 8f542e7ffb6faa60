// setb IMAGE BLKADDR: mark a main-area block in use in its segment's SIT entry (debugfs setb).
import { sitBitCommand } from './sit-bit.js';

export default sitBitCommand('set', "Mark a main-area block in use in its segment's SIT entry: valid_map bit set, valid count up (debugfs setb).");
