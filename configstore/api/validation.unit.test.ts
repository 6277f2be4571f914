import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { lazySerializer, lazyValidator, schemaCompilers } from './validation.js';

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

describe('lazySerializer', () => {
  it('compiles on the first call, once, and serialises as the compiled one does', () => {
    let compiles = 0;
    const s = lazySerializer(() => {
      compiles++;
      return (data) => `<${JSON.stringify(data)}>`;
    });
    expect(compiles).toBe(0);
    expect(s({ a: 1 })).toBe('<{"a":1}>');
    expect(s([2])).toBe('<[2]>');
    expect(compiles).toBe(1);
  });
});

describe('schemaCompilers', () => {
  it("defers fastify's response serialisers and route validators until used or compilePending(), keeping what they enforce and emit", async () => {
    const compilers = schemaCompilers();
    const app = Fastify({ schemaController: compilers.schemaController });
    compilers.registerValidators(app);
    const schema = {
      body: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false },
      // the serialiser drops what the response schema does not name
      response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
    };
    app.post('/a', { schema }, async (req) => ({ ...(req.body as object), secret: 'x' }));
    app.post('/b', { schema }, async (req) => req.body);
    await app.ready();
    expect(compilers.pending).toBe(4); // two validators, two serialisers: none compiled yet
    const ok = await app.inject({ method: 'POST', url: '/a', payload: { n: 1 } });
    expect(ok.json()).toEqual({ n: 1 });
    const bad = await app.inject({ method: 'POST', url: '/a', payload: { n: 'one' } });
    expect(bad.statusCode).toBe(400);
    expect(await compilers.compilePending()).toBe(4); // compile() of what /a used is a no-op, still counted once
    expect(compilers.pending).toBe(0);
    expect((await app.inject({ method: 'POST', url: '/b', payload: { n: 2 } })).json()).toEqual({ n: 2 });
    await app.close();
  });
});
