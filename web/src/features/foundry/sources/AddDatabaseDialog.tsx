import { useState, type FormEvent } from 'react';
import { fieldErrors } from '../../../api/problem';
import { Button, Dialog, ProblemAlert, TextField } from '../../../components';
import { useAddDatabase } from './hooks';
import type { DataSourceOut } from './types';
import { composeDatabaseUrl, isSqlite } from './url';

interface AddDatabaseDialogProps {
  open: boolean;
  onClose: () => void;
  onAdded: (source: DataSourceOut) => void;
}

const FORM_ID = 'add-database-form';

/**
 * Register an external database by name and URL. The password has its own masked field and is
 * put into the URL only when sending; the server keeps the URL encrypted and never returns it.
 */
export function AddDatabaseDialog({ open, onClose, onAdded }: AddDatabaseDialogProps) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [password, setPassword] = useState('');
  const [urlError, setUrlError] = useState<string | null>(null);
  const add = useAddDatabase((source) => {
    setName('');
    setUrl('');
    setPassword('');
    onAdded(source);
  });
  const serverErrors = fieldErrors(add.error);
  // Field errors show on their fields; anything else (unreachable, refused) above the form.
  const general = add.error && Object.keys(serverErrors).length === 0 ? add.error : null;

  const close = () => {
    setPassword('');
    setUrlError(null);
    add.reset();
    onClose();
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const composed = composeDatabaseUrl(url, password);
    if (!composed.ok) {
      setUrlError(composed.error);
      return;
    }
    setUrlError(null);
    add.mutate({ name: name.trim(), url: composed.url });
  };

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Add a database"
      description="Binelek reads the tables' names, columns and row counts, and previews rows on request. It never writes to the database."
      footer={
        <>
          <Button variant="secondary" onClick={close}>
            Cancel
          </Button>
          <Button type="submit" form={FORM_ID} loading={add.isPending}>
            {add.isPending ? 'Connecting…' : 'Add database'}
          </Button>
        </>
      }
    >
      <form id={FORM_ID} onSubmit={submit} className="space-y-4" noValidate>
        {general && <ProblemAlert error={general} title="Could not add the database" />}
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="Warehouse" error={serverErrors.name} />
        <TextField
          label="Database URL"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
          maxLength={2000}
          placeholder="postgresql://reader@db.example.com:5432/shop"
          autoComplete="off"
          spellCheck={false}
          error={urlError ?? serverErrors.url}
          hint="postgresql://, mysql:// or sqlite:///path. Use a user that can only read."
        />
        {!isSqlite(url) && (
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            hint="Kept encrypted; it is never shown again."
          />
        )}
      </form>
    </Dialog>
  );
}
