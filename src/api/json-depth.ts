/**
 * How deep a JSON value nests, measured without recursion (a value nested thousands of levels deep must not overflow
 * the stack of the very check meant to refuse it). Vendor adapters convert schemas recursively, so the request parser
 * refuses anything deeper than `limits.maxJsonDepth` before an adapter ever sees it.
 */

interface Node {
  v: unknown;
  depth: number;
  parent: Node | null;
  key: PropertyKey | null;
}

/**
 * The path to the first object or array nested deeper than `max` levels in `value`, or null when it fits. Scalars
 * are depth 0, `{}` and `[]` depth 1, `{"a":[]}` depth 2. Work is linear in the value's size.
 */
export function tooDeepAt(value: unknown, max: number): PropertyKey[] | null {
  const stack: Node[] = [{ v: value, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { v, depth } = node;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > max) return pathOf(node);
    const entries: [PropertyKey, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [key, x] of entries) if (x !== null && typeof x === "object") stack.push({ v: x, depth: depth + 1, parent: node, key });
  }
  return null;
}

function pathOf(node: Node): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let n: Node | null = node; n && n.key !== null; n = n.parent) path.push(n.key);
  return path.reverse();
}
