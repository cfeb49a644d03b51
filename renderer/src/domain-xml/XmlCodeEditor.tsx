import { useEffect, useRef } from 'react';
import { useComputedColorScheme } from '@mantine/core';
import type { DomainXmlCompletion, DomainXmlHover, DomainXmlProblem } from '../../../preload/api-contract';
import { monaco } from './monaco';

/** What completion and hover ask for, per editor model: offsets in the model's own text. */
export interface XmlLanguageSource {
  complete(text: string, offset: number): Promise<DomainXmlCompletion[]>;
  hover(text: string, offset: number): Promise<DomainXmlHover | null>;
}

const sources = new Map<string, XmlLanguageSource>();
let providersRegistered = false;

const KINDS: Record<DomainXmlCompletion['kind'], monaco.languages.CompletionItemKind> = {
  element: monaco.languages.CompletionItemKind.Class,
  attribute: monaco.languages.CompletionItemKind.Property,
  value: monaco.languages.CompletionItemKind.EnumMember,
  'closing-tag': monaco.languages.CompletionItemKind.Keyword,
};

/** One completion and one hover provider for XML; each asks the source registered for its model. */
function registerProviders(): void {
  if (providersRegistered) return;
  providersRegistered = true;
  monaco.languages.registerCompletionItemProvider('xml', {
    triggerCharacters: ['<', ' ', '"', "'", '/'],
    provideCompletionItems: async (model, position) => {
      const source = sources.get(model.uri.toString());
      if (!source) return { suggestions: [] };
      const items = await source.complete(model.getValue(), model.getOffsetAt(position)).catch(() => []);
      return {
        suggestions: items.map((item) => {
          const from = model.getPositionAt(item.from);
          const to = model.getPositionAt(item.to);
          return {
            label: item.label,
            kind: KINDS[item.kind],
            detail: item.detail,
            insertText: item.insertText,
            insertTextRules: item.snippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
            range: new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column),
          };
        }),
      };
    },
  });
  monaco.languages.registerHoverProvider('xml', {
    provideHover: async (model, position) => {
      const source = sources.get(model.uri.toString());
      if (!source) return null;
      const hover = await source.hover(model.getValue(), model.getOffsetAt(position)).catch(() => null);
      if (!hover) return null;
      const from = model.getPositionAt(hover.from);
      const to = model.getPositionAt(hover.to);
      return {
        contents: [{ value: hover.markdown }],
        range: new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column),
      };
    },
  });
}

function toMarker(problem: DomainXmlProblem): monaco.editor.IMarkerData {
  return {
    severity: monaco.MarkerSeverity.Error,
    message: problem.message,
    startLineNumber: problem.line,
    startColumn: problem.column,
    endLineNumber: problem.endLine,
    endColumn: Math.max(problem.endColumn, problem.endLine === problem.line ? problem.column + 1 : problem.endColumn),
    source: problem.kind,
  };
}

export interface XmlCodeEditorHandle {
  revealLine(line: number, column: number): void;
}

/** Monaco on one XML text: controlled value, markers from `problems`, schema completion and hover. */
export function XmlCodeEditor({
  value,
  onChange,
  readOnly,
  problems,
  language,
  ariaLabel,
  handleRef,
  visible = true,
}: {
  visible?: boolean;
  value: string;
  onChange(value: string): void;
  readOnly: boolean;
  problems: DomainXmlProblem[];
  language: XmlLanguageSource | null;
  ariaLabel: string;
  handleRef?: { current: XmlCodeEditorHandle | null };
}) {
  const container = useRef<HTMLDivElement | null>(null);
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const scheme = useComputedColorScheme('light');

  useEffect(() => {
    registerProviders();
    const element = container.current;
    if (!element) return;
    const model = monaco.editor.createModel('', 'xml');
    const editor = monaco.editor.create(element, {
      model,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 13,
      tabSize: 2,
      ariaLabel,
      wordBasedSuggestions: 'off',
      fixedOverflowWidgets: true,
    });
    editorRef.current = editor;
    const subscription = model.onDidChangeContent(() => onChangeRef.current(model.getValue()));
    if (handleRef) {
      handleRef.current = {
        revealLine: (line, column) => {
          editor.layout(); // it may just have been shown again
          editor.revealLineInCenter(line);
          editor.setPosition({ lineNumber: line, column });
          editor.focus();
        },
      };
    }
    return () => {
      subscription.dispose();
      sources.delete(model.uri.toString());
      // A focused editor reacts to the blur its own removal causes, after it was disposed: blur it first.
      if (editor.hasTextFocus() && document.activeElement instanceof HTMLElement) document.activeElement.blur();
      editor.dispose();
      model.dispose();
      editorRef.current = null;
      if (handleRef) handleRef.current = null;
    };
    // Created once; later prop changes are applied by the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (model && model.getValue() !== value) model.setValue(value);
  }, [value]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly, ariaLabel });
  }, [readOnly, ariaLabel]);

  useEffect(() => {
    monaco.editor.setTheme(scheme === 'dark' ? 'vs-dark' : 'vs');
  }, [scheme]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model) return;
    monaco.editor.setModelMarkers(model, 'virtdeck', problems.filter((p) => p.located).map(toMarker));
  }, [problems, value]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model) return;
    if (language) sources.set(model.uri.toString(), language);
    else sources.delete(model.uri.toString());
  }, [language]);

  return (
    <div
      ref={container}
      data-testid="xml-editor"
      hidden={!visible}
      style={{ height: '60vh', minHeight: 320, border: '1px solid var(--mantine-color-default-border)' }}
    />
  );
}

/**
 * Monaco's side-by-side diff: the host's definition (left) and the edit (right). Created once and kept
 * (hidden when not shown): disposing Monaco editors while their asynchronous work is still running
 * makes Monaco throw "AbstractContextKeyService has been disposed".
 */
export function XmlDiffView({ original, modified, ariaLabel, visible }: { original: string; modified: string; ariaLabel: string; visible: boolean }) {
  const container = useRef<HTMLDivElement | null>(null);
  const models = useRef<{ original: monaco.editor.ITextModel; modified: monaco.editor.ITextModel } | null>(null);
  const scheme = useComputedColorScheme('light');
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const originalModel = monaco.editor.createModel('', 'xml');
    const modifiedModel = monaco.editor.createModel('', 'xml');
    const diff = monaco.editor.createDiffEditor(element, {
      automaticLayout: true,
      readOnly: true,
      originalEditable: false,
      minimap: { enabled: false },
      renderSideBySide: true,
      ariaLabel,
    });
    diff.setModel({ original: originalModel, modified: modifiedModel });
    models.current = { original: originalModel, modified: modifiedModel };
    return () => {
      models.current = null;
      diff.dispose();
      originalModel.dispose();
      modifiedModel.dispose();
    };
    // Created once; the texts are set by the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    if (!visible || !models.current) return;
    if (models.current.original.getValue() !== original) models.current.original.setValue(original);
    if (models.current.modified.getValue() !== modified) models.current.modified.setValue(modified);
  }, [original, modified, visible]);
  useEffect(() => {
    monaco.editor.setTheme(scheme === 'dark' ? 'vs-dark' : 'vs');
  }, [scheme]);
  return (
    <div
      ref={container}
      data-testid={visible ? 'xml-diff' : undefined}
      hidden={!visible}
      style={{ height: '60vh', minHeight: 320, border: '1px solid var(--mantine-color-default-border)' }}
    />
  );
}
