// A problem with what the user gave the command (flags, environment): the CLI prints one
// line and exits with code 2, no stack trace.
export class UsageError extends Error {
  override name = 'UsageError';
}

export const usageExitCode = 2;

/** The first line of an error's message, for the one-line report. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.trim();
}
