import { ChangeType, type StringChange, type Tree, applyChangesToString } from '@nx/devkit';
import * as ts from 'typescript';

/**
 * Small, AST-located edits of TypeScript files the generator registers a new app in: positions come from the
 * parsed source, not from searching the text, so formatting and comments around them do not matter.
 */
function parse(tree: Tree, file: string): { text: string; source: ts.SourceFile } {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new Error(`${file} is missing`);
  return { text, source: ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true) };
}

function apply(tree: Tree, file: string, text: string, changes: StringChange[]): void {
  tree.write(file, applyChangesToString(text, changes));
}

/** Adds `names` to the named imports from `module`, or a new import declaration after the last import. */
export function addNamedImports(tree: Tree, file: string, module: string, names: string[]): void {
  const { text, source } = parse(tree, file);
  const imports = source.statements.filter(ts.isImportDeclaration);
  const existing = imports.find(
    (i) => ts.isStringLiteral(i.moduleSpecifier) && i.moduleSpecifier.text === module,
  );
  const bindings = existing?.importClause?.namedBindings;
  if (bindings && ts.isNamedImports(bindings)) {
    const last = bindings.elements[bindings.elements.length - 1];
    apply(tree, file, text, [
      {
        type: ChangeType.Insert,
        index: last ? last.end : bindings.getStart() + 1,
        text: `, ${names.join(', ')}`,
      },
    ]);
    return;
  }
  const at = imports.length > 0 ? imports[imports.length - 1].end : 0;
  apply(tree, file, text, [
    { type: ChangeType.Insert, index: at, text: `\nimport { ${names.join(', ')} } from '${module}';\n` },
  ]);
}

/** Appends `entry` (an expression) to the array literal that initialises `const <name>`. */
export function appendToArray(tree: Tree, file: string, name: string, entry: string): void {
  const { text, source } = parse(tree, file);
  let array: ts.ArrayLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name) {
      let init = node.initializer;
      while (init && (ts.isAsExpression(init) || ts.isSatisfiesExpression(init))) init = init.expression;
      if (init && ts.isArrayLiteralExpression(init)) array = init;
    }
    if (!array) ts.forEachChild(node, visit);
  };
  visit(source);
  if (!array) throw new Error(`${file}: no array literal \`const ${name} = [...]\` found`);
  const last = array.elements[array.elements.length - 1];
  const index = last ? last.end : array.getStart() + 1;
  const trailingComma = array.elements.hasTrailingComma;
  apply(tree, file, text, [
    {
      type: ChangeType.Insert,
      index: trailingComma ? index + 1 : index,
      text: `${last && !trailingComma ? ',' : ''}\n${entry},`,
    },
  ]);
}

/** Adds `export * from '<module>'` after the file's last export-from declaration (or at its end). */
export function addExportFrom(tree: Tree, file: string, module: string): void {
  const { text, source } = parse(tree, file);
  const exports = source.statements.filter((s) => ts.isExportDeclaration(s) && s.moduleSpecifier);
  const at = exports.length > 0 ? exports[exports.length - 1].end : text.length;
  apply(tree, file, text, [{ type: ChangeType.Insert, index: at, text: `\nexport * from '${module}';` }]);
}
