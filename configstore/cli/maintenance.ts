// `configstore maintenance enable|disable|status`: turns maintenance mode on or off (and with
// --wait, waits until every live instance reports the requested mode); prints the status JSON.
import { hostname, userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import type { ConfigStoreClient } from '../client/index.js';
import type { MaintenanceStatus } from '../types/maintenance.js';
import { addServerOptions, clientFrom } from './dataops-common.js';
import { UsageError } from './usage.js';

export function addMaintenanceCommand(program: Command): void {
  const maintenance = program.command('maintenance').description('turn maintenance mode on or off, or show it (admin)');

  addServerOptions(
    maintenance
      .command('enable')
      .description('turn maintenance mode on: writes stop, import is allowed; prints the status JSON')
      .option('--owner <owner>', 'who holds it: enabling again with the same owner is a no-op, another owner gets a 409')
      .option('--reason <text>', 'why, shown in the status')
      .option('--wait', 'wait until every live instance is in maintenance')
      .addOption(new Option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 5m)').default('60s')),
  ).action(async (opts: { owner?: string; reason?: string; wait?: boolean; timeout: string }, cmd: Command) => {
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    const client = clientFrom(cmd);
    let status = await client.enableMaintenance({
      requestedBy: requester(),
      ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
      ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    });
    if (opts.wait) status = await waitForMode(client, true, timeoutMs);
    printStatus(status);
  });

  addServerOptions(
    maintenance
      .command('disable')
      .description('turn maintenance mode off; prints the status JSON')
      .option('--owner <owner>', 'only if this owner holds it (else a 409)')
      .option('--wait', 'wait until every live instance is back to normal')
      .addOption(new Option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 5m)').default('60s')),
  ).action(async (opts: { owner?: string; wait?: boolean; timeout: string }, cmd: Command) => {
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    const client = clientFrom(cmd);
    await client.disableMaintenance(opts.owner !== undefined ? { owner: opts.owner } : {});
    printStatus(opts.wait ? await waitForMode(client, false, timeoutMs) : await client.getMaintenance());
  });

  addServerOptions(maintenance.command('status').description('print the maintenance status JSON: requested or not, and every live instance')).action(
    async (_opts: unknown, cmd: Command) => printStatus(await clientFrom(cmd).getMaintenance()),
  );
}

function printStatus(status: MaintenanceStatus): void {
  process.stdout.write(JSON.stringify(status) + '\n');
}

function requester(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): the host name says enough
  }
  return `configstore-cli ${user}@${hostname()}`.slice(0, 256);
}

/** "60s", "5m", "1h", "500ms" or plain seconds. */
export function parseDuration(raw: string, from: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = m ? Number(m[1]) * unit : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 24 * 3_600_000)
    throw new UsageError(`${from}=${JSON.stringify(raw)}: expected a duration such as 60s, 5m or 1h (at most 24h)`);
  return Math.round(ms);
}

async function waitForMode(client: ConfigStoreClient, requested: boolean, timeoutMs: number): Promise<MaintenanceStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.getMaintenance();
    if (status.requested === requested && status.allInstancesInRequestedMode) return status;
    if (Date.now() > deadline) {
      const behind = status.instances.filter((i) => i.mode !== (requested ? 'maintenance' : 'normal')).map((i) => `${i.id} (${i.mode})`);
      throw new Error(
        status.requested !== requested
          ? `maintenance is ${status.requested ? 'requested' : 'not requested'} again (changed by someone else?)`
          : `not every instance is ${requested ? 'in maintenance' : 'back to normal'} after ${timeoutMs / 1000}s: ${behind.join(', ') || 'no instance reported yet'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
