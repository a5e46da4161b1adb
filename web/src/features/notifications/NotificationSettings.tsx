import { useEffect, useState } from 'react';
import { Button, Card, ProblemAlert, QueryView, SuccessAlert } from '../../components';
import { usePreferences, useSavePreferences, type Preference } from './api';

type Channel = 'in_app' | 'email' | 'digest';
const CHANNELS: { key: Channel; label: string }[] = [
  { key: 'in_app', label: 'In the app' },
  { key: 'email', label: 'E-mail at once' },
  { key: 'digest', label: 'Daily digest' },
];

/** Settings › Notifications: how each kind of notification reaches the signed-in user. */
export function NotificationSettings() {
  const preferences = usePreferences();
  const save = useSavePreferences();
  const [draft, setDraft] = useState<Preference[] | null>(null);

  useEffect(() => {
    if (preferences.data) setDraft(preferences.data.items);
  }, [preferences.data]);

  const toggle = (kind: string, channel: Channel) => {
    save.reset();
    setDraft((items) => items?.map((item) => (item.kind === kind ? { ...item, [channel]: !item[channel] } : item)) ?? null);
  };

  return (
    <Card title="Notifications" description="Choose how each kind of notification reaches you. E-mail needs the install's mail server (SMTP) to be set up.">
      <QueryView query={preferences} loadingLabel="Loading your notification settings" errorTitle="Could not load your notification settings">
        {() => (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (draft) save.mutate(draft);
            }}
          >
            <table className="w-full text-sm">
              <thead>
                <tr className="text-left text-xs uppercase tracking-wide text-slate-500">
                  <th className="py-2 pr-4 font-medium">Kind</th>
                  {CHANNELS.map((c) => (
                    <th key={c.key} className="px-2 py-2 text-center font-medium">
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {draft?.map((item) => (
                  <tr key={item.kind}>
                    <td className="py-3 pr-4">
                      <p className="font-medium text-slate-900">{item.label}</p>
                      <p className="text-xs text-slate-500">{item.description}</p>
                    </td>
                    {CHANNELS.map((c) => (
                      <td key={c.key} className="px-2 py-3 text-center">
                        <input
                          type="checkbox"
                          className="h-4 w-4 rounded border-slate-300 text-brand-600"
                          aria-label={`${item.label}: ${c.label}`}
                          checked={item[c.key]}
                          onChange={() => toggle(item.kind, c.key)}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            {save.isError && <ProblemAlert className="mt-4" error={save.error} title="Could not save" />}
            {save.isSuccess && <SuccessAlert className="mt-4">Your notification settings are saved.</SuccessAlert>}
            <div className="mt-4 flex justify-end">
              <Button type="submit" loading={save.isPending}>
                Save
              </Button>
            </div>
          </form>
        )}
      </QueryView>
    </Card>
  );
}
