// Start page: someone already signed in goes straight to their own page.
import { getSession, homeFor, initComponents } from './common.js';

initComponents();

getSession()
  .then((session) => {
    if (session.user) location.replace(homeFor(session.user));
  })
  .catch(() => {
    // Not reachable or not signed in: the page's links still work.
  });
