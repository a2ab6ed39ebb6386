//! What the ZheliKit SDK and the BFF both need, written once.
//!
//! - [`identity_code`]: validators for the two codes every government form carries: the
//!   18-character resident ID number (居民身份证号码, GB 11643-1999) and the unified social credit
//!   code of an enterprise (统一社会信用代码, GB 32100-2015).
//! - [`region`]: the Wenzhou administrative division codes (3303xx) the fixtures and forms use.
//! - [`record_masking`]: which fields of each record are personal data, masked when shown.
//! - [`mask`]: how personal data is shown when it must not be shown in full (logs, screens).
//! - [`records`]: the government records (户籍, 社保, 驾驶证, 营业执照 …) departments publish and
//!   screens show, typed.
//! - [`sealing`]: AES-256-GCM sealing of values bound to their names (device store, BFF).
//! - [`input`]: the input rules (credentials, mini-app ids, passkey names) both sides apply.
//! - [`paths`]: every path of the HTTP API.
//! - [`lang`]: zh-CN (the default) and English, and messages written in both.
//! - [`problem_code`], [`scope`]: the stable codes and scopes both sides speak.
//! - [`manifest`]: `miniapp.json`, one schema for the SDK's bridge, the BFF's registry and the CLI.
//! - [`bridge`]: the mini-app bridge's methods, requests, answers, events and error codes.
//! - [`analytics`]: `ZwLog` events (page views, clicks …), masked, batched, counted per day.
//! - [`gm`]: 国密 — SM3, SM2 signatures and keys (PKCS#8, SPKI, JWK), interoperable with OpenSSL.
//! - [`vault`]: 个人数据宝's e-certificates (SD-JWT VC with SM2/SM3), status lists, the verifier.
//! - [`policy`]: 惠企政策's enterprise profiles, industry codes, size classes and policy criteria.
//! - [`supervision`]: 政务督查's items, task trees, reports, reminders and figures.
//! - [`api`]: the wire types of the ZheliKit HTTP API (`/v1/...`), shared by server and client so
//!   the two can never disagree on a field name.

#![warn(missing_docs)]

pub mod analytics;
pub mod api;
pub mod bridge;
pub mod forms;
pub mod gm;
pub mod identity_code;
pub mod input;
pub mod lang;
pub mod manifest;
pub mod mask;
pub mod paths;
pub mod policy;
pub mod problem_code;
pub mod record_masking;
pub mod records;
pub mod region;
pub mod scope;
pub mod sealing;
pub mod supervision;
pub mod vault;

pub use identity_code::{IdentityCodeError, ResidentId, Uscc};
