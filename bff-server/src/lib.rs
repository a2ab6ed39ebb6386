//! The ZheliKit BFF (backend for frontend): the one door between mobile mini-apps and the
//! government platforms. It turns a 浙里办 / 浙政钉 login into a ZheliKit session and, in later
//! capabilities, aggregates department APIs for mobile screens.
//!
//! `router(state)` is the whole HTTP application, so tests drive it without a socket;
//! [`server::spawn`] serves it on a port.

pub mod analytics;
pub mod app;
pub mod audit;
pub mod clock;
pub mod config;
pub mod departments;
pub mod forms;
pub mod http;
pub mod identity;
pub mod infra;
pub mod jobs;
pub mod ops;
pub mod personal_data;
pub mod policy;
pub mod retention;
pub mod router;
pub mod screens;
pub mod server;
pub mod storage;
pub mod supervision;
pub mod vault;

pub use app::{App, AppState};
pub use config::Config;
pub use router::{openapi, router};
pub use server::{spawn, RunningBff};
