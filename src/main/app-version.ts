// Named import so the bundler inlines only the version, not the whole manifest.
import { version } from '../../package.json';

export const APP_VERSION: string = version;
