// The import's scratch index without a server: queued checks run in batches, and the
// failure reported is the one queued first, whichever kind of check it is and however the
// batches were cut.
import { afterEach, describe, expect, it } from 'vitest';
import { ImportIndex } from './importindex.js';

const open: ImportIndex<string>[] = [];
function index(): ImportIndex<string> {
  const i = new ImportIndex<string>();
  open.push(i);
  return i;
}
afterEach(() => open.splice(0).forEach((i) => i.close()));

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('import index', () => {
  it('finds ids of earlier batches, in statements of any size', () => {
    const x = index();
    for (let n = 0; n < 1000; n++) x.addId('user', id(n));
    expect(x.flush()).toBeUndefined();
    for (let n = 999; n >= 0; n--) x.requireId('user', id(n), undefined, `ref ${n}`);
    expect(x.flush()).toBeUndefined();
    // 1000 rows: statements of 256, then 128 + 64 + … for the rest; the missing one is found
    for (let n = 0; n < 1000; n++) x.requireId('user', n === 777 ? id(5000) : id(n), undefined, `ref ${n}`);
    expect(x.flush()).toEqual({ context: 'ref 777', kind: 'missing' });
  });

  it('tells types apart', () => {
    const x = index();
    x.addId('user', id(1));
    x.flush();
    x.requireId('org', id(1), undefined, 'org 1');
    expect(x.flush()).toEqual({ context: 'org 1', kind: 'missing' });
  });

  it("checks an id's ref when one is required", () => {
    const x = index();
    x.addId('linkedaccount', id(1), 'source-a');
    x.flush();
    x.requireId('linkedaccount', id(1), 'source-a', 'same');
    expect(x.flush()).toBeUndefined();
    x.requireId('linkedaccount', id(1), 'source-b', 'other');
    expect(x.flush()).toEqual({ context: 'other', kind: 'otherRef', ref: 'source-a' });
  });

  it('refuses a name taken earlier in the batch or in an earlier one', () => {
    const x = index();
    x.takeName('user\0\0alice', 'alice');
    x.takeName('user\0\0bob', 'bob');
    expect(x.flush()).toBeUndefined();
    x.takeName('user\0\0carol', 'carol');
    x.takeName('user\0\0dave', 'dave');
    x.takeName('user\0\0dave', 'dave again');
    expect(x.flush()).toEqual({ context: 'dave again', kind: 'taken' });
    x.takeName('user\0\0erin', 'erin');
    x.takeName('user\0\0alice', 'alice again');
    expect(x.flush()).toEqual({ context: 'alice again', kind: 'taken' });
  });

  it('reports the failure queued first, whatever its kind', () => {
    const x = index();
    x.addId('user', id(1));
    x.flush();
    x.takeRoot('user', id(1), 'owner 1', 'root 1');
    expect(x.flush()).toBeUndefined();
    x.requireId('user', id(1), undefined, 'fine');
    x.takeRoot('user', id(1), 'owner 1', 'second root'); // queued before the missing ref
    x.requireId('user', id(2), undefined, 'missing');
    x.takeName('n', 'n');
    x.takeName('n', 'n twice');
    expect(x.flush()).toEqual({ context: 'second root', kind: 'taken' });
  });

  it('refuses a root group whose owner is missing, or has one already', () => {
    const x = index();
    x.addId('user', id(1));
    x.addId('org', id(2));
    x.flush();
    x.takeRoot('user', id(1), 'owner 1', 'root 1');
    x.takeRoot('user', id(2), 'owner 2 as a user', 'root 2'); // an org's id, not a user's
    expect(x.flush()).toEqual({ context: 'owner 2 as a user', kind: 'missing' });
    x.takeRoot('org', id(2), 'owner 2', 'root 2');
    x.takeRoot('org', id(2), 'owner 2', 'root 2 again');
    expect(x.flush()).toEqual({ context: 'root 2 again', kind: 'taken' });
  });

  it('says when a batch is full', () => {
    const x = index();
    let n = 0;
    while (!x.full()) x.takeName(`name ${n++}`, 'n');
    expect(n).toBeGreaterThan(100);
    expect(x.flush()).toBeUndefined();
    expect(x.full()).toBe(false);
  });

  it("finds a nested group's missing parent, cycles and chains too deep", () => {
    const tree = index();
    tree.addId('projectgroup', 'root');
    tree.addId('projectgroup', 'a');
    tree.addId('projectgroup', 'b');
    tree.addGroupParent('a', 'root', 3);
    tree.addGroupParent('b', 'a', 4);
    tree.flush();
    expect(tree.groupProblem('projectgroup', 10)).toBeUndefined();

    const dangling = index();
    dangling.addId('projectgroup', 'a');
    dangling.addGroupParent('a', 'nowhere', 7);
    dangling.flush();
    expect(dangling.groupProblem('projectgroup', 10)).toEqual({ kind: 'missingParent', id: 'a', parent: 'nowhere', line: 7 });

    const cycle = index();
    for (const [g, p, line] of [
      ['root', '', 2],
      ['a', 'root', 3],
      ['b', 'c', 4],
      ['c', 'b', 5],
    ] as const) {
      cycle.addId('projectgroup', g);
      if (p) cycle.addGroupParent(g, p, line);
    }
    cycle.flush();
    expect(cycle.groupProblem('projectgroup', 10)).toEqual({ kind: 'cycle', id: 'b', line: 4 });

    const deep = index();
    deep.addId('projectgroup', 'g0');
    for (let n = 1; n <= 12; n++) {
      deep.addId('projectgroup', `g${n}`);
      deep.addGroupParent(`g${n}`, `g${n - 1}`, n);
    }
    deep.flush();
    expect(deep.groupProblem('projectgroup', 12)).toBeUndefined();
    expect(deep.groupProblem('projectgroup', 11)).toMatchObject({ kind: 'cycle', id: 'g12' });
  });

  it('finds an owner without a root group', () => {
    const x = index();
    x.addId('user', id(1));
    x.addId('user', id(2));
    x.flush();
    x.takeRoot('user', id(1), 'owner', 'root');
    x.flush();
    expect(x.ownerWithoutRoot('user', 'org')).toEqual({ type: 'user', id: id(2) });
    x.takeRoot('user', id(2), 'owner', 'root');
    x.flush();
    expect(x.ownerWithoutRoot('user', 'org')).toBeUndefined();
  });
});
