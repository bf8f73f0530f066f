import { createContext, type ComponentChildren } from 'preact';
import { useContext, useState } from 'preact/hooks';

/** The policy draft being edited: shared by the Policy screen (edit, diff, submit) and What-if (backtest, shadow). */
export interface DraftState {
  readonly draft?: Record<string, unknown>;
  readonly baseVersion?: number;
  setDraft(draft: Record<string, unknown> | undefined, baseVersion?: number): void;
}

const DraftContext = createContext<DraftState>({ setDraft: () => undefined });

export function DraftProvider({ children }: { children: ComponentChildren }) {
  const [state, setState] = useState<{ draft?: Record<string, unknown>; baseVersion?: number }>({});
  return (
    <DraftContext.Provider
      value={{
        ...state,
        setDraft: (draft, baseVersion) =>
          setState(draft ? { draft, ...(baseVersion !== undefined ? { baseVersion } : {}) } : {}),
      }}
    >
      {children}
    </DraftContext.Provider>
  );
}

export function useDraft(): DraftState {
  return useContext(DraftContext);
}
