/**
 * Track a product (or edit one): its name, my price and currency, category, when to alert, and the
 * competitors' pages to watch. Each page can be previewed before saving: what the extractor reads there
 * (title, price, availability, image) and how sure it is.
 */
import { useId, useRef, useState, type FormEvent } from 'react';
import { Button, Checkbox, ProblemAlert, SelectField, TextField } from '../../../components';
import { ApiError } from '../../../api/problem';
import { useCompetitors, useCreateProduct, usePreview, useUpdateProduct } from '../hooks';
import { CURRENCIES } from '../format';
import type { AlertMode, Competitor, ListingIn, Product, ProductIn } from '../types';
import { ListingPreview } from './ListingPreview';

interface ListingDraft {
  key: string;
  url: string;
  competitorId: string;
  selector: string;
  renderJs: boolean;
  /** Browser steps set through the API; kept as they are when the product is edited here. */
  steps: ListingIn['steps'];
}

interface ProductDraft {
  name: string;
  myPrice: string;
  currency: string;
  category: string;
  thresholdPct: string;
  thresholdAbs: string;
  alertMode: AlertMode;
  listings: ListingDraft[];
}

type Errors = Record<string, string>;

let drafts = 0;
function emptyListing(): ListingDraft {
  drafts += 1;
  return { key: `listing-${drafts}`, url: '', competitorId: '', selector: '', renderJs: false, steps: [] };
}

function draftOf(product: Product | undefined): ProductDraft {
  if (!product) {
    return { name: '', myPrice: '', currency: 'USD', category: '', thresholdPct: '', thresholdAbs: '', alertMode: 'immediate', listings: [emptyListing()] };
  }
  return {
    name: product.name,
    myPrice: product.my_price ?? '',
    currency: product.currency,
    category: product.category ?? '',
    thresholdPct: product.alert_threshold_pct ?? '',
    thresholdAbs: product.alert_threshold_abs ?? '',
    alertMode: product.alert_mode === 'digest' ? 'digest' : 'immediate',
    listings: (product.listings ?? []).map((listing) => ({
      ...emptyListing(),
      url: listing.url,
      competitorId: listing.competitor_id ?? '',
      selector: listing.css_selector ?? '',
      renderJs: listing.render_js,
      steps: listing.steps as ListingIn['steps'],
    })),
  };
}

export function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A decimal amount as typed ("19.99", "1,299.00"), or null when it is not one. */
function amount(text: string): string | null {
  const cleaned = text.trim().replace(/,/g, '');
  return /^\d+(\.\d+)?$/.test(cleaned) ? cleaned : null;
}

interface Checked {
  errors: Errors;
  listingErrors: Record<number, Errors>;
}

function check(draft: ProductDraft): Checked {
  const errors: Errors = {};
  const listingErrors: Record<number, Errors> = {};
  if (!draft.name.trim()) errors.name = 'Enter the product’s name.';
  if (draft.myPrice.trim() && amount(draft.myPrice) === null) errors.my_price = 'Enter a price such as 24.99.';
  if (draft.thresholdPct.trim()) {
    const pct = amount(draft.thresholdPct);
    if (pct === null || Number(pct) > 1000) errors.alert_threshold_pct = 'A percentage from 0 to 1000.';
  }
  if (draft.thresholdAbs.trim() && amount(draft.thresholdAbs) === null) errors.alert_threshold_abs = 'An amount such as 2.50.';
  const seen = new Set<string>();
  draft.listings.forEach((listing, index) => {
    const url = listing.url.trim();
    if (!url) {
      if (listing.selector.trim() || listing.competitorId) listingErrors[index] = { url: 'Enter the page’s address, or remove this listing.' };
      return;
    }
    if (!isWebUrl(url)) listingErrors[index] = { url: 'Enter a full web address, starting with https://.' };
    else if (seen.has(url)) listingErrors[index] = { url: 'This page is already listed above.' };
    seen.add(url);
  });
  return { errors, listingErrors };
}

/** The server's 422 errors: top-level fields by name, listing fields by their row. */
function serverErrors(error: unknown): Checked {
  const errors: Errors = {};
  const listingErrors: Record<number, Errors> = {};
  if (!(error instanceof ApiError) || !error.problem.errors) return { errors, listingErrors };
  for (const e of error.problem.errors) {
    const loc = e.loc.filter((part) => part !== 'body');
    if (loc[0] === 'listings' && typeof loc[1] === 'number' && typeof loc[2] === 'string') {
      listingErrors[loc[1]] = { ...listingErrors[loc[1]], [loc[2]]: e.msg };
    } else if (loc.length === 1 && typeof loc[0] === 'string' && TOP_FIELDS.has(loc[0])) {
      errors[loc[0]] ??= e.msg;
    }
  }
  return { errors, listingErrors };
}

const TOP_FIELDS = new Set(['name', 'my_price', 'currency', 'category', 'alert_threshold_pct', 'alert_threshold_abs', 'alert_mode']);

function bodyOf(draft: ProductDraft): ProductIn {
  return {
    name: draft.name.trim(),
    my_price: amount(draft.myPrice),
    currency: draft.currency,
    category: draft.category.trim() || null,
    status: 'active',
    alert_threshold_pct: amount(draft.thresholdPct),
    alert_threshold_abs: amount(draft.thresholdAbs),
    alert_mode: draft.alertMode,
    listings: draft.listings
      .filter((listing) => listing.url.trim())
      .map((listing) => ({
        url: listing.url.trim(),
        competitor_id: listing.competitorId || null,
        css_selector: listing.selector.trim() || null,
        render_js: listing.renderJs,
        steps: listing.steps ?? [],
      })),
  };
}

interface ProductFormProps {
  product?: Product;
  onSaved: (product: Product) => void;
  onCancel?: () => void;
}

export function ProductForm({ product, onSaved, onCancel }: ProductFormProps) {
  const create = useCreateProduct();
  const update = useUpdateProduct();
  const save = product ? update : create;
  const competitors = useCompetitors();
  const [draft, setDraft] = useState<ProductDraft>(() => draftOf(product));
  const [local, setLocal] = useState<Checked>({ errors: {}, listingErrors: {} });
  const server = serverErrors(save.error);
  const errors = { ...server.errors, ...local.errors };
  const set = (patch: Partial<ProductDraft>) => setDraft((current) => ({ ...current, ...patch }));
  const setListing = (key: string, patch: Partial<ListingDraft>) =>
    setDraft((current) => ({ ...current, listings: current.listings.map((l) => (l.key === key ? { ...l, ...patch } : l)) }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = check(draft);
    setLocal(checked);
    if (Object.keys(checked.errors).length > 0 || Object.keys(checked.listingErrors).length > 0) return;
    const body = bodyOf(draft);
    if (product) update.mutate({ id: product.id, patch: body }, { onSuccess: onSaved });
    else create.mutate(body, { onSuccess: onSaved });
  };

  const placed = Object.keys(server.errors).length > 0 || Object.keys(server.listingErrors).length > 0;
  const currencies = CURRENCIES.includes(draft.currency) ? CURRENCIES : [draft.currency, ...CURRENCIES];
  const formName = product ? `Edit ${product.name}` : 'Track a product';
  return (
    <form onSubmit={submit} noValidate aria-label={formName} className="space-y-5">
      <div className="grid gap-4 sm:grid-cols-6">
        <TextField
          label="Product name"
          fieldClassName="sm:col-span-3"
          placeholder="Ethiopia Yirgacheffe, 1 kg"
          value={draft.name}
          onChange={(e) => set({ name: e.target.value })}
          error={errors.name}
          required
          maxLength={300}
        />
        <TextField
          label="My price"
          fieldClassName="sm:col-span-1"
          inputMode="decimal"
          placeholder="24.99"
          value={draft.myPrice}
          onChange={(e) => set({ myPrice: e.target.value })}
          error={errors.my_price}
        />
        <SelectField
          label="Currency"
          fieldClassName="sm:col-span-1"
          value={draft.currency}
          options={currencies.map((code) => ({ value: code, label: code }))}
          onChange={(e) => set({ currency: e.target.value })}
          error={errors.currency}
        />
        <TextField label="Category (optional)" fieldClassName="sm:col-span-1" placeholder="Coffee" value={draft.category} onChange={(e) => set({ category: e.target.value })} error={errors.category} maxLength={200} />
      </div>

      <fieldset className="space-y-3">
        <legend className="text-sm font-semibold text-slate-900">Alerts</legend>
        <p className="text-xs text-slate-500">Leave both thresholds empty to be alerted on every price change; availability changes always alert.</p>
        <div className="grid gap-4 sm:grid-cols-3">
          <TextField
            label="Alert when a price moves by (%)"
            inputMode="decimal"
            placeholder="5"
            value={draft.thresholdPct}
            onChange={(e) => set({ thresholdPct: e.target.value })}
            error={errors.alert_threshold_pct}
          />
          <TextField
            label={`…or by (${draft.currency})`}
            inputMode="decimal"
            placeholder="1.00"
            value={draft.thresholdAbs}
            onChange={(e) => set({ thresholdAbs: e.target.value })}
            error={errors.alert_threshold_abs}
          />
          <SelectField
            label="Send alerts"
            value={draft.alertMode}
            options={[
              { value: 'immediate', label: 'Immediately' },
              { value: 'digest', label: 'In a daily digest' },
            ]}
            onChange={(e) => set({ alertMode: e.target.value as AlertMode })}
            error={errors.alert_mode}
          />
        </div>
      </fieldset>

      <fieldset className="space-y-3">
        <legend className="text-sm font-semibold text-slate-900">Competitor listings</legend>
        <p className="text-xs text-slate-500">The competitors’ product pages (or marketplace listings) to watch. Preview each one to see what will be read.</p>
        {draft.listings.length === 0 && <p className="text-sm text-slate-500">No listings: add the first competitor page below.</p>}
        {draft.listings.map((listing, index) => (
          <ListingFields
            key={listing.key}
            index={index}
            listing={listing}
            competitors={competitors.data ?? []}
            errors={{ ...server.listingErrors[index], ...local.listingErrors[index] }}
            onChange={(patch) => setListing(listing.key, patch)}
            onRemove={() => set({ listings: draft.listings.filter((l) => l.key !== listing.key) })}
          />
        ))}
        <Button variant="secondary" size="sm" onClick={() => set({ listings: [...draft.listings, emptyListing()] })} disabled={draft.listings.length >= 50}>
          Add a listing
        </Button>
      </fieldset>

      {save.error && !placed && <ProblemAlert error={save.error} title={product ? 'Could not save the product' : 'Could not start tracking'} />}
      {save.error && placed && <p className="text-sm font-medium text-red-600">Fix the fields marked above.</p>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" loading={save.isPending}>
          {product ? 'Save changes' : 'Start tracking'}
        </Button>
        {onCancel && (
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}

interface ListingFieldsProps {
  index: number;
  listing: ListingDraft;
  competitors: Competitor[];
  errors: Errors;
  onChange: (patch: Partial<ListingDraft>) => void;
  onRemove: () => void;
}

function ListingFields({ index, listing, competitors, errors, onChange, onRemove }: ListingFieldsProps) {
  const preview = usePreview();
  const legendId = useId();
  const [urlError, setUrlError] = useState<string | null>(null);
  // What the last preview was asked with: when the inputs move on, the preview is marked out of date.
  const asked = useRef<string | null>(null);
  const signature = JSON.stringify([listing.url.trim(), listing.selector.trim(), listing.renderJs]);
  const number = index + 1;

  const runPreview = () => {
    const url = listing.url.trim();
    if (!isWebUrl(url)) {
      setUrlError('Enter a full web address, starting with https://.');
      return;
    }
    setUrlError(null);
    asked.current = signature;
    preview.mutate({ url, css_selector: listing.selector.trim() || null, render_js: listing.renderJs });
  };

  return (
    <fieldset aria-labelledby={legendId} className="space-y-3 rounded-lg p-4 ring-1 ring-inset ring-slate-200">
      <div className="flex items-center justify-between gap-2">
        <span id={legendId} className="text-sm font-medium text-slate-800">
          Listing {number}
        </span>
        <Button size="sm" variant="ghost" onClick={onRemove} aria-label={`Remove listing ${number}`}>
          Remove
        </Button>
      </div>
      <div className="grid gap-4 sm:grid-cols-6">
        <TextField
          label="Page URL"
          fieldClassName="sm:col-span-4"
          type="url"
          placeholder="https://competitor.example.com/products/coffee-1kg"
          value={listing.url}
          onChange={(e) => onChange({ url: e.target.value })}
          error={urlError ?? errors.url}
          maxLength={2000}
        />
        <SelectField
          label="Competitor"
          fieldClassName="sm:col-span-2"
          value={listing.competitorId}
          options={[{ value: '', label: 'None (a marketplace listing)' }, ...competitors.map((c) => ({ value: c.id, label: c.name }))]}
          onChange={(e) => onChange({ competitorId: e.target.value })}
          error={errors.competitor_id}
        />
        <TextField
          label="CSS selector (optional)"
          fieldClassName="sm:col-span-4"
          placeholder=".product-price"
          value={listing.selector}
          onChange={(e) => onChange({ selector: e.target.value })}
          error={errors.css_selector}
          hint="Where the price is on the page; used before any guess."
          maxLength={500}
        />
        <div className="flex items-end sm:col-span-2">
          <Checkbox label="Needs JavaScript" description="Render in a browser first (slower)." checked={listing.renderJs} onChange={(e) => onChange({ renderJs: e.target.checked })} />
        </div>
      </div>
      <Button size="sm" variant="secondary" onClick={runPreview} loading={preview.isPending} aria-label={`Preview listing ${number}`}>
        Preview
      </Button>
      <ListingPreview
        url={listing.url.trim()}
        pending={preview.isPending}
        error={preview.error}
        preview={preview.data}
        stale={(preview.data !== undefined || preview.error !== null) && asked.current !== signature}
      />
    </fieldset>
  );
}
