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

/**
 * Command name → [module, export]. Loaded with a lazy require, not import(): the CLI runs under tsx's CommonJS
 * loader, where import() of a .ts path fails.
 */
const COMMANDS: Record<string, readonly [module: string, exportName: string]> = {
  dev: ['./commands/dev', 'devCommand'],
  audit: ['./commands/audit', 'auditCommand'],
  evaluate: ['./commands/evaluate', 'evaluateCommand'],
  'simulate-traffic': ['./commands/simulate-traffic', 'simulateTrafficCommand'],
  bench: ['./commands/bench', 'benchCommand'],
  policy: ['./commands/policy', 'policyCommand'],
  simulate: ['./commands/simulate', 'simulateCommand'],
  shadow: ['./commands/shadow', 'shadowCommand'],
  events: ['./commands/events', 'eventsCommand'],
  feedback: ['./commands/feedback', 'feedbackCommand'],
  network: ['./commands/network', 'networkCommand'],
};

function load(name: string): Command {
  const entry = COMMANDS[name];
  if (!entry) throw new Error(`unknown command ${name}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(entry[0]) as Record<string, Command>;
  const command = mod[entry[1]];
  if (!command) throw new Error(`${entry[0]} does not export ${entry[1]}`);
  return command;
}

function usage(): string {
  const lines = ['usage: stepgate <command> [options]', '', 'commands:'];
  for (const name of Object.keys(COMMANDS)) lines.push(`  ${name.padEnd(16)} ${load(name).summary}`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (!COMMANDS[name]) {
    console.error(`stepgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await load(name).run(rest);
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
