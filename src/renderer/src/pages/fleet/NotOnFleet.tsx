// What a station-only screen shows on the fleet server: it says so, instead of an empty or
// invented version of the station's screen.
import { Card } from '../../components/Card';
import { Page } from '../../components/Page';
import { hrefFor, type Route } from '../../hooks/route';

const WHY: Partial<Record<Route, string>> = {
  live: 'The live view shows one station’s camera and verdicts as they happen; the fleet server has no camera or line.',
  products:
    'Products (recipes) are set up and switched on each station; here they are a filter on the queue and the yield.',
  source: 'Cameras and folders belong to a station; choose a source on that station’s own screen.',
  train: 'Models are trained on a station, from that station’s pictures.',
  models:
    'Deploying and rolling back models is done on each station; the fleet server only holds their records.',
  settings: 'Station settings (retention, runtime, USB outputs, fleet link) are set on each station.',
};

export function NotOnFleet({ route, label }: { route: Route; label: string }) {
  return (
    <Page id={route} title={label} subtitle="Not available on the fleet server">
      <Card title="Not available on the fleet server" testId="not-on-fleet">
        <p data-testid="not-on-fleet-statement">
          {label} is not available on the fleet server. {WHY[route] ?? ''}
        </p>
        <p>
          Here you can review parts from every station (<a href={hrefFor('review')}>Review</a>), compare lines
          and export CSV (<a href={hrefFor('history')}>Lines</a>), and verify each station’s records (
          <a href={hrefFor('audit')}>Audit</a>).
        </p>
      </Card>
    </Page>
  );
}
