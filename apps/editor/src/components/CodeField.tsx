import CodeMirror from '@uiw/react-codemirror';
import { javascript } from '@codemirror/lang-javascript';

const jsExtensions = [javascript()];

/** A code field (CodeMirror); JavaScript highlighting where the hint says so. */
export default function CodeField(props: { value: string; onChange: (v: string) => void; language?: string }) {
  return (
    <CodeMirror
      value={props.value}
      onChange={props.onChange}
      extensions={props.language === 'javascript' ? jsExtensions : []}
      basicSetup={{ foldGutter: false }}
      minHeight="120px"
      maxHeight="360px"
      data-testid="code-field"
    />
  );
}
