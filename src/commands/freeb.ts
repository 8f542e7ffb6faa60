// freeb IMAGE BLKADDR: mark a main-area block free in its segment's SIT entry (debugfs freeb).
import { sitBitCommand } from './sit-bit.js';

export default sitBitCommand('free', "Mark a main-area block free in its segment's SIT entry: valid_map bit cleared, valid count down (debugfs freeb).");
