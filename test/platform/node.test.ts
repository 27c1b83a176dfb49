// Node built-ins for code that also runs in browsers: the real module under Node, a stand-in that
// throws a named error elsewhere (what a browser bundle gets instead of a `node:` import).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZerogradError } from '../../src/errors.js';
import { builtin, isNode, unavailable } from '../../src/platform/node.js';

describe('platform/node', () => {
  it('returns the real built-in under Node', () => {
    expect(isNode).toBe(true);
    expect(builtin('fs').readFileSync).toBe(readFileSync);
    expect(typeof builtin('os').availableParallelism).toBe('function');
  });

  it('elsewhere, gives functions that throw an error naming the call, and is not a thenable', () => {
    const fs = unavailable('fs') as typeof import('node:fs');
    expect(() => fs.readFileSync('x')).toThrow(ZerogradError);
    expect(() => fs.readFileSync('x')).toThrow(/fs\.readFileSync\(\) needs Node\.js/);
    expect((fs as unknown as { then?: unknown }).then).toBeUndefined();
  });
});
