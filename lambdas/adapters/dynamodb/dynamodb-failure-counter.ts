import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { formatIp, parseIp } from '../../core/net/ip';
import type { FailureCounter, FailureKind, FailureSource } from '../../ports/decision-store';
import { failedKeyOf, failureNoteUpdate } from './items/profile';
import { addressFailureUpdate, failureUpdate } from './items/velocity';
import type { TableNames } from '../../contracts/tables';

/**
 * The one writer of a user's failure counts (the `signIns` and `stepUps` attributes of the user's hourly velocity
 * item), which the decision's `velocity.failed_*` signals read: failed sign-ins that apps report as outcomes, and
 * failed step-up tries that the verify trigger counts.
 */
export class DynamoDbFailureCounter implements FailureCounter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: Pick<TableNames, 'risk'>,
  ) {}

  /**
   * With the request's address subject, a failed sign-in is also counted for that address (any user: credential
   * stuffing) and noted in the user's hour as coming from it (a success from the same unfamiliar address soon after
   * weighs more). The failure (time, and the hashed address and network it came from) goes on the profile item:
   * the next decision folds it into the document, so a pending address or network a failure came from is never
   * confirmed by repetition.
   */
  async recordFailure(userId: string, kind: FailureKind, now: number, origin?: FailureSource): Promise<void> {
    const table = this.tables.risk;
    const address = origin?.ip === undefined ? undefined : canonicalIp(origin.ip);
    const counterIp = origin?.counterIp;
    const failedKeys = [
      ...(address ? [failedKeyOf('ip', address)] : []),
      ...(origin?.network ? [failedKeyOf('net', origin.network)] : []),
    ];
    const updates: Promise<unknown>[] = [
      this.client.send(new UpdateItemCommand(failureUpdate(table, userId, kind, now, counterIp))),
      this.client.send(new UpdateItemCommand(failureNoteUpdate(table, userId, now, failedKeys))).catch((error) => {
        // No profile yet: nothing learned that a failure could hold back.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }),
    ];
    if (counterIp && kind === 'signIns') {
      updates.push(this.client.send(new UpdateItemCommand(addressFailureUpdate(table, counterIp, now))));
    }
    await Promise.all(updates);
  }
}

/** An address in the canonical text the profile keys use; anything else (a pseudonym) as it is. */
function canonicalIp(text: string): string {
  const parsed = parseIp(text);
  return parsed ? formatIp(parsed) : text;
}
