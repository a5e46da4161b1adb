import { useState } from 'react';
import { Button, CopyField, Dialog, ProblemAlert } from '../../../components';
import { useCreateFeed } from './hooks';

/**
 * "Subscribe (.ics)": a private calendar feed URL for Google Calendar, Outlook or Apple Calendar.
 * The server keeps only its hash, so the URL is shown once; asking again replaces it.
 */
export function FeedButton({ active }: { active: boolean }) {
  const feed = useCreateFeed();
  const [open, setOpen] = useState(false);
  const close = () => {
    setOpen(false);
    feed.reset();
  };
  const start = () => {
    setOpen(true);
    if (!active) feed.mutate();
  };
  return (
    <>
      <Button variant="secondary" onClick={start}>
        Subscribe (.ics)
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Subscribe to your schedule"
        description="Add this address to your calendar app as a subscription (“From URL”). It shows your planned work for the next two weeks."
        footer={
          <Button variant="secondary" onClick={close}>
            Done
          </Button>
        }
      >
        {feed.data ? (
          <div className="space-y-2">
            <CopyField label="Your private feed URL" value={feed.data.url} />
            <p className="text-xs text-slate-500">Anyone with this address can read your schedule. It is shown only now; a new one replaces it.</p>
          </div>
        ) : feed.isPending ? (
          <p className="text-sm text-slate-500">Creating your feed…</p>
        ) : feed.isError ? (
          <ProblemAlert error={feed.error} title="Could not create the feed" />
        ) : (
          <div className="space-y-3">
            <p className="text-sm text-slate-600">You already have a feed. A new address stops the old one from working: calendars subscribed to it will need the new one.</p>
            <Button onClick={() => feed.mutate()}>Create a new address</Button>
          </div>
        )}
      </Dialog>
    </>
  );
}
