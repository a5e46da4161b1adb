import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { bootstrapSession } from './features/auth/session';
import { createQueryClient } from './queryClient';
import './index.css';

// Restore the session from the HttpOnly refresh cookie before anything asks for data.
void bootstrapSession();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App queryClient={createQueryClient()} />
  </StrictMode>,
);
