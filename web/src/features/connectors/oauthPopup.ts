/**
 * The OAuth popup: opened from the Connectors page, it walks through the provider's consent screen,
 * lands on /connectors/oauth/:type/callback, which finishes the connection and tells its opener.
 *
 * window.opener survives the trip only when the opening page is served with
 * Cross-Origin-Opener-Policy same-origin-allow-popups (or none) and the callback page with none;
 * under "same-origin" the browser cuts the popup loose, so the callback page also announces the
 * connection on a BroadcastChannel, which reaches the page whatever the policy.
 */
import { useEffect, useRef, useState } from 'react';

export const CONNECTED_MESSAGE = 'binelek:connector-connected';

export interface ConnectedMessage {
  kind: typeof CONNECTED_MESSAGE;
  connectionId: string;
}

const POPUP_NAME = 'binelek-connect';
const CHANNEL_NAME = 'binelek:connectors';
const POPUP_WIDTH = 600;
const POPUP_HEIGHT = 700;
/** How often the page checks whether the user closed the popup without finishing. */
const CLOSED_POLL_MS = 500;

/** Window features for a 600×700 popup centred over the current window. */
export function popupFeatures(): string {
  const left = Math.max(0, Math.round(window.screenX + (window.outerWidth - POPUP_WIDTH) / 2));
  const top = Math.max(0, Math.round(window.screenY + (window.outerHeight - POPUP_HEIGHT) / 2));
  return `popup=yes,width=${POPUP_WIDTH},height=${POPUP_HEIGHT},left=${left},top=${top}`;
}

/**
 * Open the popup empty, synchronously in the click handler: browsers only allow a new window while
 * the user's gesture is fresh, and the authorization URL arrives after a request.
 */
export function openPendingPopup(): Window | null {
  return window.open('', POPUP_NAME, popupFeatures());
}

/**
 * Send the popup to the provider's consent screen. Opening the same window name navigates the
 * popup already open instead of creating a new one, so no popup blocker applies. When the popup
 * was blocked the whole page goes there; the callback page then comes back to /connectors.
 */
export function showAuthorization(popup: Window | null, authorizationUrl: string): boolean {
  if (popup && !popup.closed) {
    window.open(authorizationUrl, POPUP_NAME, popupFeatures());
    popup.focus();
    return true;
  }
  window.location.assign(authorizationUrl);
  return false;
}

function isConnectedMessage(data: unknown): data is ConnectedMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Record<string, unknown>;
  return message.kind === CONNECTED_MESSAGE && typeof message.connectionId === 'string';
}

/** Calls `onConnected` when a callback page of this origin reports a new connection. */
export function useConnectedMessages(onConnected: (connectionId: string) => void): void {
  const handler = useRef(onConnected);
  handler.current = onConnected;
  useEffect(() => {
    const listener = (event: MessageEvent) => {
      // Only our own callback page may say so: any other window could post a look-alike message.
      if (event.origin !== window.location.origin || !isConnectedMessage(event.data)) return;
      handler.current(event.data.connectionId);
    };
    window.addEventListener('message', listener);
    // A broadcast channel only ever carries this origin's messages.
    const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL_NAME);
    if (channel) {
      channel.onmessage = (event: MessageEvent) => {
        if (isConnectedMessage(event.data)) handler.current(event.data.connectionId);
      };
    }
    return () => {
      window.removeEventListener('message', listener);
      channel?.close();
    };
  }, []);
}

/**
 * In the callback page: tell the page that opened the popup about the new connection, and close.
 * Without an opener — the page itself went to the provider, or a Cross-Origin-Opener-Policy cut
 * the popup loose on its way through the provider — every open Binelek tab of this origin is
 * told on a broadcast channel instead, and false says the page must find its own way back.
 */
export function announceConnection(connectionId: string): boolean {
  const message: ConnectedMessage = { kind: CONNECTED_MESSAGE, connectionId };
  const opener = window.opener as Window | null;
  if (opener && !opener.closed) {
    opener.postMessage(message, window.location.origin);
    window.close();
    return true;
  }
  if (typeof BroadcastChannel !== 'undefined') {
    const channel = new BroadcastChannel(CHANNEL_NAME);
    channel.postMessage(message);
    channel.close();
  }
  return false;
}

/** The popup being waited for, until the user closes it (finished or not). */
export function useOpenPopup(): [Window | null, (popup: Window | null) => void] {
  const [popup, setPopup] = useState<Window | null>(null);
  useEffect(() => {
    if (!popup) return;
    const timer = setInterval(() => {
      if (popup.closed) setPopup(null);
    }, CLOSED_POLL_MS);
    return () => clearInterval(timer);
  }, [popup]);
  return [popup, setPopup];
}
