/**
 * Where a JSON text first goes wrong, as a character offset. V8 says so for most mistakes ("… at position 8"), but
 * not for an unexpected token — an unquoted word (`[alpha/x]`, `tru`) or a bracket where a value belongs (`[}`) —
 * and quoting V8's message instead would show the config's text (src/config/load.ts). Iterative, so a deeply nested
 * document cannot overflow the stack.
 */

const WS = new Set([" ", "\t", "\n", "\r"]);
const LITERAL = /true|false|null/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

type Expect = "value" | "value_or_close" | "key" | "key_or_close" | "colon" | "comma_or_close";

/** The offset of the first character that makes `text` invalid JSON, or undefined when it is valid. */
export function jsonErrorOffset(text: string): number | undefined {
  const stack: ("{" | "[")[] = [];
  let expect = "value" as Expect;
  let i = 0;
  let done = false;
  // After a value (or a container's close): the document is done at the top level, else a comma or a close follows.
  const valueEnded = () => {
    if (!stack.length) done = true;
    else expect = "comma_or_close";
  };
  const close = () => {
    i++;
    stack.pop();
    valueEnded();
  };
  while (true) {
    while (i < text.length && WS.has(text[i]!)) i++;
    if (done) return i < text.length ? i : undefined;
    if (i >= text.length) return i;
    const ch = text[i]!;
    const top = stack[stack.length - 1];
    if (expect === "colon") {
      if (ch !== ":") return i;
      i++;
      expect = "value";
      continue;
    }
    if (expect === "comma_or_close") {
      if (ch === ",") {
        i++;
        expect = top === "{" ? "key" : "value";
        continue;
      }
      if ((ch === "}" && top === "{") || (ch === "]" && top === "[")) {
        close();
        continue;
      }
      return i;
    }
    if (expect === "key" || expect === "key_or_close") {
      if (expect === "key_or_close" && ch === "}") {
        close();
        continue;
      }
      STRING.lastIndex = i;
      if (!STRING.test(text)) return i;
      i = STRING.lastIndex;
      expect = "colon";
      continue;
    }
    // a value (or, right after '[', the close)
    if (expect === "value_or_close" && ch === "]") {
      close();
      continue;
    }
    if (ch === "{" || ch === "[") {
      stack.push(ch);
      i++;
      expect = ch === "{" ? "key_or_close" : "value_or_close";
      continue;
    }
    let end = -1;
    for (const re of [STRING, NUMBER, LITERAL]) {
      re.lastIndex = i;
      if (re.test(text)) {
        end = re.lastIndex;
        break;
      }
    }
    if (end < 0) return i;
    i = end;
    valueEnded();
  }
}
