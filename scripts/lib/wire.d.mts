/** Types for scripts/lib/wire.mjs: the bundled src/wire module has src/wire's own types. */
export declare function loadWire(): Promise<typeof import("../../src/wire/index")>;
