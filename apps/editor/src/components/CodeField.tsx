import { useMemo, useState } from 'react';
import CodeMirror from '@uiw/react-codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import type { Extension } from '@codemirror/state';

/** A problem the runtime found in the code: its own message, at a line and column (1-based). */
export interface CodeProblem {
  message: string;
  line?: number;
  column?: number;
}

/** Asks the runtime about a code text (compiled as the node would be at deploy). */
export type CodeCheck = (code: string) => Promise<CodeProblem[]>;

/** The runtime's answers as CodeMirror diagnostics: on the line it names, else on the first line. */
export function toDiagnostics(text: string, problems: readonly CodeProblem[]): Diagnostic[] {
  const lines = text.split('\n');
  return problems.map((p) => {
    const line = Math.min(Math.max(p.line ?? 1, 1), lines.length);
    let from = 0;
    for (let i = 0; i < line - 1; i++) from += lines[i]!.length + 1;
    const length = lines[line - 1]!.length;
    const at = from + Math.min(Math.max((p.column ?? 1) - 1, 0), length);
    // The whole rest of the line from the column: a caret-only mark is hard to see.
    return { from: at, to: Math.max(at, from + length), severity: 'error', message: p.message, source: 'runtime' };
  });
}

/** Checks run after the typing pauses this long: a request per keystroke would load the runtime. */
const CHECK_DELAY_MS = 500;

/**
 * A code field (CodeMirror): JavaScript highlighting where the hint says so, lines wrapped, the
 * runtime's syntax errors marked on their line as you type (when `check` is given), resizable by
 * its corner and expandable over the canvas for long code.
 */
export default function CodeField(props: {
  value: string;
  onChange: (v: string) => void;
  language?: string;
  check?: CodeCheck;
  label?: string;
}) {
  const { check } = props;
  const [expanded, setExpanded] = useState(false);
  const extensions = useMemo(() => {
    const list: Extension[] = [EditorView.lineWrapping];
    if (props.language === 'javascript') list.push(javascript());
    if (check)
      list.push(
        lintGutter(),
        linter(
          async (view) => {
            const text = view.state.doc.toString();
            try {
              return toDiagnostics(text, await check(text));
            } catch {
              // The runtime did not answer: no marks rather than stale ones.
              return [];
            }
          },
          { delay: CHECK_DELAY_MS },
        ),
      );
    return list;
  }, [props.language, check]);
  return (
    <div className={`code-field${expanded ? ' expanded' : ''}`} data-testid="code-field">
      <div className="code-toolbar">
        {expanded && <strong>{props.label}</strong>}
        <span className="spacer" />
        <button
          type="button"
          onClick={() => setExpanded(!expanded)}
          data-testid="code-expand"
          title={expanded ? 'Back into the inspector (Esc)' : 'Edit in a large editor'}
        >
          {expanded ? 'Done' : 'Expand'}
        </button>
      </div>
      <div
        className="code-box"
        onKeyDown={(e) => {
          if (e.key === 'Escape' && expanded) setExpanded(false);
        }}
      >
        <CodeMirror
          value={props.value}
          onChange={props.onChange}
          extensions={extensions}
          basicSetup={{ foldGutter: false }}
          minHeight="120px"
          height={expanded ? '100%' : undefined}
        />
      </div>
    </div>
  );
}
