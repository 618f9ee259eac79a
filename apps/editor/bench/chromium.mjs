// Debian's Chromium as the editor's e2e tests and benchmark launch it (see the stack spike).
// Without the background-networking flags it keeps trying hosts this machine cannot reach.

/** The browser binary: CHROMIUM_PATH, else Debian's. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
