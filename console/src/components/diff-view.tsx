import { diffJson } from 'diff';

/** The draft against the active policy as a line diff of their JSON (jsdiff), added and removed lines marked. */
export function DiffView({ before, after }: { before: unknown; after: unknown }) {
  const parts = diffJson(before as object, after as object);
  const changed = parts.filter((p) => p.added || p.removed).length;
  if (changed === 0)
    return (
      <p class="muted" data-testid="diff-empty">
        No change against the active version.
      </p>
    );
  return (
    <pre class="diff" data-testid="diff">
      {parts.map((p, i) => {
        if (!p.added && !p.removed) {
          const lines = p.value.split('\n');
          const short = lines.length > 6 ? [...lines.slice(0, 2), '…', ...lines.slice(-3)] : lines;
          return (
            <span key={i} class="ctx">
              {short.join('\n')}
            </span>
          );
        }
        return (
          <span key={i} class={p.added ? 'add' : 'del'}>
            {p.value
              .split('\n')
              .filter((l, j, all) => l !== '' || j < all.length - 1)
              .map((l) => `${p.added ? '+' : '-'} ${l}`)
              .join('\n') + '\n'}
          </span>
        );
      })}
    </pre>
  );
}
