import './zodConfig';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectHost } from './controller';
import { watchInput } from './inputActivity';
import { simulationFromQuery } from './model/timingSimulation';
import { useSimulationStore } from './stores/simulationStore';
import './styles/app.css';

useSimulationStore.setState(simulationFromQuery(window.location.search));
connectHost();
watchInput(window);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
