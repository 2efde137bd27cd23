import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { KvCache } from '../../engine/kvCache.js';

describe('KvCache', () => {
  it('passes views of the filled rows as past inputs, without copying', () => {
    const cache = new KvCache(2, 10, 2, 4);
    const feeds: Record<string, ort.Tensor> = {};
    cache.addPastFeeds(feeds);
    expect(Object.keys(feeds)).toEqual(['past_key_0', 'past_value_0', 'past_key_1', 'past_value_1']);
    expect(feeds['past_key_0']!.dims).toEqual([1, 0, 2, 4]);
    const fetches: Record<string, ort.Tensor> = {};
    cache.addNewRowFetches(fetches, 3);
    (fetches['new_key_1']!.data as Float32Array).fill(7);
    cache.commit(fetches, 3);
    cache.addPastFeeds(feeds);
    const past = feeds['past_key_1']!;
    expect(past.dims).toEqual([1, 3, 2, 4]);
    expect((past.data as Float32Array).buffer).toBe(cache.keys[1]!.buffer);
    expect(Array.from(past.data as Float32Array)).toEqual(new Array(24).fill(7));
  });

  it('new-row outputs are views of the next free rows', () => {
    const cache = new KvCache(1, 10, 1, 2);
    const fetches: Record<string, ort.Tensor> = {};
    cache.addNewRowFetches(fetches, 2);
    cache.commit(fetches, 2);
    cache.addNewRowFetches(fetches, 1);
    const view = fetches['new_value_0']!.data as Float32Array;
    expect(view.byteOffset).toBe(2 * 2 * 4);
    expect(view.length).toBe(2);
    expect(cache.length).toBe(2);
  });

  it('copies returned rows into place when a runtime gives its own buffers', () => {
    const cache = new KvCache(1, 4, 1, 2);
    const fetches: Record<string, ort.Tensor> = {};
    cache.addNewRowFetches(fetches, 1);
    const outputs = {
      new_key_0: new ort.Tensor('float32', Float32Array.from([1, 2]), [1, 1, 1, 2]),
      new_value_0: new ort.Tensor('float32', Float32Array.from([3, 4]), [1, 1, 1, 2]),
    };
    cache.commit(outputs, 1);
    expect(Array.from(cache.keys[0]!.subarray(0, 2))).toEqual([1, 2]);
    expect(Array.from(cache.values[0]!.subarray(0, 2))).toEqual([3, 4]);
  });

  it('refuses rows beyond its capacity and starts over on reset', () => {
    const cache = new KvCache(1, 2, 1, 1);
    const fetches: Record<string, ort.Tensor> = {};
    expect(() => cache.addNewRowFetches(fetches, 3)).toThrow(RangeError);
    cache.addNewRowFetches(fetches, 2);
    cache.commit(fetches, 2);
    cache.reset();
    expect(cache.length).toBe(0);
  });

  it('truncate forgets the last rows, and the next run writes over them', () => {
    const cache = new KvCache(1, 6, 1, 1);
    const fetches: Record<string, ort.Tensor> = {};
    cache.addNewRowFetches(fetches, 4);
    (fetches['new_key_0']!.data as Float32Array).set([1, 2, 3, 4]);
    cache.commit(fetches, 4);
    cache.truncate(2);
    expect(cache.length).toBe(2);
    const feeds: Record<string, ort.Tensor> = {};
    cache.addPastFeeds(feeds);
    expect(Array.from(feeds['past_key_0']!.data as Float32Array)).toEqual([1, 2]);
    cache.addNewRowFetches(fetches, 1);
    (fetches['new_key_0']!.data as Float32Array).set([9]);
    cache.commit(fetches, 1);
    cache.addPastFeeds(feeds);
    expect(Array.from(feeds['past_key_0']!.data as Float32Array)).toEqual([1, 2, 9]);
    expect(() => cache.truncate(4)).toThrow(RangeError);
    expect(() => cache.truncate(-1)).toThrow(RangeError);
  });
});
