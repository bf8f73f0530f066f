import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CheckpointTakenError, type CheckpointStore, type StoredCheckpointObject } from '../ports/checkpoint';
import { checkpointObjectName, checkpointSeqOf } from './checkpoint-object-names';

const LISTED_PER_LOOKUP = 20;

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function isTaken(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  // If-None-Match: * fails with 412 when the key exists, 409 when a concurrent write to it is in progress.
  return (
    e?.name === 'PreconditionFailed' ||
    e?.name === 'ConditionalRequestConflict' ||
    e?.$metadata?.httpStatusCode === 412 ||
    e?.$metadata?.httpStatusCode === 409
  );
}

/**
 * Checkpoints in an S3 bucket with Object Lock: each object is written once (`If-None-Match: *`, so a second
 * writer of the same number fails instead of replacing it) and locked in COMPLIANCE mode until `retainUntil`, which
 * nobody, the root user included, can shorten; so a stored checkpoint can be neither deleted nor overwritten.
 * Keys: `<prefix><trail-relative name>` (checkpoint-object-names.ts), newest first in a listing.
 */
export class S3CheckpointStore implements CheckpointStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** Key prefix, e.g. the audit table's name and a slash. */
    private readonly prefix: string,
  ) {}

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private key(seq: number): string {
    return `${this.prefix}${checkpointObjectName(seq)}`;
  }

  async latest(): Promise<StoredCheckpointObject | undefined> {
    const listed = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: LISTED_PER_LOOKUP }),
    );
    for (const object of listed.Contents ?? []) {
      const seq = checkpointSeqOf((object.Key ?? '').slice(this.prefix.length));
      if (seq !== undefined) return this.get(seq);
    }
    return undefined;
  }

  async get(seq: number): Promise<StoredCheckpointObject | undefined> {
    const key = this.key(seq);
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = (await object.Body?.transformToString('utf-8')) ?? '';
      return { seq, text, location: `s3://${this.bucket}/${key}` };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async put(seq: number, text: string, retainUntil: Date): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(seq),
          Body: text,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: retainUntil,
          // Object Lock requires an integrity checksum on every PutObject.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    } catch (error) {
      if (isTaken(error)) throw new CheckpointTakenError(seq);
      throw error;
    }
  }
}
