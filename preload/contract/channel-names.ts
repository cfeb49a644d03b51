/**
 * Compile-time proof that an area's channel-name list is complete:
 * `AssertNever<Exclude<keyof XCalls, (typeof X_CALLS)[number]>>` is a type error when a channel of the
 * map is missing from the list. The lists are the contract's only runtime values (the router and the
 * bridges check untrusted names against them).
 */
export type AssertNever<T extends never> = T;
