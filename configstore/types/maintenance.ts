// Maintenance mode and the instance registry: the values of the etcd keys
// `<prefix>maintenance` and `<prefix>instances/<id>` (see etcd.ts) and the bodies of
// /api/v1alpha/maintenance. Exported: the operator reads and writes these keys with etcd3.
import Type, { type Static } from 'typebox';

/** Value of `<prefix>maintenance`: its presence turns maintenance on for every instance. */
export const MaintenanceRequest = Type.Object(
  {
    requestedAt: Type.String({ format: 'date-time' }),
    requestedBy: Type.String({ maxLength: 256 }),
    reason: Type.String({ maxLength: 1024 }),
    /** Who turned it on (the operator: the CR's uid): makes enter/exit idempotent. */
    owner: Type.String({ maxLength: 256 }),
  },
  { $id: 'MaintenanceRequest' },
);
export type MaintenanceRequest = Static<typeof MaintenanceRequest>;

export const InstanceMode = Type.Enum(['normal', 'entering', 'maintenance', 'exiting'], { description: 'normal, entering, maintenance or exiting' });
export type InstanceMode = Static<typeof InstanceMode>;

/** Value of `<prefix>instances/<id>`, kept alive by the instance's etcd lease. */
export const InstanceStatus = Type.Object(
  {
    id: Type.String(),
    podName: Type.Optional(Type.String()),
    mode: InstanceMode,
    /** Create revision of the maintenance key this instance fenced on (in maintenance). */
    fenceRevision: Type.Optional(Type.String()),
    /** etcd revision its read model has applied (decimal string: revisions are int64). */
    appliedRevision: Type.String(),
    version: Type.String(),
    startedAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'InstanceStatus' },
);
export type InstanceStatus = Static<typeof InstanceStatus>;

/** GET /maintenance: the requested state and what every live instance reports. */
export const MaintenanceStatus = Type.Object(
  {
    requested: Type.Boolean(),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    owner: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    requestedBy: Type.Optional(Type.String()),
    /** Create revision of the maintenance key: every instance's fence once it is in maintenance. */
    revision: Type.Optional(Type.String()),
    instances: Type.Array(InstanceStatus),
    /** Every live instance is in `maintenance` (requested) or `normal` (not requested), fenced on this key. */
    allInstancesInRequestedMode: Type.Boolean(),
  },
  { $id: 'MaintenanceStatus', additionalProperties: false },
);
export type MaintenanceStatus = Static<typeof MaintenanceStatus>;

/** PUT /maintenance body: every field optional. */
export const EnableMaintenanceRequest = Type.Object(
  {
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    requestedBy: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type EnableMaintenanceRequest = Static<typeof EnableMaintenanceRequest>;

export const DisableMaintenanceQuery = Type.Object({ owner: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, { additionalProperties: false });
export type DisableMaintenanceQuery = Static<typeof DisableMaintenanceQuery>;

/**
 * The value of the maintenance key as read from etcd. Anything that is not a JSON object
 * still means "on" (presence is the switch): its fields are then empty.
 */
export function parseMaintenanceRequest(raw: Uint8Array | string): MaintenanceRequest {
  let v: Partial<MaintenanceRequest> = {};
  try {
    const parsed: unknown = JSON.parse(raw.toString());
    if (parsed && typeof parsed === 'object') v = parsed as Partial<MaintenanceRequest>;
  } catch {
    // not JSON: presence alone means on
  }
  const str = (x: unknown) => (typeof x === 'string' ? x : '');
  return { requestedAt: str(v.requestedAt), requestedBy: str(v.requestedBy), reason: str(v.reason), owner: str(v.owner) };
}

/** The registry entries among etcd values: a foreign or half-written value is not an instance. */
export function parseInstanceStatuses(values: Iterable<Uint8Array | string>): InstanceStatus[] {
  const instances: InstanceStatus[] = [];
  for (const value of values) {
    try {
      instances.push(JSON.parse(value.toString()) as InstanceStatus);
    } catch {
      // skipped
    }
  }
  return instances;
}
