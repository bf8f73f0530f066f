import type { Command } from '../cli';
import { runtimeOptionsFromEnv, startLocalRuntime } from '../../lambdas/local/runtime';
import { JavaMissingError, PortInUseError } from '../../lambdas/local/dynamodb-local';
import { describeNetworkData } from '../../lambdas/local/local-network-data';

export const devCommand: Command = {
  summary: 'run stepgate locally: DynamoDB Local, tables, seeds, HTTP API and local Cognito on 127.0.0.1:$PORT',
  async run() {
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
    console.log(`  Cognito (local)  ${url}/   (AWS SDK endpoint)`);
    console.log(`  outbox           ${url}/local/outbox?to=alice@example.com`);
    console.log(`  tables           ${context.tables.risk}, ${context.tables.audit}, ${context.tables.policy}`);
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
