/**
 * `stepgate <command>`: each command lives in bin/commands/<name>.ts and is loaded only when asked for, so
 * `stepgate audit verify` does not pay for geoip data and `stepgate dev` does not load the CDK.
 */
export interface Command {
  readonly summary: string;
  /** The help text, starting with a `usage:` line; a function when building it needs something loaded lazily. */
  readonly usage: string | (() => string);
  /** Subcommands (`policy get`, `audit verify`, ...): `--help` after any of them prints the help too. */
  readonly subcommands?: readonly string[];
  /**
   * Returns the process exit code. Errors meant for the user are thrown as CliError (printed without a stack).
   * Never called with `--help` or `-h`: main() answers those from `usage`, so asking for help starts nothing.
   */
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
export const COMMANDS: Readonly<Record<string, readonly [module: string, exportName: string]>> = {
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
  demo: ['./commands/demo', 'demoCommand'],
  openapi: ['./commands/openapi', 'openapiCommand'],
  network: ['./commands/network', 'networkCommand'],
};

export function load(name: string): Command {
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

/** `--help` / `-h` anywhere before a `--` (after which arguments are values, not options). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
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
    const command = load(name);
    if (asksForHelp(rest)) {
      console.log(typeof command.usage === 'function' ? command.usage() : command.usage);
      return 0;
    }
    return await command.run(rest);
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
