//! The department APIs (部门接口) as the IRS gateway republishes them: one `POST` route per
//! [`Operation`], each asking about a person ([`PersonQuery`]) or an enterprise
//! ([`EnterpriseQuery`]) and answering the [`DeptResponse`] envelope.
//!
//! Payloads are made up, but the same for the same record every time: each answer is drawn from
//! a generator seeded with the platform seed and the record's ID number or USCC (see
//! [`Person::rng`]), starting from the fixture's real name, ID number, birth date and sex. Dates
//! are counted from the first day of the platform clock's month ([`Person::as_of`]), so a record
//! stays the same for a month and follows time travel.
//!
//! Every route is mounted behind the IRS gateway and then the department's fault injection
//! ([`crate::departments::faults`]), which counts its requests.

mod answer;
pub mod certificates;
pub mod corrections;
mod economy;
mod education;
pub mod faults;
mod health;
mod human_resources;
pub mod intake;
mod market_regulation;
mod public_security;
mod record;
mod taxation;
mod transport;
mod wenzhou;

use std::collections::HashMap;

use axum::middleware::from_fn_with_state;
use axum::Router;
use platform_api::departments::Department;

use crate::fixtures::Fixtures;
use crate::MockState;
use faults::FaultSite;

pub use answer::CODE_BAD_REQUEST;
pub use record::{Company, Person};

/// Finds fixture records by the identifiers departments are asked about.
#[derive(Debug)]
pub struct Directory {
    seed: u64,
    people: HashMap<String, usize>,
    enterprises: HashMap<String, usize>,
}

impl Directory {
    /// Indexes the fixtures once, so a request costs one hash lookup rather than a scan.
    pub fn new(seed: u64, fixtures: &Fixtures) -> Self {
        Self {
            seed,
            people: (fixtures.citizens.iter().enumerate())
                .map(|(i, c)| (c.id_number.clone(), i))
                .collect(),
            enterprises: (fixtures.enterprises.iter().enumerate())
                .map(|(i, e)| (e.uscc.clone(), i))
                .collect(),
        }
    }

    /// Index into [`Fixtures::citizens`] of the person with this (normalised) ID number.
    pub fn person(&self, id_number: &str) -> Option<usize> {
        self.people.get(id_number).copied()
    }

    /// Index into [`Fixtures::enterprises`] of the enterprise with this (normalised) USCC.
    pub fn enterprise(&self, uscc: &str) -> Option<usize> {
        self.enterprises.get(uscc).copied()
    }

    /// The platform seed the records are drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// Every department route, each behind its department's fault injection. The caller puts the
/// IRS gateway in front, so a request is authenticated before it counts or meets a fault.
pub fn routes(state: &MockState) -> Router<MockState> {
    Department::ALL
        .into_iter()
        .fold(Router::new(), |router, department| {
            let site = FaultSite {
                state: state.clone(),
                department,
            };
            router.merge(
                department_routes(department).route_layer(from_fn_with_state(site, faults::inject)),
            )
        })
}

fn department_routes(department: Department) -> Router<MockState> {
    let records = match department {
        Department::PublicSecurity => public_security::routes(),
        Department::HumanResources => human_resources::routes(),
        Department::Transport => transport::routes(),
        Department::MarketRegulation => market_regulation::routes(),
        Department::Health => health::routes(),
        Department::Education => education::routes(),
        Department::Taxation => taxation::routes(),
        Department::Economy => economy::routes(),
        // 住建 answers the vault only.
        Department::Housing => Router::new(),
    };
    records.merge(certificates::routes(department))
}
