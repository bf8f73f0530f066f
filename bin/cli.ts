/**
 * `stepgate <command>`: each command lives in bin/commands/<name>.ts and is loaded only when asked for, so
 * `stepgate audit verify` does not pay for geoip data and `stepgate dev` does not load the CDK.
 */
export interface Command {
  readonly summary: string;
  /** Returns the process exit code. Errors meant for the user are thrown as CliError (printed without a stack). */
  run(args: string[]): Promise<number>;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

// Lazy require, not import(): the CLI runs under tsx's CommonJS loader, where import() of a .ts path fails.
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Promise<Command>> = {
  dev: async () => (require('./commands/dev') as typeof import('./commands/dev')).devCommand,
};

/* eslint-enable @typescript-eslint/no-require-imports */

export function registerCommand(name: string, load: () => Promise<Command>): void {
  COMMANDS[name] = load;
}

async function usage(): Promise<string> {
  const lines = ['usage: stepgate <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(16)} ${(await load()).summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`stepgate: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`stepgate ${name}: ${error.message}`);
      return error.exitCode;
    }
    // Expected failures carry a readable message; never show a stack trace to the person at the terminal.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`stepgate ${name}: ${message}`);
    return 1;
  }
}
