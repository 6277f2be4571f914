// A WAL entry: the actions of one committed write. Stored as the value of one etcd key
// (`<prefix>wals/<uuid>`); its etcd revision orders it among all writes.
export interface PutAction {
  type: 'put';
  dataType: string;
  id: string;
  data: Record<string, unknown>;
}
export interface DeleteAction {
  type: 'delete';
  dataType: string;
  id: string;
}
export type Action = PutAction | DeleteAction;

export interface WalEntry {
  actions: Action[];
}

export function encodeWal(entry: WalEntry): string {
  return JSON.stringify(entry);
}

export function decodeWal(raw: Buffer | string): WalEntry {
  const parsed = JSON.parse(raw.toString()) as WalEntry;
  if (!parsed || !Array.isArray(parsed.actions)) throw new Error('malformed wal entry');
  return parsed;
}
