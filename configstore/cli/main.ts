// The `configstore` command. Run it as `npm run configstore -- serve`, `scripts/configstore serve`
// or `npx tsx configstore/cli/main.ts serve`. Bad usage or settings: one line on stderr,
// exit code 2; a failure while running: one line, exit code 1 (details in the JSON logs).
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { describeFailure } from './dataops-common.js';
import { addExportCommand } from './export.js';
import { addImportCommand } from './import.js';
import { addMaintenanceCommand } from './maintenance.js';
import { addOperatorCommand } from './operator.js';
import { addServeCommand } from './serve.js';
import { oneLine, UsageError, usageExitCode } from './usage.js';

const program = new Command('configstore')
  .description('clustered configuration service over etcd and object storage')
  .version(packageJson.version)
  .exitOverride()
  .showSuggestionAfterError()
  .configureOutput({
    outputError: (text, write) =>
      write(
        `configstore: ${text
          .replace(/^error: /, '')
          .trimEnd()
          .replaceAll('\n', ' ')}\n`,
      ),
  });
addServeCommand(program);
addMaintenanceCommand(program);
addExportCommand(program);
addImportCommand(program);
addOperatorCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : usageExitCode); // commander printed it
  const failure = describeFailure(err); // the server's own message, status and code
  if (failure) {
    process.stderr.write(`${failure.line}\n`);
    process.exit(failure.exitCode);
  }
  process.stderr.write(`configstore: ${oneLine(err)}\n`);
  process.exit(err instanceof UsageError ? usageExitCode : 1);
}
