import { afterEach, describe, expect, it } from 'vitest';
import { ObjectTable } from './table.js';

interface Data {
  linkedaccount: { id: string; remoteSourceId: string; remoteUserId: string };
  org: { id: string; name: string };
  orgmember: { id: string; name: string; parentId: string; role: string };
}

describe('ObjectTable', () => {
  let table: ObjectTable<Data> | undefined;
  afterEach(() => table?.close());

  it('finds the objects of a type by name under any parent, in parent order', () => {
    table = new ObjectTable<Data>();
    table.apply([
      { type: 'put', dataType: 'org', id: 'o2', data: { id: 'o2', name: 'beta' } },
      { type: 'put', dataType: 'org', id: 'o1', data: { id: 'o1', name: 'alpha' } },
      { type: 'put', dataType: 'orgmember', id: 'm1', data: { id: 'm1', name: 'u1', parentId: 'o2', role: 'owner' } },
      { type: 'put', dataType: 'orgmember', id: 'm2', data: { id: 'm2', name: 'u1', parentId: 'o1', role: 'member' } },
      { type: 'put', dataType: 'orgmember', id: 'm3', data: { id: 'm3', name: 'u2', parentId: 'o1', role: 'member' } },
    ]);
    const found = table.read(1n, (tx) => tx.named('orgmember', 'u1'));
    expect(found.map((m) => [m.parent, m.data.role])).toEqual([
      ['o1', 'member'],
      ['o2', 'owner'],
    ]);
    expect(table.read(1n, (tx) => tx.named('org', 'u1'))).toEqual([]);
    table.apply([{ type: 'delete', dataType: 'orgmember', id: 'm2' }]);
    expect(table.read(2n, (tx) => tx.named('orgmember', 'u1').map((m) => m.id))).toEqual(['m1']);
  });

  it('gives typed objects back', () => {
    table = new ObjectTable<Data>();
    table.apply([{ type: 'put', dataType: 'org', id: 'o1', data: { id: 'o1', name: 'alpha' } }]);
    const name: string | undefined = table.read(1n, (tx) => tx.get('org', 'o1')?.data.name);
    expect(name).toBe('alpha');
    expect(table.read(1n, (tx) => tx.list('org', { limit: 10 }).map((o) => o.data.name))).toEqual(['alpha']);
  });

  it('finds objects by indexed fields, in id order, and refuses fields it has no index for', () => {
    table = new ObjectTable<Data>(undefined, [{ type: 'linkedaccount', fields: ['remoteSourceId', 'remoteUserId'] }]);
    const la = (id: string, remoteSourceId: string, remoteUserId: string) =>
      ({ type: 'put', dataType: 'linkedaccount', id, data: { id, name: id, parentId: 'u', remoteSourceId, remoteUserId } }) as const;
    table.apply([
      la('l3', 'gh', 'ann'),
      la('l1', 'gh', 'ben'),
      la('l2', 'gl', 'ann'),
      { type: 'put', dataType: 'org', id: 'o', data: { id: 'o', name: 'gh', remoteSourceId: 'gh' } },
    ]);
    table.read(1n, (tx) => {
      expect(tx.where('linkedaccount', { remoteSourceId: 'gh' }).map((o) => o.id)).toEqual(['l1', 'l3']);
      expect(tx.where('linkedaccount', { remoteSourceId: 'gh', remoteUserId: 'ann' }).map((o) => o.data.remoteUserId)).toEqual(['ann']);
      expect(tx.where('linkedaccount', { remoteSourceId: 'gx' })).toEqual([]);
      expect(() => tx.where('linkedaccount', { remoteUserId: 'ann' })).toThrow(/no index of linkedaccount by remoteUserId/);
      expect(() => tx.where('org', { name: 'gh' })).toThrow(/no index/);
    });
    table.apply([{ type: 'delete', dataType: 'linkedaccount', id: 'l1' }]);
    expect(table.read(2n, (tx) => tx.where('linkedaccount', { remoteSourceId: 'gh' }).map((o) => o.id))).toEqual(['l3']);
  });

  it('refuses index names that are not plain', () => {
    expect(() => new ObjectTable(undefined, [{ type: 'x', fields: ["a') OR 1=1 --"] }])).toThrow(/plain names only/);
  });
});
