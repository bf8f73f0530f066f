import { z } from 'zod';
import type { LocalContext } from './runtime';

/**
 * `GET /local/info`, served by the local runtime only: where its DynamoDB Local listens and what its tables are
 * called, so that the `stepgate` commands which read the tables directly (audit verify/export/report) find a stack
 * started on other ports from the one setting every command shares, STEPGATE_URL. Nothing secret: no client
 * secret, no password, no key.
 */
export const LOCAL_INFO_PATH = '/local/info';

export const localInfoSchema = z.object({
  service: z.literal('stepgate-local'),
  url: z.string(),
  dynamodb: z.object({ endpoint: z.string() }),
  tables: z.object({ risk: z.string(), audit: z.string(), policy: z.string() }),
  userPoolId: z.string(),
  clients: z.object({ app: z.string(), web: z.string() }),
});

export type LocalInfo = z.infer<typeof localInfoSchema>;

export function localInfo(ctx: LocalContext): LocalInfo {
  return {
    service: 'stepgate-local',
    url: ctx.baseUrl,
    dynamodb: { endpoint: ctx.dynamoEndpoint },
    tables: { risk: ctx.tables.risk, audit: ctx.tables.audit, policy: ctx.tables.policy },
    userPoolId: ctx.identities.userPoolId,
    clients: { app: ctx.identities.appClient.clientId, web: ctx.identities.webClient.clientId },
  };
}
