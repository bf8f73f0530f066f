/** Epoch milliseconds. Injected so that handlers and tests control time; the core never reads a clock. */
export type Clock = () => number;
