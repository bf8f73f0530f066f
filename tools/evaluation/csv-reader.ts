import type { Readable } from 'node:stream';

/** One CSV record and the 1-based line on which it starts (for error messages). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

export class CsvFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** A quoted field longer than this is a broken file (an unbalanced quote swallowing the rest), not data. */
const MAX_FIELD_LENGTH = 1 << 20;

/**
 * Streaming RFC 4180 reader: text chunks in, records out, so a 9 GB file costs one chunk of memory.
 *
 * Quoted fields may hold commas, doubled quotes and line breaks; CRLF, LF and lone CR all end a record. Outside the
 * RFC's letter but as spreadsheet tools do: a quote inside an unquoted field is kept as text, and text after a
 * closing quote is appended to the field. Blank lines are skipped. An unterminated quote at end of input is an error.
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  /** 0 field start, 1 unquoted, 2 quoted, 3 quote seen inside quoted (closing or first of a doubled pair). */
  private state = 0;
  private afterCr = false;
  /** The current field was quoted: `""` alone on a line is a record with one empty field, not a blank line. */
  private quoted = false;
  private line = 1;
  private recordLine = 1;

  /** Feeds one chunk; completed records are passed to `emit`. */
  push(chunk: string, emit: (record: CsvRecord) => void): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (this.afterCr) {
        this.afterCr = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      switch (this.state) {
        case 0:
        case 1: {
          if (this.state === 0 && c === QUOTE) {
            this.state = 2;
            this.quoted = true;
            i++;
            break;
          }
          // Scan the unquoted run in one go and slice it, instead of appending character by character.
          let j = i;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            j++;
          }
          if (j > i) this.field += chunk.slice(i, j);
          this.state = 1;
          if (j === n) {
            i = j;
            break;
          }
          const d = chunk.charCodeAt(j);
          if (d === COMMA) {
            this.endField();
            this.state = 0;
          } else {
            this.endRecord(emit);
            if (d === CR) this.afterCr = true;
            this.line++;
          }
          i = j + 1;
          break;
        }
        case 2: {
          const q = chunk.indexOf('"', i);
          const end = q === -1 ? n : q;
          const piece = chunk.slice(i, end);
          for (let k = 0; k < piece.length; k++) if (piece.charCodeAt(k) === LF) this.line++;
          this.field += piece;
          if (this.field.length > MAX_FIELD_LENGTH) {
            throw new CsvFormatError('quoted field longer than 1 MiB (unbalanced quote?)', this.recordLine);
          }
          if (q === -1) {
            i = n;
          } else {
            this.state = 3;
            i = q + 1;
          }
          break;
        }
        case 3: {
          if (c === QUOTE) {
            this.field += '"';
            this.state = 2;
            i++;
          } else {
            // Closing quote: what follows is read as unquoted text up to the delimiter.
            this.state = 1;
          }
          break;
        }
      }
    }
  }

  /** Flushes the last record when the input does not end with a line break. */
  end(emit: (record: CsvRecord) => void): void {
    if (this.state === 2) throw new CsvFormatError('unterminated quoted field', this.recordLine);
    if (this.state !== 0 || this.fields.length > 0 || this.quoted) this.endRecord(emit);
  }

  private endField(): void {
    this.fields.push(detach(this.field));
    this.field = '';
    this.quoted = false;
  }

  private endRecord(emit: (record: CsvRecord) => void): void {
    const blank = this.fields.length === 0 && this.field === '' && !this.quoted;
    this.endField();
    const fields = this.fields;
    this.fields = [];
    this.state = 0;
    const line = this.recordLine;
    this.recordLine = this.line + 1;
    if (!blank) emit({ fields, line });
  }
}

/**
 * A copy of a field that does not share memory with the chunk it was cut from. V8 represents a substring of 13 or
 * more characters as a view into its parent, so one user id kept as a map key would keep its whole 1 MB chunk of
 * the file alive, and a replay would hold on to most of the file.
 */
function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** Reads records from a text stream (set its encoding to utf8, or pass Buffers of UTF-8). */
export async function* readCsv(stream: Readable): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser();
  const decoder = new TextDecoder('utf-8');
  let ready: CsvRecord[] = [];
  const emit = (record: CsvRecord) => ready.push(record);
  for await (const chunk of stream) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    parser.push(text, emit);
    if (ready.length > 0) {
      const batch = ready;
      ready = [];
      yield* batch;
    }
  }
  parser.push(decoder.decode(), emit);
  parser.end(emit);
  yield* ready;
}

/** Quotes a field only when it has to (comma, quote or line break), as RFC 4180 writers do. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}
