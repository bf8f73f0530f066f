import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CheckpointTakenError, type CheckpointStore, type StoredCheckpointObject } from '../ports/checkpoint';
import { checkpointObjectName, checkpointSeqOf } from './checkpoint-object-names';

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * Checkpoints as files, for the local runtime and the CLI: the same object text and names as in S3, one file per
 * checkpoint under `<dir>`. Files are created exclusively (a second writer of the same number fails) and read-only;
 * a file system has no Object Lock, so this store is tamper-evident only as far as its directory is protected.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(private readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  async latest(): Promise<StoredCheckpointObject | undefined> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
    const newest = names
      .map(checkpointSeqOf)
      .filter((seq): seq is number => seq !== undefined)
      .sort((a, b) => b - a)[0];
    return newest === undefined ? undefined : this.get(newest);
  }

  async get(seq: number): Promise<StoredCheckpointObject | undefined> {
    const file = path.join(this.dir, checkpointObjectName(seq));
    try {
      return { seq, text: await readFile(file, 'utf8'), location: file };
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async put(seq: number, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    try {
      await writeFile(path.join(this.dir, checkpointObjectName(seq)), text, { flag: 'wx', mode: 0o444 });
    } catch (error) {
      if (code(error) === 'EEXIST') throw new CheckpointTakenError(seq);
      throw error;
    }
  }
}
