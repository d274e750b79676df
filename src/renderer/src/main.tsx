import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { StationProvider } from './hooks/station';
import { connectStation } from './transport';
// Bundled into a .css file by Vite: the CSP forbids inline styles.
import './styles/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html is missing #root');

createRoot(root).render(
  <StrictMode>
    <StationProvider station={connectStation()}>
      <App />
    </StationProvider>
  </StrictMode>,
);
