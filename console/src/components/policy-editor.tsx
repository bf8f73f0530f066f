import type { JSX } from 'preact';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const LEVELS = ['none', 'low', 'medium', 'high', 'critical'];
const FAIL_MODES = ['allow', 'step_up', 'deny'];

function setAt(root: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[Number(head)] = setAt(copy[Number(head)] ?? null, rest, value);
    return copy;
  }
  const obj = (root && typeof root === 'object' ? root : {}) as Record<string, Json>;
  return { ...obj, [head]: setAt(obj[head] ?? null, rest, value) };
}

function enumFor(path: readonly string[]): readonly string[] | undefined {
  if (path[0] === 'actions' && path[path.length - 1] === 'level') return LEVELS;
  if (path[0] === 'failMode' && path.length === 2) return FAIL_MODES;
  return undefined;
}

interface EditorProps {
  readonly value: Record<string, unknown>;
  readonly onChange: (next: Record<string, unknown>) => void;
  /** Schema problems by dotted path (as the policy schema reports them). */
  readonly errors: ReadonlyMap<string, string>;
}

/**
 * An editor for the whole policy document: every number, text, switch and list of the schema (weights, level
 * thresholds, the action catalogue, allow/deny lists...) as a field, with the schema's message beside the field it
 * is about. Lists of strings (CIDRs, methods) are one entry per line.
 */
export function PolicyEditor({ value, onChange, errors }: EditorProps) {
  const update = (path: readonly string[], next: Json) =>
    onChange(setAt(value as Json, path, next) as Record<string, unknown>);
  const errorAt = (path: readonly string[]) => errors.get(path.join('.'));

  function leaf(path: readonly string[], v: Json): JSX.Element {
    const id = path.join('.');
    const problem = errorAt(path);
    const common = { 'data-testid': `field-${id}`, 'aria-invalid': problem ? true : undefined, id: `f-${id}` };
    let input: JSX.Element;
    const choices = enumFor(path);
    if (choices && typeof v === 'string') {
      input = (
        <select {...common} value={v} onChange={(e) => update(path, e.currentTarget.value)}>
          {choices.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      );
    } else if (typeof v === 'number') {
      input = (
        <input
          {...common}
          type="number"
          step="any"
          value={String(v)}
          onInput={(e) => {
            const text = e.currentTarget.value;
            update(path, text === '' || Number.isNaN(Number(text)) ? text : Number(text));
          }}
        />
      );
    } else if (typeof v === 'boolean') {
      input = <input {...common} type="checkbox" checked={v} onChange={(e) => update(path, e.currentTarget.checked)} />;
    } else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      input = (
        <textarea
          {...common}
          rows={Math.max(2, v.length + 1)}
          value={v.join('\n')}
          onInput={(e) =>
            update(
              path,
              e.currentTarget.value
                .split('\n')
                .map((x) => x.trim())
                .filter(Boolean),
            )
          }
        />
      );
    } else {
      input = (
        <input
          {...common}
          value={typeof v === 'string' || typeof v === 'number' ? String(v) : ''}
          onInput={(e) => update(path, e.currentTarget.value)}
        />
      );
    }
    return (
      <div class={`field${problem ? ' invalid' : ''}`} key={id}>
        <label for={`f-${id}`}>{path[path.length - 1]}</label>
        {input}
        {problem && (
          <span class="field-error" role="alert" data-testid={`error-${id}`}>
            {problem}
          </span>
        )}
      </div>
    );
  }

  function node(path: readonly string[], v: Json): JSX.Element {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const id = path.join('.');
      const problem = path.length > 0 ? errorAt(path) : undefined;
      return (
        <fieldset key={id} class={path.length === 0 ? 'root' : ''}>
          {path.length > 0 && <legend>{path[path.length - 1]}</legend>}
          {problem && (
            <span class="field-error" role="alert" data-testid={`error-${id}`}>
              {problem}
            </span>
          )}
          {Object.entries(v).map(([k, child]) => node([...path, k], child))}
        </fieldset>
      );
    }
    return leaf(path, v);
  }

  return <div class="editor">{node([], value as Json)}</div>;
}
