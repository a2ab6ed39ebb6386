//! The mini-app simulator: a phone in a web page. Each simulated phone is a real sdk-core
//! client (its own encrypted store, its own session) with the bridge of one mini-app; the page
//! shows the mini-app in a phone-sized frame with the bridge shim, and every call travels page →
//! this server → the core → the BFF → the mock platform and departments. Nothing of the core is
//! re-implemented here: this server only carries strings and shows what the host is asked.
//!
//! HTTP surface (the mini-apps' files and the shim also on a port of their own, so a mini-app
//! runs in another origin than the simulator's page and cannot reach into it):
//! - `GET /` the simulator page; `GET /web/…` its script; `GET /__zhelikit/zwjsbridge.js` (and
//!   the platform's CDN paths `/assets/ZWJSBridge/<v>/zwjsbridge.js`, `/assets/zwlog/<v>/zwlog.js`)
//!   the bridge shim; `GET /apps/<dir>/…` a mini-app's files, its HTML with the shim injected.
//! - `GET /api/accounts` demo accounts; `GET /api/miniapps` the mini-apps and their manifests.
//! - `POST /api/phones` `{miniApp, account}` opens a phone; `POST /api/phones/{id}/call` one
//!   bridge request (the body is the page's JSON, the answer the core's); `GET …/stream` what
//!   the phone's host is asked and the bridge's events (server-sent events); `POST …/answer`
//!   `{id, ok | text | images | cancel}` answers a dialog; `POST …/scenario` switches the phone
//!   offline or to elder mode; `GET …/calls` the call log (personal numbers masked, credentials
//!   hidden). `POST /api/scenario` switches what every phone shares: a department's outage, and
//!   an expired ticket for the next phone opened.

pub mod host;
mod phone;
pub mod review;
mod routes;
pub mod stats;

pub use phone::{Phone, Phones};
pub use routes::{apps_router, router, Settings, Simulator};
