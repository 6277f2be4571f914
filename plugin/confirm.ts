// Changes that stop writes or replace data ask first, on a terminal. Without one (a script,
// CI) nobody can answer: the command refuses with exit code 2 unless --yes says it is meant.
import { PluginError, usageError } from './errors.js';
import type { Io } from './io.js';

export type Confirmation = 'proceed' | 'ask' | 'refuse';

export function confirmation(o: { yes: boolean; stdinIsTTY: boolean }): Confirmation {
  if (o.yes) return 'proceed';
  return o.stdinIsTTY ? 'ask' : 'refuse';
}

export const isYes = (answer: string | undefined) => answer !== undefined && /^\s*(y|yes)\s*$/i.test(answer);

/** Returns when confirmed; throws (nothing changed) otherwise. `what` completes "… needs confirmation". */
export async function confirm(io: Io, question: string, o: { yes: boolean; what: string }): Promise<void> {
  switch (confirmation({ yes: o.yes, stdinIsTTY: io.stdinIsTTY })) {
    case 'proceed':
      return;
    case 'refuse':
      throw usageError(`${o.what} needs confirmation and stdin is not a terminal: pass --yes to go ahead without asking`);
    case 'ask':
      io.err(`${question} [y/N] `);
      if (!isYes(await io.readLine())) throw new PluginError('not confirmed: nothing changed');
  }
}
