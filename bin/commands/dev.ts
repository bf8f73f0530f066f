import { CliError, type Command } from '../cli';
import { runtimeOptionsFromEnv, startLocalRuntime } from '../../lambdas/local/runtime';
import { JavaMissingError, PortInUseError } from '../../lambdas/local/dynamodb-local';
import { localCheckpointDir } from '../../lambdas/local/local-checkpoints';
import { describeNetworkData } from '../../lambdas/local/local-network-data';

const USAGE = `usage: stepgate dev          (what \`npm start\` runs)

Starts DynamoDB Local, creates the tables, seeds the default policy and the local identities, and serves the HTTP
API, the local Cognito and the code outbox on 127.0.0.1 until Ctrl-C. It prints "stepgate ready" when it accepts
requests. Needs Java 17+ for DynamoDB Local.

environment:
  PORT                     HTTP port (default 3000)
  STEPGATE_DYNAMODB_PORT   DynamoDB Local port (default 8000)
  STEPGATE_DATA_DIR        keep the data in this folder (default: in memory, gone when it stops)

Every other command finds a stack on other ports with one setting: STEPGATE_URL=http://127.0.0.1:<PORT>.`;

export const devCommand: Command = {
  summary: 'run stepgate locally: DynamoDB Local, tables, seeds, HTTP API and local Cognito on 127.0.0.1:$PORT',
  usage: USAGE,
  async run(args) {
    // Settings come from the environment; an argument is a mistake, and starting a stack anyway would hide it.
    if (args.length > 0) throw new CliError(`unexpected argument "${args[0]}"\n\n${USAGE}`, 2);
    let runtime;
    try {
      runtime = await startLocalRuntime({ ...runtimeOptionsFromEnv(process.env), log: (line) => console.log(line) });
    } catch (error) {
      if (error instanceof JavaMissingError || error instanceof PortInUseError) {
        console.error(error.message);
        return 1;
      }
      throw error;
    }
    const { url, context } = runtime;
    console.log(`stepgate local runtime`);
    console.log(`  API              ${url}/v1/decisions`);
    console.log(`  health           ${url}/health`);
    console.log(`  token endpoint   ${url}/oauth2/token   (client ${context.identities.appClient.clientId})`);
    console.log(`  JWKS             ${url}/.well-known/jwks.json`);
    const { webClient, scriptClient } = context.identities;
    console.log(
      `  Cognito (local)  ${url}/   (AWS SDK endpoint; ${webClient.clientId}: custom auth with SRP, ${scriptClient.clientId}: password, local only)`,
    );
    console.log(`  outbox           ${url}/local/outbox?to=alice@example.com`);
    console.log(`  tables           ${context.tables.risk}, ${context.tables.audit}, ${context.tables.policy}`);
    console.log(
      `  audit anchor     ${localCheckpointDir(context.anchorDir, context.tables.audit)}   (signed checkpoints)`,
    );
    console.log(`  network data     ${describeNetworkData(context.network)}`);
    console.log('stepgate ready');
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void runtime.stop().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
