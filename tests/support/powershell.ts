// A PowerShell syntax check without PowerShell (none can be installed on our machines): the PowerShell
// grammar of tree-sitter (tree-sitter-powershell, its WebAssembly build) run by web-tree-sitter. It
// finds what a parser finds (unbalanced braces and parentheses, a broken statement), not what only
// running the script shows.
import "tree-sitter-powershell/package.json" with { type: "json" };
import { Language, type Node, Parser } from "web-tree-sitter";

let parser: Parser | undefined;

/** One syntax error: 1-based line and column, and what the parser made of it. */
export interface PowershellSyntaxError {
  line: number;
  column: number;
  message: string;
}

/** Parses PowerShell `source`; returns its syntax errors in source order (none: it parses). */
export async function powershellSyntaxErrors(source: string): Promise<PowershellSyntaxError[]> {
  if (!parser) {
    await Parser.init();
    const wasm = new URL(
      "tree-sitter-powershell.wasm",
      import.meta.resolve("tree-sitter-powershell/package.json"),
    );
    const language = await Language.load(await Deno.readFile(wasm));
    parser = new Parser();
    parser.setLanguage(language);
  }
  const tree = parser.parse(source);
  if (!tree) throw new Error("the PowerShell parser returned no tree");
  const errors: PowershellSyntaxError[] = [];
  const walk = (node: Node) => {
    if (node.isError || node.isMissing) {
      errors.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        message: node.isMissing
          ? `missing ${node.type}`
          : `cannot parse ${JSON.stringify(node.text.slice(0, 40))}`,
      });
      return;
    }
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  tree.delete();
  return errors;
}
