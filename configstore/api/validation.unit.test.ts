import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { lazyValidator } from './validation.js';

describe('lazyValidator', () => {
  const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };

  it('compiles on the first call, once, and answers as the compiled one does (errors included)', () => {
    let compiles = 0;
    const ajv = new Ajv();
    const v = lazyValidator(() => {
      compiles++;
      return ajv.compile(schema);
    });
    expect(compiles).toBe(0);
    expect(v({ n: 'x' })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ instancePath: '/n', keyword: 'type' });
    expect(v({ n: 1 })).toBe(true);
    expect(v.errors).toBeNull();
    expect(compiles).toBe(1);
  });

  it('compile() compiles ahead of any call, and a schema that does not compile throws there', () => {
    const ajv = new Ajv();
    const broken = lazyValidator(() => ajv.compile({ type: 'no-such-type' }));
    expect(() => broken.compile()).toThrow(/type/);
    const fine = lazyValidator(() => ajv.compile(schema));
    expect(fine.compile()({ n: 2 })).toBe(true);
  });
});
