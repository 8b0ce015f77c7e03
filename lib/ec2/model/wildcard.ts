/**
 * @module ec2/model/wildcard
 * EC2 filter values as AWS defines them: `*` matches any run of characters (also none), `?`
 * exactly one, and a backslash makes the next `*`, `?` or `\` literal. Matched without any
 * regular expression: a pattern built from a caller's text must not be able to make the
 * server backtrack (`*a*a*a*a*b` against 256 `a` took a backtracking regex 10 s). The
 * pattern is cut at its stars into pieces; the first piece is anchored at the start, the
 * last at the end, and each piece between takes its leftmost place after the one before.
 * Leftmost is always right for stars, so nothing is ever retried: at most
 * |value| × |pattern| character comparisons, never more.
 */

/** One character of a piece: a literal code point, or `?` (any one). */
type PieceChar = string | typeof ANY;
const ANY = Symbol("any one character");

/** A compiled pattern: the pieces between its stars (one piece means no star). */
interface Pattern {
  readonly pieces: readonly (readonly PieceChar[])[];
  readonly wild: boolean;
}

function parse(pattern: string): Pattern {
  const chars = Array.from(pattern);
  const pieces: PieceChar[][] = [[]];
  let wild = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    if (c === "\\" && (next === "*" || next === "?" || next === "\\")) {
      pieces.at(-1)!.push(next);
      i++;
    } else if (c === "*") {
      wild = true;
      pieces.push([]);
    } else if (c === "?") {
      wild = true;
      pieces.at(-1)!.push(ANY);
    } else {
      pieces.at(-1)!.push(c);
    }
  }
  return { pieces, wild };
}

function fitsAt(value: readonly string[], at: number, piece: readonly PieceChar[]): boolean {
  if (at < 0 || at + piece.length > value.length) return false;
  for (let j = 0; j < piece.length; j++) {
    const p = piece[j]!;
    if (p !== ANY && p !== value[at + j]) return false;
  }
  return true;
}

function matches(pattern: Pattern, text: string): boolean {
  const value = Array.from(text);
  const { pieces } = pattern;
  const first = pieces[0]!;
  if (pieces.length === 1) return value.length === first.length && fitsAt(value, 0, first);
  const last = pieces.at(-1)!;
  const end = value.length - last.length;
  if (end < first.length || !fitsAt(value, 0, first) || !fitsAt(value, end, last)) return false;
  let from = first.length;
  for (const piece of pieces.slice(1, -1)) {
    let at = from;
    while (at + piece.length <= end && !fitsAt(value, at, piece)) at++;
    if (at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}

/**
 * A predicate for one EC2 filter value: exact unless it holds an unescaped `*` or `?`.
 * @example wildcardMatcher("web-*")("web-1") // true
 */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  const parsed = parse(pattern);
  if (!parsed.wild) {
    const literal = (parsed.pieces[0] as readonly string[]).join("");
    return (value) => value === literal;
  }
  return (value) => matches(parsed, value);
}

/**
 * The same pattern for SQL: an exact value when it has no wildcard, else a LIKE pattern
 * (escape character `\`) in which `*` is `%`, `?` is `_`, and a literal `%`, `_` or `\` is
 * escaped. SQLite's LIKE ignores ASCII case, so there it matches a superset: callers use
 * it to narrow a query and still apply wildcardMatcher to what comes back.
 * @example wildcardSql("web-*") // { like: "web-%" }
 */
export function wildcardSql(pattern: string): { exact: string } | { like: string } {
  const parsed = parse(pattern);
  const literal = (c: string) => (c === "%" || c === "_" || c === "\\" ? `\\${c}` : c);
  if (!parsed.wild) return { exact: (parsed.pieces[0] as readonly string[]).join("") };
  return { like: parsed.pieces.map((piece) => piece.map((c) => (c === ANY ? "_" : literal(c))).join("")).join("%") };
}
