// Import: an export streamed into a new snapshot under a new epoch, switched to
// with ONE etcd transaction that also drops every WAL entry. The stream goes through the
// ExportReader (format, order, uniqueness, trailer) while each type's objects are checked
// against their stored schema, references and the API's own rules (ImportRules, given by
// action/importchecks.ts: a project's config type, a secret's or variable's fields) and
// written straight into that type's data file: memory holds the ids (and a few names)
// seen, never the objects. Anything wrong → a 400 naming the line, the staged files are
// deleted, and nothing changed.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EtcdLockFailedError, type Etcd3 } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import Type, { type TSchema } from 'typebox';
import { allDataTypes, DataType } from '../types/datatypes.js';
import { BadRequestError, ConflictError, errorCodes, UnavailableError } from '../errors.js';
import type { Log } from '../log.js';
import type { ObjectStorage } from '../objectstorage/objectstorage.js';
import { listAll } from '../objectstorage/objectstorage.js';
import type { ImportResult } from '../types/export.js';
import { ImportIndex } from './importindex.js';
import type { etcdKeys } from '../types/etcd.js';
import type { ExportObjectLine } from '../types/export.js';
import { LinkedAccountData } from '../types/linkedaccount.js';
import { nameProblem } from '../types/names.js';
import { Org, OrgMemberData } from '../types/org.js';
import { Project } from '../types/project.js';
import { ProjectGroup } from '../types/projectgroup.js';
import { RemoteSource } from '../types/remotesource.js';
import { Secret } from '../types/secret.js';
import { UserTokenData } from '../types/token.js';
import { User } from '../types/user.js';
import { Variable } from '../types/variable.js';
import { schemaFormats } from '../types/formats.js';
import { snapshotLock } from './checkpoint.js';
import { ExportFormatError, ExportReader, type ReadObject } from './exportformat.js';
import {
  manifestKey,
  snapshotFormatVersion,
  snapshotId,
  snapshotLayout,
  writeDataLines,
  writeManifest,
  type DataLines,
  type SnapshotFile,
} from './snapshot.js';
import { epochOf, parsePointer, type SnapshotPointer } from './state.js';

export interface ImportTarget {
  etcd: Etcd3;
  objectStorage: ObjectStorage;
  keys: ReturnType<typeof etcdKeys>;
  log: Log;
}

/**
 * The API's own rules that an import applies to every object too, so that an import never
 * stores what the API would refuse. They belong to the resources (action/): the caller
 * passes them in (action/importchecks.ts), this layer only runs them. Each throws a
 * BadRequestError (its message is reported with the object's line) when the rule is broken.
 */
export interface ImportRules {
  /** A project's `remoteRepositoryConfigType`. */
  projectConfigType(type: string): void;
  /** A secret's name, type and data. */
  secret(name: string, fields: Pick<Secret, 'type' | 'data'>): void;
  /** A variable's name and values. */
  variable(name: string, fields: Pick<Variable, 'values'>): void;
}

/** How long an import waits for a running checkpoint (which holds the same lock). */
const lockWaitMs = 20_000;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const viewOnly = ['path', 'parentPath', 'ownerType', 'ownerId', 'globalVisibility'] as const;
/** The stored form of each type: what an imported object must be. */
const storedSchemas: Record<DataType, TSchema> = {
  remotesource: RemoteSource,
  user: User,
  usertoken: UserTokenData,
  linkedaccount: LinkedAccountData,
  org: Org,
  orgmember: OrgMemberData,
  projectgroup: Type.Omit(ProjectGroup, [...viewOnly]),
  project: Type.Omit(Project, [...viewOnly]),
  secret: Type.Omit(Secret, ['parentPath']),
  variable: Type.Omit(Variable, ['parentPath']),
};

// Compiled by the first import that needs them, not when the module loads: ajv's code
// generation for these schemas was about a tenth of a server's start-up CPU.
let ajv: Ajv | undefined;
const validators = new Map<DataType, ValidateFunction>();
function validatorOf(type: DataType): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    ajv ??= addFormats(new Ajv({ allErrors: false, strict: false, formats: schemaFormats }));
    // without its $id: Ajv refuses two schemas with one id (the API's keep theirs)
    const { $id: _, ...rest } = JSON.parse(JSON.stringify(storedSchemas[type])) as Record<string, unknown>;
    validate = ajv.compile(rest);
    validators.set(type, validate);
  }
  return validate;
}

/** What a queued index check was about: enough to word its failure. */
interface Queued {
  o: ExportObjectLine;
  line: number;
  check: 'ref' | 'account' | 'name' | 'remoteUser' | 'member' | 'root';
  /** ref, account: the field and the type it names; root: the owner's type. */
  field?: string;
  refType?: string;
  value?: string;
}

/** The types whose ids other objects name (the index keeps no others). */
const referenced = new Set<string>([DataType.user, DataType.org, DataType.remoteSource, DataType.linkedAccount, DataType.projectGroup, DataType.project]);

/** Deepest nesting of project groups an import accepts. */
const maxGroupDepth = 1000;

/**
 * What an import has seen so far: ids per type (references point back at them) and the
 * names taken per scope, in the scratch index. Its checks are queued and run a batch at a
 * time (ImportIndex.flush); an error found on the object itself is reported only after
 * the queued checks ran, so the first problem of the export is the one reported, as if
 * every check ran at once. Project groups may refer to groups later in id order: those
 * references (and the tree's shape) are checked once every group is in.
 */
export class ImportChecker {
  private readonly index = new ImportIndex<Queued>();
  /** The type of the objects queued: a batch holds one type (its references go to others). */
  private type: string | undefined;
  /** Users and orgs, and root groups, seen so far. */
  private owners = 0;
  private roots = 0;

  constructor(private readonly rules: ImportRules) {}

  close(): void {
    this.index.close();
  }

  check(o: ExportObjectLine, line: number): void {
    if (o.type !== this.type) {
      this.flush();
      this.type = o.type;
    }
    try {
      this.checkObject(o, line);
    } catch (err) {
      this.flush(); // an earlier object's problem comes first
      throw err;
    }
    if (this.index.full()) this.flush();
  }

  /** Runs the queued checks: throws the first one's failure. */
  private flush(): void {
    const failure = this.index.flush();
    if (!failure) return;
    const { o, line, check, field, refType, value } = failure.context;
    const d = o.data as Record<string, string | undefined>;
    switch (check) {
      case 'ref':
        throw this.bad(o, line, `${field} ${JSON.stringify(value)} names no ${refType} of the export`);
      case 'account':
        if (failure.kind === 'otherRef')
          throw this.bad(
            o,
            line,
            `linked account ${d.linkedAccountId} (linkedAccountId) is an account of remote source ${failure.ref}, not of the project's remote source ${d.remoteSourceId}`,
          );
        throw this.bad(o, line, `linkedAccountId ${JSON.stringify(d.linkedAccountId)} names no ${DataType.linkedAccount} of the export`);
      case 'name':
        throw this.bad(o, line, `name ${JSON.stringify(d.name)} is taken twice in one scope`);
      case 'remoteUser':
        throw this.bad(o, line, `remote user ${JSON.stringify(d.remoteUserId)} of remote source ${d.remoteSourceId} has a second linked account`);
      case 'member':
        throw this.bad(o, line, `user ${d.userId} is a member of org ${d.orgId} twice`);
      case 'root':
        throw this.bad(o, line, `${d.parentType} ${d.parentId} has a second root group`);
    }
  }

  // no closure is made per object: under tsx each costs a defineProperty (keepNames), which
  // showed up as a good part of an import's CPU in profiles
  private checkObject(o: ExportObjectLine, line: number): void {
    const type = o.type as DataType;
    const validate = validatorOf(type);
    if (!validate(o.data)) {
      const e = validate.errors![0]!;
      const where = `data${e.instancePath.replaceAll('/', '.')}`;
      if (e.keyword === 'additionalProperties') throw this.bad(o, line, `${where}: unknown field ${JSON.stringify(e.params.additionalProperty)}`);
      if (e.keyword === 'required') throw this.bad(o, line, `${where}: missing field ${JSON.stringify(e.params.missingProperty)}`);
      throw this.bad(o, line, `${where} ${e.message ?? 'is invalid'}`);
    }
    const d = o.data as Record<string, string | undefined>;
    if (d.id !== o.id) throw this.bad(o, line, `"data.id" must be the line's id`);
    switch (type) {
      case DataType.remoteSource:
      case DataType.user:
      case DataType.org:
        this.named(o, line, d, '', type);
        break;
      case DataType.userToken:
        this.ref(o, line, DataType.user, d.parentId, 'parentId');
        this.named(o, line, d, d.parentId!, type);
        break;
      case DataType.linkedAccount:
        this.equal(o, line, d, 'name', 'id');
        this.equal(o, line, d, 'parentId', 'userId');
        this.ref(o, line, DataType.user, d.userId, 'userId');
        this.ref(o, line, DataType.remoteSource, d.remoteSourceId, 'remoteSourceId');
        // as the API: one account per (remote source, remote user) across all users
        this.index.takeName(`${type}\0${d.remoteSourceId}\0${d.remoteUserId}`, { o, line, check: 'remoteUser' });
        break;
      case DataType.orgMember:
        this.equal(o, line, d, 'name', 'userId');
        this.equal(o, line, d, 'parentId', 'orgId');
        this.ref(o, line, DataType.org, d.orgId, 'orgId');
        this.ref(o, line, DataType.user, d.userId, 'userId');
        this.index.takeName(`${type}\0${d.orgId}\0${d.userId}`, { o, line, check: 'member' });
        break;
      case DataType.projectGroup:
        if (d.parentType === 'projectgroup') {
          this.named(o, line, d, d.parentId!, 'tree');
          this.index.addGroupParent(o.id, d.parentId!, line);
        } else {
          if (d.name !== '') throw this.bad(o, line, 'a root group (parentType org or user) has the empty name');
          const ownerType = d.parentType === 'org' ? DataType.org : DataType.user;
          if (d.parentId === undefined) this.ref(o, line, ownerType, d.parentId, 'parentId');
          else {
            this.index.takeRoot(
              ownerType,
              d.parentId,
              { o, line, check: 'ref', field: 'parentId', refType: ownerType, value: d.parentId },
              { o, line, check: 'root' },
            );
            this.roots++;
          }
        }
        break;
      case DataType.project:
        this.ref(o, line, DataType.projectGroup, d.parentId, 'parentId');
        this.named(o, line, d, d.parentId!, 'tree'); // projects and groups share their parent's names
        this.ref(o, line, DataType.remoteSource, d.remoteSourceId, 'remoteSourceId');
        // as the API: the account must be one of the project's remote source
        if (d.linkedAccountId === undefined) this.ref(o, line, DataType.linkedAccount, d.linkedAccountId, 'linkedAccountId');
        else this.index.requireId(DataType.linkedAccount, d.linkedAccountId, d.remoteSourceId, { o, line, check: 'account' });
        try {
          this.rules.projectConfigType(d.remoteRepositoryConfigType!);
        } catch (err) {
          throw this.ruleBroken(o, line, err);
        }
        break;
      case DataType.secret:
      case DataType.variable:
        this.ref(o, line, d.parentType === 'project' ? DataType.project : DataType.projectGroup, d.parentId, 'parentId');
        this.named(o, line, d, d.parentId!, type);
        try {
          if (type === DataType.secret) this.rules.secret(d.name!, o.data as unknown as Pick<Secret, 'type' | 'data'>);
          else this.rules.variable(d.name!, o.data as unknown as Pick<Variable, 'values'>);
        } catch (err) {
          throw this.ruleBroken(o, line, err);
        }
        break;
    }
    if (type === DataType.user || type === DataType.org) this.owners++;
    // only the ids that something refers to (a secret's, a token's are never looked up)
    if (referenced.has(type)) this.index.addId(type, o.id, type === DataType.linkedAccount ? d.remoteSourceId : undefined);
  }

  private bad(o: ExportObjectLine, line: number, what: string): ExportFormatError {
    return new ExportFormatError(`line ${line}: ${o.type} ${JSON.stringify(o.id)}: ${what}`);
  }

  private ref(o: ExportObjectLine, line: number, refType: DataType, id: string | undefined, field: string): void {
    if (id === undefined) throw this.bad(o, line, `${field} ${JSON.stringify(id)} names no ${refType} of the export`);
    this.index.requireId(refType, id, undefined, { o, line, check: 'ref', field, refType, value: id });
  }

  private equal(o: ExportObjectLine, line: number, d: Record<string, string | undefined>, a: string, b: string): void {
    if (d[a] !== d[b]) throw this.bad(o, line, `"${a}" must equal "${b}"`);
  }

  private named(o: ExportObjectLine, line: number, d: Record<string, string | undefined>, scope: string, label: string): void {
    const problem = d.name ? nameProblem(d.name) : 'is empty';
    if (problem) throw this.bad(o, line, `name ${JSON.stringify(d.name)} ${problem}`);
    this.index.takeName(`${label}\0${scope}\0${d.name}`, { o, line, check: 'name' });
  }

  /** A rule of the API's own (action/) broke: its message, naming this object. */
  private ruleBroken(o: ExportObjectLine, line: number, err: unknown): unknown {
    return err instanceof BadRequestError ? this.bad(o, line, err.message) : err;
  }

  /** The checks that need every object: group parents, the tree's shape, root groups. */
  finish(): void {
    this.flush();
    const group = this.index.groupProblem(DataType.projectGroup, maxGroupDepth);
    if (group?.kind === 'missingParent')
      throw new ExportFormatError(
        `line ${group.line}: projectgroup ${JSON.stringify(group.id)}: parentId ${JSON.stringify(group.parent)} names no projectgroup of the export`,
      );
    if (group)
      throw new ExportFormatError(
        `line ${group.line}: projectgroup ${JSON.stringify(group.id)} is its own ancestor (or nested deeper than ${maxGroupDepth} levels)`,
      );
    // each root group's owner is a user or org of the export, none has two: as many roots as owners means none is missing
    const orphan = this.roots === this.owners ? undefined : this.index.ownerWithoutRoot(DataType.user, DataType.org);
    if (orphan) throw new ExportFormatError(`${orphan.type} ${JSON.stringify(orphan.id)} has no root project group`);
  }
}

/**
 * Reads, checks and (unless `dryRun`) imports an export. Only in maintenance mode (409
 * otherwise); any problem with the export is a 400 and changes nothing.
 */
export async function importExport(
  target: ImportTarget,
  rules: ImportRules,
  input: AsyncIterable<Uint8Array | string>,
  options: {
    dryRun: boolean;
    signal?: AbortSignal;
    /** The sha256 the caller checked: any other export is refused before the switch. */ expectSha256?: string;
  },
): Promise<ImportResult> {
  const { etcd, keys } = target;
  if (options.dryRun) {
    const head = await etcd.get(keys.snapshot).exec();
    const kv = head.kvs[0];
    const stream = await streamExport(undefined, rules, input, epochOf(kv ? parsePointer(kv.value) : undefined) + 1, BigInt(head.header.revision));
    checkExpected(stream.summary.sha256, options.expectSha256);
    return { ...stream.summary, dryRun: true };
  }
  // this maintenance session: one ended (and maybe another begun) before the switch may
  // have let writes in that the caller of this import never saw
  const maintenanceCreated = await requireMaintenance(target);
  // the checkpoint lock: no checkpoint moves the pointer or collects files meanwhile, and
  // imports never overlap (their staged files could share a snapshot id)
  const lock = await acquireLock(target, options.signal);
  try {
    const head = await etcd.get(keys.snapshot).exec();
    const kv = head.kvs[0];
    const pointerModRevision = kv ? String(kv.mod_revision) : '0';
    const epoch = epochOf(kv ? parsePointer(kv.value) : undefined) + 1;
    const revision = BigInt(head.header.revision);
    let manifest: string | undefined;
    try {
      const { summary, files } = await streamExport(target.objectStorage, rules, input, epoch, revision);
      checkExpected(summary.sha256, options.expectSha256);
      const createdAt = new Date().toISOString();
      manifest = await writeManifest(target.objectStorage, { formatVersion: snapshotFormatVersion, epoch, revision: String(revision), createdAt, files });
      const pointer: SnapshotPointer = { epoch, revision: String(revision), manifest, createdAt };
      const switched = await etcd
        .if(keys.maintenance, 'Create', '==', maintenanceCreated)
        .and(keys.snapshot, 'Mod', '==', pointerModRevision)
        .then(etcd.put(keys.snapshot).value(JSON.stringify(pointer)), etcd.put(keys.epoch).value(String(epoch)), etcd.delete().prefix(keys.walPrefix))
        .commit();
      // the revision the new data became current at: an instance that applied it serves the import
      let switchRevision = switched.header.revision;
      // etcd3 retries a txn whose answer was lost: the pointer may be ours after all
      if (!switched.succeeded) {
        const now = (await etcd.get(keys.snapshot).exec()).kvs[0];
        if (!now || parsePointer(now.value.toString()).manifest !== manifest) throw await superseded(target, maintenanceCreated);
        switchRevision = now.mod_revision;
      }
      target.log.info({ epoch, revision: switchRevision, objects: summary.objects, sha256: summary.sha256 }, 'import applied');
      return { ...summary, revision: switchRevision, dryRun: false };
    } catch (err) {
      // a commit whose answer was lost may have switched: never delete what the pointer names
      const now = manifest
        ? await etcd
            .get(keys.snapshot)
            .string()
            .catch(() => 'unknown')
        : null;
      if (!manifest || !now || (now !== 'unknown' && parsePointer(now).manifest !== manifest)) await removeStaged(target, epoch, revision, manifest);
      throw err;
    }
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** The export received is the one the caller checked (its trailer's sha256), or a 400. */
function checkExpected(sha256: string, expected: string | undefined): void {
  if (expected === undefined || sha256 === expected) return;
  throw new BadRequestError(
    `the export received has sha256 ${sha256}, not ${expected} (the sha256 query parameter): it was not imported and nothing changed; check the export's source (was it rewritten?) and import again`,
    {
      code: errorCodes.sha256Mismatch,
    },
  );
}

/** The maintenance key's create revision (its session); 409 when there is none. */
async function requireMaintenance({ etcd, keys }: ImportTarget): Promise<string> {
  const kv = (await etcd.get(keys.maintenance).exec()).kvs[0];
  if (!kv) {
    throw new ConflictError(
      'an import replaces all data and runs only in maintenance mode: enable it first (PUT /api/v1alpha/maintenance), or pass ?dryRun=true to only validate',
      {
        code: errorCodes.notInMaintenance,
      },
    );
  }
  return String(kv.create_revision);
}

/** Why the switch did not happen: the maintenance session or the snapshot pointer changed. */
async function superseded({ etcd, keys }: ImportTarget, maintenanceCreated: string): Promise<ConflictError> {
  const kv = (await etcd.get(keys.maintenance).exec()).kvs[0];
  const why =
    kv?.create_revision === maintenanceCreated
      ? 'the snapshot pointer moved while the import was running (another import or a checkpoint took over the snapshot lock)'
      : `maintenance mode ended while the import was running${kv ? ' (and was enabled again: writes may have come in between)' : ''}`;
  return new ConflictError(`the import was not applied: ${why}; nothing changed, import again in maintenance mode`, { code: errorCodes.importSuperseded });
}

async function acquireLock({ etcd, keys }: ImportTarget, signal: AbortSignal | undefined) {
  const deadline = Date.now() + lockWaitMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const lock = snapshotLock(etcd, keys);
    try {
      await lock.acquire();
      return lock;
    } catch (err) {
      if (!(err instanceof EtcdLockFailedError)) throw err;
    }
    if (Date.now() > deadline) {
      throw new UnavailableError('the import could not start: a checkpoint or another import held the snapshot lock too long; retry', {
        code: errorCodes.checkpointBusy,
        retryAfterSeconds: 5,
      });
    }
    await sleep(delay, undefined, signal ? { signal } : {});
  }
}

interface Streamed {
  summary: Omit<ImportResult, 'dryRun'>;
  files: Record<string, SnapshotFile>;
}

/**
 * Streams the export through the reader and the checker; with an object storage, each
 * type's objects go into a data file of the new snapshot as they come.
 */
export async function streamExport(
  ost: ObjectStorage | undefined,
  rules: ImportRules,
  input: AsyncIterable<Uint8Array | string>,
  epoch: number,
  revision: bigint,
): Promise<Streamed> {
  const reader = new ExportReader(input);
  const checker = new ImportChecker(rules);
  try {
    return await streamChecked(ost, reader, checker, epoch, revision);
  } finally {
    checker.close();
  }
}

async function streamChecked(ost: ObjectStorage | undefined, reader: ExportReader, checker: ImportChecker, epoch: number, revision: bigint): Promise<Streamed> {
  const batches = reader.batches()[Symbol.asyncIterator]();
  const files: Record<string, SnapshotFile> = {};
  // the current batch (one input chunk's objects) and the first object not yet taken
  let batch: ReadObject[] = [];
  let at = 0;
  // the reader's (or checker's) error, whatever the storage wraps it in
  let failure: unknown;
  /** The next object (a new batch read when this one is done), or undefined at the end. */
  const peek = async (): Promise<ReadObject | undefined> => {
    while (at >= batch.length) {
      let next: IteratorResult<ReadObject[]>;
      try {
        next = await batches.next();
      } catch (err) {
        throw (failure = err);
      }
      if (next.done) return undefined;
      [batch, at] = [next.value, 0];
    }
    return batch[at];
  };
  for (let first = await peek(); first; first = await peek()) {
    const type = first.type;
    // this type's objects, checked and (with a storage) as snapshot lines, a batch's run at a time
    async function* ofType(): AsyncGenerator<DataLines> {
      for (let o = await peek(); o?.type === type; o = await peek()) {
        let end = at;
        try {
          while (end < batch.length && batch[end]!.type === type) {
            checker.check(batch[end]!, batch[end]!.line);
            end++;
          }
        } catch (err) {
          throw (failure = err);
        }
        const run = { from: at, to: end };
        at = end;
        if (ost) yield snapshotLines(batch, run.from, run.to);
      }
    }
    try {
      if (ost) files[type] = await writeDataLines(ost, type, epoch, revision, ofType());
      else for await (const _ of ofType());
    } catch (err) {
      throw failure ?? err;
    }
  }
  checker.finish();
  const s = reader.summary!;
  return { summary: { objects: s.objects, bytes: s.bytes, sha256: s.sha256, epoch, revision: String(revision) }, files };
}

/**
 * Objects `batch[from, to)` as snapshot lines, in one buffer: a canonical line's own bytes
 * after its type (a copy, no stringify), any other line stringified.
 */
function snapshotLines(batch: readonly ReadObject[], from: number, to: number): DataLines {
  let size = 0;
  let others: Buffer[] | undefined; // the lines that are not canonical, stringified (rare)
  for (let i = from; i < to; i++) {
    const o = batch[i]!;
    if (o.raw !== -1) size += o.end - o.raw + 2;
    else {
      const line = Buffer.from(JSON.stringify({ id: o.id, data: o.data }) + '\n');
      (others ??= []).push(line);
      size += line.length;
    }
  }
  const lines = Buffer.allocUnsafe(size);
  let out = 0;
  let other = 0;
  for (let i = from; i < to; i++) {
    const o = batch[i]!;
    if (o.raw === -1) {
      out += others![other++]!.copy(lines, out);
      continue;
    }
    lines[out++] = 0x7b; // {
    out += o.buf.copy(lines, out, o.raw, o.end);
    lines[out++] = 0x0a;
  }
  return { lines, objects: to - from };
}

/** Best effort: a failed import leaves no files of its snapshot id behind. */
async function removeStaged({ objectStorage: ost, log }: ImportTarget, epoch: number, revision: bigint, manifest: string | undefined): Promise<void> {
  try {
    const staged = manifest ? [manifest] : [manifestKey(epoch, revision)];
    for (const type of allDataTypes) {
      for await (const o of listAll(ost, `${snapshotLayout.dataPrefix}${type}/${snapshotId(epoch, revision)}-`)) staged.push(o.key);
    }
    await ost.deleteMany(staged);
  } catch (err) {
    log.warn({ err }, 'a failed import left staged snapshot files behind; the snapshot GC collects them later');
  }
}
