// The owner marker of a backup folder: `<folder>.configstore-owner.json`, written by the first
// export of a cluster into that folder (the key up to its last '/'). Another cluster's export
// into the folder is refused, so two clusters never mix (or prune) each other's backups, and a
// cluster restored from a backup writes its own under a new folder, never into its source's.
import Type, { type Static } from 'typebox';
import { parseChecked } from './checkedjson.js';

export const prefixOwnerKind = 'ConfigStorePrefixOwner';
export const prefixOwnerVersion = 1;
export const prefixOwnerFile = '.configstore-owner.json';

export const PrefixOwner = Type.Object({
  kind: Type.Literal(prefixOwnerKind),
  version: Type.Literal(prefixOwnerVersion),
  /** The folder owned ('' is the bucket's root). */
  prefix: Type.String(),
  /** The cluster whose exports the folder holds; its uid is what is compared. */
  cluster: Type.Object({ uid: Type.String({ minLength: 1 }), namespace: Type.Optional(Type.String()), name: Type.Optional(Type.String()) }),
  claimedAt: Type.String({ format: 'date-time' }),
});
export type PrefixOwner = Static<typeof PrefixOwner>;

/** The folder a key lies in: everything up to and including its last '/'. */
export function folderOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

export function ownerMarkerKey(folder: string): string {
  return `${folder}${prefixOwnerFile}`;
}

/** A marker read back: checked against the schema, else undefined (damaged, or not ours). */
export function parsePrefixOwner(text: string): PrefixOwner | undefined {
  return parseChecked(PrefixOwner, text);
}

/** "cluster ns/name (uid …)", as messages name an owner. */
export function describeOwner(cluster: PrefixOwner['cluster']): string {
  const name = cluster.name ? `${cluster.namespace ? `${cluster.namespace}/` : ''}${cluster.name} ` : '';
  return `cluster ${name}(uid ${cluster.uid})`;
}

/** Why a cluster may not write into a folder another one owns, and what to do. */
export function ownedElsewhereMessage(where: string, owner: PrefixOwner, markerUrl: string): string {
  return (
    `${where} belongs to ${describeOwner(owner.cluster)} since ${owner.claimedAt}: a cluster writes its backups only into a folder of its own. ` +
    `Use another prefix (a restored cluster writes under a new one), or, if that cluster is gone for good and this one is to take its folder over, delete ${markerUrl}`
  );
}
