import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CliError, type Command } from '../cli';
import { buildOpenApiDocument } from '../../lambdas/handlers/openapi/openapi-document';
import { stackUrl } from './stack';

const USAGE = `usage: stepgate openapi [--out <file>] [--url <api-url>] [--token-url <url>]

Writes the OpenAPI 3.1 description of every HTTP route (stdout by default), generated from the schemas the
handlers validate requests with. A running local runtime serves the same document at GET /openapi.json.

  --out <file>         write it to a file
  --url <api-url>      the API in "servers" (default $STEPGATE_URL, else http://127.0.0.1:3000); for AWS, the
                       HTTP API's URL from the stack outputs
  --token-url <url>    the app clients' token endpoint (default <api-url>/oauth2/token, the local runtime's; in
                       AWS, https://<user pool domain>/oauth2/token)`;

export const openapiCommand: Command = {
  summary: 'write the OpenAPI 3.1 description of the HTTP API (also served locally at /openapi.json)',
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: { out: { type: 'string' }, url: { type: 'string' }, 'token-url': { type: 'string' } },
        strict: true,
      }));
    } catch (error) {
      throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
    }
    const serverUrl = stackUrl(values);
    const tokenUrl = values['token-url'] ?? `${serverUrl}/oauth2/token`;
    const text = `${JSON.stringify(buildOpenApiDocument({ serverUrl, tokenUrl }), null, 2)}\n`;
    if (values.out) {
      await writeFile(values.out, text);
      console.error(`OpenAPI 3.1 document written to ${values.out}`);
    } else process.stdout.write(text);
    return 0;
  },
};
