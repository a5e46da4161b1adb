/**
 * Inputs that take templates, and the variables picker that inserts `{{ path }}` into whichever of
 * them was focused last, at its cursor (the picker's buttons keep the focus where it was).
 */
import { createContext, useContext, useId, useRef, useState, type ReactNode, type TextareaHTMLAttributes, type InputHTMLAttributes } from 'react';
import { Input, TextArea } from '../../../components';
import { cn } from '../../../lib/cn';
import { insertTemplate, type VariableGroup } from './variables';

type Control = HTMLInputElement | HTMLTextAreaElement;

interface Target {
  el: Control;
  /** Write the field's new text (a functional update underneath, so it never writes stale state). */
  set: (text: string) => void;
}

interface Targets {
  focus: (target: Target) => void;
  insert: (path: string) => boolean;
}

const TargetsContext = createContext<Targets | null>(null);

export function TemplateTargets({ children }: { children: ReactNode }) {
  const current = useRef<Target | null>(null);
  const value = useRef<Targets>({
    focus: (target) => {
      current.current = target;
    },
    insert: (path) => {
      const target = current.current;
      if (!target || !target.el.isConnected) return false;
      const { el } = target;
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? start;
      const next = insertTemplate(el.value, path, start, end);
      target.set(next.text);
      // After React has written the new value: put the caret after what was inserted.
      requestAnimationFrame(() => {
        el.focus();
        el.setSelectionRange(next.caret, next.caret);
      });
      return true;
    },
  }).current;
  return <TargetsContext.Provider value={value}>{children}</TargetsContext.Provider>;
}

function useTargets(): Targets | null {
  return useContext(TargetsContext);
}

type TemplateInputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> & {
  value: string;
  onText: (text: string) => void;
};

export function TemplateInput({ value, onText, onFocus, className, ...rest }: TemplateInputProps) {
  const targets = useTargets();
  return (
    <Input
      {...rest}
      value={value}
      className={cn('font-mono text-[13px]', className)}
      onChange={(e) => onText(e.target.value)}
      onFocus={(e) => {
        targets?.focus({ el: e.currentTarget, set: onText });
        onFocus?.(e);
      }}
      spellCheck={false}
    />
  );
}

type TemplateTextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'onChange' | 'value'> & {
  value: string;
  onText: (text: string) => void;
};

export function TemplateTextArea({ value, onText, onFocus, className, rows = 4, ...rest }: TemplateTextAreaProps) {
  const targets = useTargets();
  return (
    <TextArea
      {...rest}
      rows={rows}
      value={value}
      className={cn('font-mono text-[13px]', className)}
      onChange={(e) => onText(e.target.value)}
      onFocus={(e) => {
        targets?.focus({ el: e.currentTarget, set: onText });
        onFocus?.(e);
      }}
      spellCheck={false}
    />
  );
}

/** The values a template can use here; a click inserts `{{ path }}` into the last focused field. */
export function VariablesPicker({ groups }: { groups: VariableGroup[] }) {
  const targets = useTargets();
  const [nudge, setNudge] = useState(false);
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="rounded-lg border border-slate-200 bg-slate-50/60 p-3">
      <h3 id={headingId} className="text-xs font-semibold uppercase tracking-wide text-slate-500">
        Insert a value
      </h3>
      <p className={cn('mt-1 text-xs', nudge ? 'font-medium text-amber-700' : 'text-slate-500')}>
        Click a field above, then a value: it goes in at the cursor as <code>{'{{ … }}'}</code>.
      </p>
      <div className="mt-2 space-y-2">
        {groups.map((group) => (
          <div key={group.label}>
            <p className="text-xs font-medium text-slate-600">{group.label}</p>
            <ul className="mt-1 flex flex-wrap gap-1" aria-label={group.label}>
              {group.variables.map((variable) => (
                <li key={variable.path}>
                  <button
                    type="button"
                    aria-label={`Insert ${variable.path}`}
                    title={variable.description ?? `{{ ${variable.path} }}`}
                    className="rounded-md bg-white px-1.5 py-0.5 font-mono text-[11px] text-slate-700 ring-1 ring-slate-200 hover:bg-brand-50 hover:text-brand-700 hover:ring-brand-200"
                    // Keep the focus (and the selection) in the field the value goes into.
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => setNudge(!targets?.insert(variable.path))}
                  >
                    {variable.path}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}
