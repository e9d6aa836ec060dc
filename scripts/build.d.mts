// Types for scripts/build.mjs (plain JavaScript, so that `npm start` can run it without tsx).
export declare const START_NODE_FLAGS: readonly string[];
export declare function buildRoster(dir: string, source?: string): Promise<string>;
