import { beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { renderApp } from '../../../test/render';
import { server } from '../../../test/server';
import { candidate, competitor, MARKET_URL, signedInAs } from '../testing';
import type { Candidate, Profile, ProviderKey } from '../types';

beforeAll(async () => {
  await import('./DiscoveryPage');
}, 30_000);

const slow = { timeout: 8000 };

function serveDiscovery() {
  const roast = candidate({
    id: 'k1',
    name: 'Roast Co',
    score: 0.82,
    reasons: ['Sells coffee beans, like you', 'Same category: coffee roaster'],
    provider_ids: { google: 'g1', yelp: 'y1' },
    distance_m: 2414,
  });
  const diner = candidate({ id: 'k2', name: 'Main St Diner', score: 0.31, reasons: ['Nearby'] });
  const state = {
    profile: null as Profile | null,
    keys: [] as ProviderKey[],
    candidates: [] as Candidate[],
    profiles: [] as unknown[],
    discovered: [] as unknown[],
    accepted: [] as string[],
    deletedKeys: [] as string[],
  };
  server.use(
    http.get(`${MARKET_URL}/profile`, () => HttpResponse.json(state.profile)),
    http.put(`${MARKET_URL}/profile`, async ({ request }) => {
      const body = (await request.json()) as Profile;
      state.profiles.push(body);
      state.profile = body;
      return HttpResponse.json(body);
    }),
    http.get(`${MARKET_URL}/provider-keys`, () => HttpResponse.json(state.keys)),
    http.put(`${MARKET_URL}/provider-keys/:provider`, async ({ params, request }) => {
      const { api_key } = (await request.json()) as { api_key: string };
      const saved = { provider: String(params.provider), last4: api_key.slice(-4), updated_at: '2026-03-02T09:00:00Z' };
      state.keys = [...state.keys.filter((k) => k.provider !== saved.provider), saved];
      return HttpResponse.json(saved);
    }),
    http.delete(`${MARKET_URL}/provider-keys/:provider`, ({ params }) => {
      state.deletedKeys.push(String(params.provider));
      state.keys = state.keys.filter((k) => k.provider !== params.provider);
      return new HttpResponse(null, { status: 204 });
    }),
    http.get(`${MARKET_URL}/candidates`, () => HttpResponse.json(state.candidates)),
    http.post(`${MARKET_URL}/discover`, async ({ request }) => {
      state.discovered.push(await request.json());
      state.candidates = [diner, roast];
      return HttpResponse.json({
        candidates: state.candidates,
        notes: ['Yelp searches at most 40 km: the 25-mile circle was used for it.'],
        providers: { google: 'ok', yelp: 'skipped: no API key saved' },
      });
    }),
    http.post(`${MARKET_URL}/candidates/:id/accept`, ({ params }) => {
      state.accepted.push(String(params.id));
      state.candidates = state.candidates.filter((c) => c.id !== params.id);
      return HttpResponse.json(competitor({ id: 'c-roast', name: 'Roast Co', source: 'discovered' }), { status: 201 });
    }),
  );
  return state;
}

describe('Discovery', { timeout: 20_000 }, () => {
  it('saves the profile and a key, finds competitors, and accepts one', async () => {
    signedInAs('admin');
    const state = serveDiscovery();
    const user = userEvent.setup({ delay: null });
    renderApp('/marketplace/discover');

    // Nothing can be searched before the location and a key are saved.
    expect(await screen.findByText('Save the business’s location in the profile first.', {}, slow)).toBeTruthy();
    const find = screen.getByRole('form', { name: 'Find competitors' });
    expect((within(find).getByRole('button', { name: 'Find competitors' }) as HTMLButtonElement).disabled).toBe(true);

    const profile = screen.getByRole('form', { name: 'Business profile' });
    await user.type(within(profile).getByLabelText('What you sell'), 'Specialty coffee roaster');
    await user.type(within(profile).getByLabelText('Categories'), 'coffee roaster, café');
    await user.type(within(profile).getByLabelText('Latitude'), '45.5231');
    await user.type(within(profile).getByLabelText('Longitude'), '-122.6765');
    const radius = within(profile).getByLabelText(/Search radius/);
    fireEvent.change(radius, { target: { value: '25' } });
    expect(within(profile).getByText('Search radius: 25 miles (40 km)')).toBeTruthy();
    expect(within(profile).getByText(/Yelp searches at most 25 miles \(40 km\)/)).toBeTruthy();
    await user.click(within(profile).getByRole('button', { name: 'Save profile' }));
    expect(await within(profile).findByText('Profile saved.')).toBeTruthy();
    expect(state.profiles).toEqual([
      { description: 'Specialty coffee roaster', categories: ['coffee roaster', 'café'], latitude: 45.5231, longitude: -122.6765, radius_miles: 25 },
    ]);

    const keys = screen.getByRole('list', { name: 'Provider keys' });
    const google = within(keys).getByRole('listitem', { name: 'Google Places' });
    await user.type(within(google).getByLabelText('Google Places API key'), 'short');
    await user.click(within(google).getByRole('button', { name: 'Save key' }));
    expect(within(google).getByText('Paste the whole key (at least 8 characters).')).toBeTruthy();
    await user.clear(within(google).getByLabelText('Google Places API key'));
    await user.type(within(google).getByLabelText('Google Places API key'), 'AIzaSyExample-1234');
    await user.click(within(google).getByRole('button', { name: 'Save key' }));
    expect((await within(google).findByTestId('google-key')).textContent).toBe('••••1234');
    expect(within(google).queryByLabelText('Google Places API key')).toBeNull();

    // A Yelp key saved, then deleted again.
    const yelp = within(keys).getByRole('listitem', { name: 'Yelp' });
    await user.type(within(yelp).getByLabelText('Yelp API key'), 'yelp-secret-9876');
    await user.click(within(yelp).getByRole('button', { name: 'Save key' }));
    expect((await within(yelp).findByTestId('yelp-key')).textContent).toBe('••••9876');
    await user.click(within(yelp).getByRole('button', { name: 'Delete the Yelp key' }));
    expect(await within(yelp).findByLabelText('Yelp API key')).toBeTruthy();
    expect(state.deletedKeys).toEqual(['yelp']);

    await waitFor(() => expect((within(find).getByRole('button', { name: 'Find competitors' }) as HTMLButtonElement).disabled).toBe(false));
    await user.type(within(find).getByLabelText('Search for (optional)'), 'coffee roaster');
    await user.click(within(find).getByRole('button', { name: 'Find competitors' }));
    const outcome = await screen.findByRole('region', { name: 'Search results' });
    expect(state.discovered).toEqual([{ radius_miles: 25, query: 'coffee roaster' }]);
    expect(within(outcome).getByText('2 new suggestions below.')).toBeTruthy();
    expect(within(outcome).getByText('OK')).toBeTruthy();
    expect(within(outcome).getByText('skipped: no API key saved')).toBeTruthy();
    expect(within(outcome).getByText(/Yelp searches at most 40 km/)).toBeTruthy();

    const suggestions = screen.getByRole('list', { name: 'Suggested competitors' });
    const items = within(suggestions).getAllByRole('listitem', { name: /Roast Co|Main St Diner/ });
    expect(items.map((item) => item.getAttribute('aria-label'))).toEqual(['Roast Co', 'Main St Diner']);
    const roast = items[0]!;
    expect(within(roast).getByRole('meter', { name: 'Match score for Roast Co' }).getAttribute('aria-valuenow')).toBe('82');
    expect(within(roast).getByText('Sells coffee beans, like you')).toBeTruthy();
    expect(within(roast).getByText(/1\.5 mi away/)).toBeTruthy();

    await user.click(within(roast).getByRole('button', { name: 'Accept Roast Co' }));
    const added = await screen.findByText(/to your competitors\./);
    expect(within(added).getByRole('link', { name: 'Roast Co' }).getAttribute('href')).toBe('/marketplace/competitors/c-roast');
    expect(state.accepted).toEqual(['k1']);
    await waitFor(() => expect(within(suggestions).queryByRole('listitem', { name: 'Roast Co' })).toBeNull());
    expect(within(suggestions).getByRole('listitem', { name: 'Main St Diner' })).toBeTruthy();
  });
});
