import { useId, useState } from 'react';
import { Button, Dialog, ProblemAlert } from '../../components';
import type { Connection } from './connectionsApi';
import { useDisconnect } from './connectionsHooks';

interface DisconnectDialogProps {
  connection: Connection;
  open: boolean;
  onClose: () => void;
}

/** Disconnect: the access is revoked at the provider; the user chooses whether the synced rows stay. */
export function DisconnectDialog({ connection, open, onClose }: DisconnectDialogProps) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Disconnect ${connection.name}?`}
      description="Binelek stops syncing, gives up its access at the provider and deletes the stored credentials."
    >
      <DisconnectForm connection={connection} onDone={onClose} />
    </Dialog>
  );
}

function DisconnectForm({ connection, onDone }: { connection: Connection; onDone: () => void }) {
  const [keepData, setKeepData] = useState(true);
  const remove = useDisconnect(connection.id);
  const groupName = useId();
  const records = Object.values(connection.record_counts).reduce((sum, count) => sum + count, 0);
  return (
    <form
      aria-label="Disconnect"
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        remove.mutate(keepData, { onSuccess: onDone });
      }}
    >
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-700">The {records.toLocaleString()} records it brought in</legend>
        <Choice name={groupName} checked={keepData} onChange={() => setKeepData(true)} label="Keep the data" description="The records stay and the connection is listed as disconnected." />
        <Choice
          name={groupName}
          checked={!keepData}
          onChange={() => setKeepData(false)}
          label="Delete the data"
          description="Every record it brought in is deleted from all tables. This cannot be undone."
        />
      </fieldset>
      <ProblemAlert error={remove.error} />
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" variant="danger" loading={remove.isPending}>
          {keepData ? 'Disconnect' : 'Disconnect and delete data'}
        </Button>
      </div>
    </form>
  );
}

interface ChoiceProps {
  name: string;
  checked: boolean;
  onChange: () => void;
  label: string;
  description: string;
}

function Choice({ name, checked, onChange, label, description }: ChoiceProps) {
  const id = useId();
  return (
    <div className="flex items-start gap-3 rounded-lg px-3 py-2 ring-1 ring-inset ring-slate-200">
      <input id={id} type="radio" name={name} checked={checked} onChange={onChange} className="mt-0.5 h-4 w-4 accent-brand-600" aria-describedby={`${id}-desc`} />
      <div className="text-sm">
        <label htmlFor={id} className="font-medium text-slate-800">
          {label}
        </label>
        <p id={`${id}-desc`} className="text-slate-500">
          {description}
        </p>
      </div>
    </div>
  );
}
