import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { FileCheckpointStore } from '../../../lambdas/adapters/file-checkpoint-store';
import { KmsCheckpointSigner, UnsuitableSigningKeyError } from '../../../lambdas/adapters/kms-checkpoint-signer';
import {
  LOCAL_PUBLIC_KEY_FILE,
  LOCAL_SIGNING_KEY_FILE,
  NodeCryptoCheckpointSigner,
} from '../../../lambdas/adapters/node-crypto-checkpoint-signer';
import { S3CheckpointStore } from '../../../lambdas/adapters/s3-checkpoint-store';
import { CheckpointTakenError } from '../../../lambdas/ports/checkpoint';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** The part of an S3 body stream the store reads. */
const body = (text: string) => ({ transformToString: () => Promise.resolve(text) }) as never;

describe('KmsCheckpointSigner (aws-sdk-client-mock)', () => {
  const kms = mockClient(KMSClient);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  beforeEach(() => kms.reset());

  it('signs the SHA-256 digest with ECDSA_SHA_256 (MessageType DIGEST) on the configured key', async () => {
    const message = Buffer.from('{"format":"stepgate.audit-checkpoint/1"}');
    // What KMS does with a DIGEST request: sign that digest as the SHA-256 of the message.
    kms.on(SignCommand).resolves({ KeyId: KEY_ARN, Signature: sign('sha256', message, privateKey) });
    const signature = await new KmsCheckpointSigner(new KMSClient({}), KEY_ARN).sign(message);
    const [call] = kms.commandCalls(SignCommand);
    expect(call!.args[0].input).toEqual({
      KeyId: KEY_ARN,
      Message: createHash('sha256').update(message).digest(),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(verify('sha256', message, publicKey, signature)).toBe(true);
  });

  it('takes the public key from GetPublicKey once, only for an ECC_NIST_P256 signing key', async () => {
    kms.on(GetPublicKeyCommand).resolves({
      KeyId: KEY_ARN,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
      PublicKey: spki,
    });
    const signer = new KmsCheckpointSigner(new KMSClient({}), KEY_ARN);
    expect(Buffer.from(await signer.publicKey())).toEqual(spki);
    await signer.publicKey();
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    expect(
      createPublicKey({ key: Buffer.from(await signer.publicKey()), format: 'der', type: 'spki' }).asymmetricKeyDetails,
    ).toEqual({
      namedCurve: 'prime256v1',
    });
  });

  it.each([
    [{ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['RSASSA_PSS_SHA_256'] }, /key spec RSA_2048/],
    [{ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT', SigningAlgorithms: [] }, /key usage/],
    [{ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_384'] }, /ECDSA_SHA_256/],
  ] as const)('refuses a key that cannot sign checkpoints (%j)', async (answer, message) => {
    kms.on(GetPublicKeyCommand).resolves({ ...answer, PublicKey: spki } as never);
    const error = await new KmsCheckpointSigner(new KMSClient({}), KEY_ARN).publicKey().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsuitableSigningKeyError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('S3CheckpointStore (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  const store = () => new S3CheckpointStore(new S3Client({}), 'checkpoints-bucket', 'stepgate-prod-audit/');
  beforeEach(() => s3.reset());

  it('writes each checkpoint once, locked in COMPLIANCE mode until its retention ends, with a checksum', async () => {
    s3.on(PutObjectCommand).resolves({});
    const until = new Date('2028-01-05T00:00:00.000Z');
    await store().put(3, '{"x":1}\n', until);
    const [call] = s3.commandCalls(PutObjectCommand);
    expect(call!.args[0].input).toEqual({
      Bucket: 'checkpoints-bucket',
      Key: 'stepgate-prod-audit/999999999996-3.json',
      Body: '{"x":1}\n',
      ContentType: 'application/json',
      IfNoneMatch: '*',
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: until,
      ChecksumAlgorithm: 'SHA256',
    });
  });

  it('reports a number already taken (412, or 409 while another write is in flight) as CheckpointTakenError', async () => {
    for (const [name, status] of [
      ['PreconditionFailed', 412],
      ['ConditionalRequestConflict', 409],
    ] as const) {
      s3.reset();
      s3.on(PutObjectCommand).rejects(Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } }));
      await expect(store().put(3, '{}', new Date())).rejects.toBeInstanceOf(CheckpointTakenError);
    }
    s3.reset();
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('AccessDenied'), { name: 'AccessDenied' }));
    await expect(store().put(3, '{}', new Date())).rejects.toThrow('AccessDenied');
  });

  it('finds the latest with one short listing (newest sorts first) and reads it', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'stepgate-prod-audit/not-a-checkpoint.json' },
        { Key: 'stepgate-prod-audit/999999999988-11.json' },
      ],
    });
    s3.on(GetObjectCommand, { Key: 'stepgate-prod-audit/999999999988-11.json' }).resolves({ Body: body('{"n":11}') });
    await expect(store().latest()).resolves.toEqual({
      seq: 11,
      text: '{"n":11}',
      location: 's3://checkpoints-bucket/stepgate-prod-audit/999999999988-11.json',
    });
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({
      Bucket: 'checkpoints-bucket',
      Prefix: 'stepgate-prod-audit/',
    });
  });

  it('answers undefined when there is no checkpoint, or none by that number', async () => {
    s3.on(ListObjectsV2Command).resolves({});
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' }));
    await expect(store().latest()).resolves.toBeUndefined();
    await expect(store().get(4)).resolves.toBeUndefined();
  });
});

describe('local anchoring: file store and node:crypto key', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'stepgate-local-anchor-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores read-only files under the same names, never twice, newest found first', async () => {
    const store = new FileCheckpointStore(join(dir, 'checkpoints', 't-audit'));
    await expect(store.latest()).resolves.toBeUndefined();
    await store.put(1, 'one\n');
    await store.put(2, 'two\n');
    await expect(store.put(2, 'again\n')).rejects.toBeInstanceOf(CheckpointTakenError);
    await expect(store.latest()).resolves.toMatchObject({ seq: 2, text: 'two\n' });
    expect(statSync(join(dir, 'checkpoints', 't-audit', '999999999997-2.json')).mode & 0o777).toBe(0o444);
  });

  it('creates one P-256 key (0600) with its public PEM beside it, and reuses it', async () => {
    const first = await NodeCryptoCheckpointSigner.inDirectory(dir);
    const again = await NodeCryptoCheckpointSigner.inDirectory(dir);
    expect(again.keyId).toBe(first.keyId);
    expect(statSync(join(dir, LOCAL_SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    const pem = readFileSync(join(dir, LOCAL_PUBLIC_KEY_FILE), 'utf8');
    const message = Buffer.from('payload');
    expect(verify('sha256', message, createPublicKey(pem), await first.sign(message))).toBe(true);
    expect(createPublicKey(pem).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });
});
