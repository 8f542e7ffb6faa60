// Tests for the generic helpers in src/util.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { trimOldest } from '../src/util/bounded-map.js';

test('trimOldest drops the oldest sixteenth once a Map passes its bound, and nothing before', () => {
  const m = new Map<number, number>();
  for (let i = 0; i < 64; i++) {
    m.set(i, i);
    trimOldest(m, 64);
  }
  assert.is(m.size, 64);
  m.set(64, 64);
  trimOldest(m, 64);
  assert.equal([...m.keys()], Array.from({ length: 61 }, (_, i) => i + 4)); // 4 = 64 / 16 oldest gone
  m.set(4, -1); // an update keeps its place
  trimOldest(m, 64);
  assert.is([...m.keys()][0], 4);
  const tiny = new Map([[1, 1], [2, 2], [3, 3]]);
  trimOldest(tiny, 1);
  assert.equal([...tiny.keys()], [3]); // at least the excess
});

test.run();
